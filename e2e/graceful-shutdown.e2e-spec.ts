import { request } from 'node:http';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@tollgate/persistence';
import { generateApiKey } from '@tollgate/platform';
import { startAppProcess } from '@tollgate/testing';

/** Sends a chat completion and resolves when its body has been handed to the socket. */
function slowCall(url: string, key: string): { sent: Promise<void>; response: Promise<{ status: number; body: string }> } {
  let markSent: () => void = () => undefined;
  const sent = new Promise<void>((resolve) => (markSent = resolve));
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(`${url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('finish', markSent);
    req.end(JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'finish me' }] }));
  });
  return { sent, response };
}

describe('graceful shutdown of the all-in-one process', () => {
  it('finishes an in-flight call, refuses new connections, and exits 0 on SIGTERM', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-e2e-stop-'));
    await chmod(dataDir, 0o755);
    const key = generateApiKey();
    const app = await startAppProcess(
      'dist/apps/all-in-one/src/main.js',
      { TOLLGATE_DATA_DIR: dataDir, TOLLGATE_BOOTSTRAP_KEY: key, TOLLGATE_MOCK_LATENCY_MS: '1500', LOG_LEVEL: 'log' },
      { port: await freePort() },
    );
    try {
      const call = slowCall(app.url, key);
      await call.sent;
      // The server answered a request sent after the slow one, so it has read the slow one too.
      expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
      app.child.kill('SIGTERM');

      const answered = await call.response;
      expect(answered.status).toBe(200);
      expect(JSON.parse(answered.body)).toMatchObject({ choices: [{ message: { content: 'finish me' } }] });
      expect(await app.exited).toBe(0);
      await expect(fetch(`${app.url}/healthz`)).rejects.toThrow();
      expect(app.output()).toContain('stopping: no new requests');
      expect(app.output()).toContain('stopped');
    } finally {
      await app.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
