import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const LIB = resolve(__dirname, '..');
const ROOT = resolve(LIB, '../..');

export interface FixtureRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The JSON the fixture printed last. */
  result: FixtureResult;
}

export interface FixtureResult {
  preloaded: string[];
  /** pg, kafkajs and express modules loaded right after startTelemetry (express: preloaded for its instrumentation). */
  loadedByStart: string[];
  sameHandle: boolean;
  serviceName: string;
  validTraceIds: number;
  httpStatuses: number[];
  metricsContentType: string | null;
  metricsPageHasTokenUsage: boolean;
  propagationFields: string[];
  prometheusHasTokenUsage: boolean;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

/**
 * Transpiles libs/telemetry (src and test fixtures) to plain CommonJS in a temporary folder, so a
 * child `node` can run it: there is no build of the libs, and Node's type stripping cannot run
 * decorators. Type checking stays with `tsc --noEmit`; this only removes types.
 */
export function compileTelemetry(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-telemetry-'));
  for (const file of [...sources(join(LIB, 'src')), ...sources(join(LIB, 'test/fixtures'))]) {
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2023,
        esModuleInterop: true,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
      },
    });
    const out = join(dir, relative(LIB, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, outputText);
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Runs the fixture on this Node (24) with only the given environment (plus PATH), so OTEL_*
 * variables of the test runner do not leak in. Fails after `timeoutMs` instead of hanging.
 */
export function runFixture(compiledDir: string, env: Record<string, string>, timeoutMs = 30_000): Promise<FixtureRun> {
  const child = spawn(process.execPath, [join(compiledDir, 'test/fixtures/telemetry-process.fixture.js')], {
    cwd: ROOT,
    // The transpiled files live outside the repo: resolve packages from the repo's node_modules.
    env: { PATH: process.env['PATH'] ?? '', NODE_PATH: join(ROOT, 'node_modules'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`fixture did not exit within ${timeoutMs} ms\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      fail(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').at(-1) ?? '';
      try {
        done({ code, stdout, stderr, result: JSON.parse(last) as FixtureResult });
      } catch {
        fail(new Error(`fixture exited ${code} without a result\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`));
      }
    });
  });
}
