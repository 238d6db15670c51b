import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { freePort, provisionDatabase } from '@tollgate/persistence';
import type { ProvisionedDatabase } from '@tollgate/persistence';
import { FrontProxy } from './front-proxy';
import type { ProxyRoute } from './front-proxy';

export const SERVICE_NAMES = ['guardrails', 'gateway', 'cost-ledger', 'similarity', 'trace-api', 'recovery'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Ports when the launcher runs for a person; the front proxy takes 8080, so the gateway moves to 8086. */
export const DEFAULT_SERVICE_PORTS: Record<ServiceName, number> = { gateway: 8086, guardrails: 8081, 'cost-ledger': 8082, similarity: 8083, 'trace-api': 8084, recovery: 8085 };

/** Path prefixes per service, as the Ingress maps them (ARCHITECTURE.md, "HTTP routes"). */
export const SERVICE_PREFIXES: Record<ServiceName, string[]> = {
  gateway: ['/v1', '/api/v1/gateway', '/metrics'],
  guardrails: ['/api/v1/governance'],
  'cost-ledger': ['/api/v1/cost-logs', '/api/v1/costs', '/api/v1/budgets', '/api/v1/pricing'],
  similarity: ['/api/v1/similarity-logs', '/api/v1/similarity'],
  'trace-api': ['/api/v1/traces', '/api/v1/telemetry', '/ui'],
  recovery: ['/api/v1/recovery'],
};

/** The repository root: the first folder up with a package.json (works from src/ under ts-jest and from dist/). */
function repositoryRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

const ROOT = repositoryRoot(__dirname);

export interface ClusterOptions {
  /** Front proxy port; 0 picks a free one. Default 8080. */
  port?: number;
  host?: string;
  /** Per-service ports; a service left out gets DEFAULT_SERVICE_PORTS, or a free port with `freePorts`. */
  servicePorts?: Partial<Record<ServiceName, number>>;
  /** Every service on a free port (tests, or a second cluster beside the first). */
  freePorts?: boolean;
  /** Kafka bootstrap servers; unset → an in-launcher KafkaTestBroker (a test tool). */
  kafkaBrokers?: string[];
  /** Postgres for guardrails and cost-ledger; unset → one embedded server under dataDir. */
  databaseUrl?: string;
  dataDir?: string;
  /** Environment for every service (on top of this process's), and per service. */
  env?: Record<string, string>;
  serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  /** Each line a service prints; default: to stdout prefixed with the service name. */
  onOutput?: (service: ServiceName, line: string) => void;
  /** A service exited without being asked to. */
  onUnexpectedExit?: (service: ServiceName, code: number | null, signal: NodeJS.Signals | null) => void;
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface ServiceProcess {
  name: ServiceName;
  url: string;
  port: number;
  child: ChildProcess;
  exited: Promise<number | null>;
  /** Everything it printed since it was (re)started. */
  output(): string;
}

export interface RunningCluster {
  /** The front proxy. */
  url: string;
  brokers: string[];
  databaseUrl: string;
  /** The in-launcher test broker, when no KAFKA_BROKERS were given (typed loosely: libs/testing is test-only). */
  testBroker: { stop(): Promise<void>; restart(): Promise<void> } | undefined;
  services: Record<ServiceName, ServiceProcess>;
  /** SIGKILL, no goodbye (a crashed pod). */
  kill(name: ServiceName): Promise<void>;
  /** Starts a stopped or killed service again on the same port (with extra env, if given) and waits for readiness. */
  restart(name: ServiceName, env?: Record<string, string>): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

interface TestBrokerHandle {
  brokers: string[];
  stop(): Promise<void>;
  restart(): Promise<void>;
}

async function startTestBroker(): Promise<TestBrokerHandle> {
  // The launcher is a development tool; libs/testing is loaded only when no real Kafka is given.
  const { KafkaTestBroker } = await import('@tollgate/testing');
  return KafkaTestBroker.start({ partitions: 3 });
}

async function waitReady(service: ServiceProcess, timeoutMs: number, exitCode: () => number | null | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    const code = exitCode();
    if (code !== undefined) throw new Error(`${service.name} exited with ${code} before it was ready\n--- ${service.name} output ---\n${service.output()}`);
    try {
      const res = await fetch(`${service.url}/readyz`);
      if (res.status === 200) return;
      last = `readyz ${res.status}: ${await res.text()}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) throw new Error(`${service.name} not ready after ${timeoutMs} ms (${last})\n--- ${service.name} output ---\n${service.output()}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

/**
 * Runs the six services as separate Node processes from their built entry points
 * (`dist/services/<name>/src/main.js`, so `npm run build` first), talking over Kafka, with one
 * Postgres, behind a front proxy that maps the Ingress path prefixes.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<RunningCluster> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const host = options.host ?? '127.0.0.1';
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    for (const step of cleanups.splice(0).reverse()) await step().catch((error: unknown) => log(`cluster: cleanup failed: ${String(error)}`));
  };

  try {
    let brokers = options.kafkaBrokers ?? [];
    let testBroker: TestBrokerHandle | undefined;
    if (brokers.length === 0) {
      testBroker = await startTestBroker();
      cleanups.push(() => testBroker!.stop());
      brokers = testBroker.brokers;
      log(
        [
          '',
          '  ************************************************************************',
          `  *  KAFKA_BROKERS is not set: using the in-memory KafkaTestBroker on ${brokers.join(',')}`,
          '  *  It is a TEST TOOL: one node, no durability, everything lost on exit.',
          '  *  For anything real, start with KAFKA_BROKERS=host:9092,...',
          '  ************************************************************************',
          '',
        ].join('\n'),
      );
    }

    const dataDir = resolve(options.dataDir ?? join(ROOT, '.tollgate', 'cluster'));
    const db: ProvisionedDatabase = await provisionDatabase({ databaseUrl: options.databaseUrl, dataDir });
    cleanups.push(() => db.stop());

    const ports = {} as Record<ServiceName, number>;
    for (const name of SERVICE_NAMES) ports[name] = options.servicePorts?.[name] ?? (options.freePorts ? await freePort() : DEFAULT_SERVICE_PORTS[name]);

    const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
    const services = {} as Record<ServiceName, ServiceProcess>;
    const stopping = new Set<ServiceName>();
    const onOutput = options.onOutput ?? ((service: ServiceName, line: string) => process.stdout.write(`[${service}] ${line}\n`));

    const spawnService = async (name: ServiceName, extraEnv: Record<string, string> = {}): Promise<ServiceProcess> => {
      const env: Record<string, string | undefined> = {
        ...process.env,
        NODE_OPTIONS: '',
        ...options.env,
        ...options.serviceEnv?.[name],
        ...extraEnv,
        PORT: String(ports[name]),
        HOST: host,
        TOLLGATE_BUS: 'kafka',
        KAFKA_BROKERS: brokers.join(','),
        KAFKA_CLIENT_ID: `tollgate-${name}`,
        DATABASE_URL: db.url,
        TOLLGATE_DATA_DIR: dataDir,
        OTEL_SERVICE_NAME: options.serviceEnv?.[name]?.['OTEL_SERVICE_NAME'] ?? `tollgate-${name}`,
      };
      const child = spawn(process.execPath, ['--enable-source-maps', join(ROOT, 'dist/services', name, 'src/main.js')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      let exitCode: number | null | undefined;
      const forward = (stream: NodeJS.ReadableStream | null) => {
        let partial = '';
        stream?.on('data', (chunk: Buffer) => {
          const text = chunk.toString();
          output += text;
          const lines = (partial + text).split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) onOutput(name, line);
        });
      };
      forward(child.stdout);
      forward(child.stderr);
      const exited = new Promise<number | null>((done) =>
        child.once('exit', (code, signal) => {
          exitCode = code;
          if (!stopping.has(name)) {
            log(`cluster: ${name} (pid ${child.pid}) EXITED unexpectedly with ${signal ?? `code ${code}`}`);
            options.onUnexpectedExit?.(name, code, signal);
          }
          done(code);
        }),
      );
      const service: ServiceProcess = { name, url: `http://${host}:${ports[name]}`, port: ports[name], child, exited, output: () => output };
      services[name] = service;
      try {
        await waitReady(service, readyTimeoutMs, () => exitCode);
      } catch (error) {
        stopping.add(name);
        child.kill('SIGKILL');
        throw error;
      }
      stopping.delete(name);
      return service;
    };

    const stopService = async (name: ServiceName, signal: NodeJS.Signals): Promise<void> => {
      const service = services[name];
      if (!service || service.child.exitCode !== null || service.child.signalCode !== null) return;
      stopping.add(name);
      service.child.kill(signal);
      await service.exited;
    };
    cleanups.push(async () => {
      await Promise.all(SERVICE_NAMES.map((name) => stopService(name, 'SIGTERM')));
    });

    // All at once: each waits for what it needs (API-key snapshots, topics) through its readiness.
    await Promise.all(SERVICE_NAMES.map((name) => spawnService(name)));

    const routes: ProxyRoute[] = SERVICE_NAMES.flatMap((name) => SERVICE_PREFIXES[name].map((prefix) => ({ prefix, target: services[name].url })));
    const proxy = new FrontProxy(routes, (req, res) => {
      if (req.url !== '/healthz' && req.url !== '/readyz') return false;
      void (async () => {
        const checks = await Promise.all(
          SERVICE_NAMES.map(async (name) => {
            const res = await fetch(`${services[name].url}${req.url}`).catch(() => undefined);
            return [name, res?.status === 200 ? 'ok' : `down (${res?.status ?? 'no answer'})`] as const;
          }),
        );
        const ok = checks.every(([, state]) => state === 'ok');
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: ok ? 'ok' : 'unavailable', services: Object.fromEntries(checks) }));
      })();
      return true;
    });
    const url = await proxy.listen(options.port ?? 8080, host);
    cleanups.push(() => proxy.close());

    let stopped: Promise<void> | undefined;
    return {
      url,
      brokers,
      databaseUrl: db.url,
      testBroker,
      services,
      kill: (name) => stopService(name, 'SIGKILL'),
      restart: async (name, env) => {
        await stopService(name, 'SIGTERM');
        return spawnService(name, env);
      },
      stop: () => (stopped ??= cleanup()),
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
