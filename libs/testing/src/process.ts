import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { expectEventually } from './eventually';

export interface AppProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** SIGTERM, then wait for the exit code. */
  stop(): Promise<number | null>;
}

const ROOT = resolve(__dirname, '../../..');

/**
 * Runs a built entry point (e.g. `dist/apps/all-in-one/src/main.js`) as a real child process on
 * Node 24, and waits until its /readyz answers 200.
 */
export async function startAppProcess(entry: string, env: Record<string, string>, options: { port: number; readyTimeoutMs?: number }): Promise<AppProcess> {
  const child = spawn(process.execPath, ['--enable-source-maps', resolve(ROOT, entry)], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', PORT: String(options.port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const url = `http://127.0.0.1:${options.port}`;
  try {
    await expectEventually(
      async () => {
        if (exitCode !== undefined) throw new Error(`exited with ${exitCode} before it was ready`);
        const res = await fetch(`${url}/readyz`);
        if (res.status !== 200) throw new Error(`readyz ${res.status}: ${await res.text()}`);
      },
      { timeoutMs: options.readyTimeoutMs ?? 45_000, intervalMs: 100 },
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${entry} did not become ready: ${error instanceof Error ? error.message : String(error)}\n--- output ---\n${output}`, { cause: error });
  }
  return {
    url,
    child,
    output: () => output,
    exited,
    stop: async () => {
      if (exitCode === undefined) child.kill('SIGTERM');
      return exited;
    },
  };
}
