import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { collectAndMeasure, type MemoryAfterCollection } from './inspector';
import { freePort } from './processes';
import { memoryVerdict } from './report';

const MB = 2 ** 20;

// A process that, on each line of stdin, keeps 32 MB and throws away 64 MB, then says "done". Each
// MB is an array of 131,072 doubles on the JS heap (strings from repeat() would be ropes).
const CHILD = `
const megabyte = (i) => Array.from({ length: 131072 }, (_, j) => i + j + 0.5);
const kept = [];
process.stdin.setEncoding('utf8');
process.stdin.on('data', () => {
  // The garbage is still referenced while the rest is allocated, so no collection on the way frees it.
  globalThis.garbage = [];
  for (let i = 0; i < 64; i += 1) globalThis.garbage.push(megabyte(i));
  for (let i = 0; i < 32; i += 1) kept.push(megabyte(i));
  globalThis.garbage = undefined;
  process.stdout.write('done\\n');
});
process.stdout.write('ready\\n');
`;

describe('collectAndMeasure (a full collection through the inspector)', () => {
  let child: ChildProcess;
  let origin: string;

  async function line(expected: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    let seen = '';
    while (!seen.includes(expected)) {
      if (Date.now() > deadline) throw new Error(`the child did not print "${expected}" (saw "${seen}")`);
      const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
      seen += chunk.toString('utf8');
    }
  }

  beforeAll(async () => {
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    // No collection but the one asked for: V8's incremental marking and memory reducer would
    // otherwise free the garbage on their own within milliseconds, and the test could not tell.
    child = spawn(process.execPath, [`--inspect=127.0.0.1:${port}`, '--no-incremental-marking', '--no-memory-reducer', '-e', CHILD], { stdio: ['pipe', 'pipe', 'ignore'] });
    await line('ready');
  });

  afterAll(async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });

  it('counts what the process keeps and not what it has thrown away', async () => {
    const before = await collectAndMeasure(origin);
    child.stdin!.write('go\n');
    await line('done');
    const after = await collectAndMeasure(origin);
    const grown = (after.heapUsedBytes - before.heapUsedBytes) / MB;
    // 32 MB kept; the 64 MB of garbage would show if no full collection had run.
    expect(grown).toBeGreaterThan(30);
    expect(grown).toBeLessThan(48);
    expect(after.rssBytes).toBeGreaterThan(before.rssBytes + 24 * MB);
  });

  it('fails clearly when nothing listens', async () => {
    const port = await freePort();
    await expect(collectAndMeasure(`http://127.0.0.1:${port}`)).rejects.toThrow();
  });
});

describe('memoryVerdict', () => {
  const at = (rssMb: number, heapMb = 50): MemoryAfterCollection => ({ rssBytes: rssMb * MB, heapUsedBytes: heapMb * MB, externalBytes: 0, arrayBuffersBytes: 0 });

  it('is flat up to 5% more RSS after the run than after the warm-up', () => {
    expect(memoryVerdict({ atStart: at(200), atEnd: at(210) })).toMatchObject({ flat: true });
    expect(memoryVerdict({ atStart: at(200), atEnd: at(180) })).toMatchObject({ flat: true });
    expect(memoryVerdict({ atStart: at(200), atEnd: at(210.5) })).toMatchObject({ flat: false });
  });

  it('says what it compared', () => {
    expect(memoryVerdict({ atStart: at(172, 53.3), atEnd: at(207, 83.2) }).measured).toBe(
      'RSS after a full collection 172 MB after the warm-up, 207 MB after the run (+20.3%; flat: at most +5%); heap used 53.3 → 83.2 MB (+56.1%)',
    );
  });
});
