import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { UpstreamStream } from './upstream-stream';

/** Polls `check` until it holds, failing after `ms` (no fixed sleeps). */
async function until(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface Served {
  req: IncomingMessage;
  res: ServerResponse;
  closed: boolean;
}

describe('UpstreamStream', () => {
  let server: Server;
  let pool: Pool;
  let handle: (served: Served) => void = () => undefined;
  const served: Served[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const entry: Served = { req, res, closed: false };
      served.push(entry);
      res.on('close', () => (entry.closed = true));
      req.resume();
      req.on('end', () => handle(entry));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { keepAliveTimeout: 30_000 });
  });
  afterAll(async () => {
    await pool.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const post = { method: 'POST' as const, path: '/stream', headers: { 'content-type': 'application/json' }, body: '{}' };
  const noAbort = (): AbortSignal => new AbortController().signal;

  it('hands the chunks over in order and ends; a released whole answer keeps its connection', async () => {
    handle = ({ res }) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      setImmediate(() => res.end('data: two\n\n'));
    };
    const ports = new Set<number | undefined>();
    for (let call = 0; call < 5; call++) {
      const opened = await UpstreamStream.open(pool, post, noAbort());
      expect(opened.statusCode).toBe(200);
      expect(opened.headers['content-type']).toBe('text/event-stream');
      let text = '';
      for await (const chunk of opened.body) text += Buffer.from(chunk).toString('utf8');
      expect(text).toBe('data: one\n\ndata: two\n\n');
      opened.body.release(true);
      ports.add(served.at(-1)!.req.socket.remotePort);
    }
    // The pool may open a second socket while the first is being handed back; never one per call.
    expect(ports.size).toBeLessThanOrEqual(2);
  });

  it('pauses the socket while the reader lags, and resumes it: nothing lost, memory bounded', async () => {
    // 8 MB in 64 KB writes, as fast as the socket takes them.
    const chunk = Buffer.alloc(64 * 1024);
    const total = 128;
    const sent = createHash('sha256');
    let written = 0;
    handle = ({ res }) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const pump = (): void => {
        while (written < total) {
          chunk.fill(written % 251);
          sent.update(chunk);
          written += 1;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    };
    const opened = await UpstreamStream.open(pool, post, noAbort());
    const stream = opened.body as unknown as { buffered: number; controller?: { paused: boolean } };
    // Nobody reads: undici must be told to stop reading once 256 KB wait.
    await until(() => stream.controller?.paused === true, 'the socket to be paused');
    expect(stream.buffered).toBeGreaterThanOrEqual(256 * 1024);
    expect(stream.buffered).toBeLessThan(256 * 1024 + 2 * chunk.length);
    expect(written).toBeLessThan(total);
    const received = createHash('sha256');
    let bytes = 0;
    for await (const part of opened.body) {
      received.update(part);
      bytes += part.length;
    }
    expect(bytes).toBe(total * chunk.length);
    expect(received.digest('hex')).toBe(sent.digest('hex'));
  });

  it('closes the connection when released before the end', async () => {
    handle = ({ res }) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
    };
    const opened = await UpstreamStream.open(pool, post, noAbort());
    const iterator = opened.body[Symbol.asyncIterator]();
    expect(Buffer.from((await iterator.next()).value as Uint8Array).toString()).toBe('data: first\n\n');
    opened.body.release(false);
    await until(() => served.at(-1)!.closed, 'the upstream to see its connection closed');
    await expect(iterator.next()).rejects.toThrow(/released before its end/);
  });

  it("stops with the caller's reason when its signal fires, before the headers and mid-body", async () => {
    handle = () => undefined; // never answers
    const early = new AbortController();
    const opening = UpstreamStream.open(pool, post, early.signal);
    await until(() => served.length > 0 && !served.at(-1)!.closed && served.at(-1)!.res.headersSent === false, 'the request to arrive');
    early.abort(new Error('client went away'));
    await expect(opening).rejects.toThrow('client went away');
    await until(() => served.at(-1)!.closed, 'the unanswered request to be closed');

    handle = ({ res }) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
    };
    const late = new AbortController();
    const opened = await UpstreamStream.open(pool, post, late.signal);
    const iterator = opened.body[Symbol.asyncIterator]();
    await iterator.next();
    late.abort(new Error('client went away mid-stream'));
    await expect(iterator.next()).rejects.toThrow('client went away mid-stream');
    await until(() => served.at(-1)!.closed, 'the streaming request to be closed');
  });

  it('refuses at once for a signal that already fired, sending nothing', async () => {
    const before = served.length;
    const controller = new AbortController();
    controller.abort(new Error('gone already'));
    await expect(UpstreamStream.open(pool, post, controller.signal)).rejects.toThrow('gone already');
    expect(served.length).toBe(before);
  });

  it("gathers an error answer's text", async () => {
    handle = ({ res }) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.write('{"error":');
      setImmediate(() => res.end('{"message":"overloaded"}}'));
    };
    const opened = await UpstreamStream.open(pool, post, noAbort());
    expect(opened.statusCode).toBe(503);
    expect(await opened.body.text()).toBe('{"error":{"message":"overloaded"}}');
  });

  it('reports a connection that dies mid-body as an error of the read', async () => {
    handle = ({ res }) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n', () => setImmediate(() => res.socket?.destroy()));
    };
    const opened = await UpstreamStream.open(pool, post, noAbort());
    const iterator = opened.body[Symbol.asyncIterator]();
    await iterator.next();
    await expect(iterator.next()).rejects.toMatchObject({ code: expect.stringMatching(/^UND_ERR/) as unknown });
  });
});
