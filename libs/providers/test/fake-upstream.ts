import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeploymentSchema } from '../src/deployment';
import type { Deployment, DeploymentInput } from '../src/deployment';

/**
 * A local node:http server standing in for a provider's API (whose cloud cannot run here): it
 * records what the adapter sent and answers with recorded-shape fixtures.
 */
export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** The client's port: one port across requests means one kept-alive connection. */
  remotePort: number | undefined;
}

export type UpstreamReply = (request: RecordedRequest, response: ServerResponse) => void;

export class FakeUpstream {
  readonly requests: RecordedRequest[] = [];
  private reply: UpstreamReply = (_request, response) => {
    response.statusCode = 404;
    response.end();
  };

  private readonly server: Server;
  /** `http://127.0.0.1:<port>`, once started. */
  url = '';

  private constructor() {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const recorded: RecordedRequest = { method: request.method ?? '', path: request.url ?? '', headers: request.headers, body: text ? (JSON.parse(text) as unknown) : undefined, remotePort: request.socket.remotePort };
        this.requests.push(recorded);
        this.reply(recorded, response);
      });
    });
  }

  static async start(): Promise<FakeUpstream> {
    const upstream = new FakeUpstream();
    await new Promise<void>((resolve) => upstream.server.listen(0, '127.0.0.1', resolve));
    const { port } = upstream.server.address() as AddressInfo;
    upstream.url = `http://127.0.0.1:${port}`;
    return upstream;
  }

  /** Sets how the next requests are answered. */
  answer(reply: UpstreamReply): void {
    this.reply = reply;
  }

  get lastRequest(): RecordedRequest {
    const last = this.requests.at(-1);
    if (!last) throw new Error('the fake upstream received no request');
    return last;
  }

  async close(): Promise<void> {
    // Hanging requests from timeout tests must not keep the server open.
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export function fixture(dir: string, name: string): string {
  return readFileSync(`${dir}/fixtures/${name}`, 'utf8');
}

export function json(status: number, body: string | object, headers: OutgoingHttpHeaders = {}): UpstreamReply {
  return (_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
}

/**
 * Streams an SSE fixture. `cutAfterEvents` sends only that many events, then
 * destroys the socket (`cut: 'destroy'`, a dead connection), ends the response cleanly
 * (`cut: 'end'`, an upstream that stopped early) or keeps it open in silence (`cut: 'hold'`).
 */
export function sse(text: string, options: { cutAfterEvents?: number; cut?: 'destroy' | 'end' | 'hold'; endAfterMs?: number } = {}): UpstreamReply {
  const events = text.split(/\n\n/).filter((event) => event.trim() !== '');
  return (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const sent = options.cutAfterEvents === undefined ? events : events.slice(0, options.cutAfterEvents);
    const payload = sent.map((event) => `${event}\n\n`).join('');
    if (options.cutAfterEvents === undefined) {
      // endAfterMs: the terminal event arrives before the end of the response, as over a real network.
      if (options.endAfterMs === undefined) response.end(payload);
      else response.write(payload, () => setTimeout(() => response.end(), options.endAfterMs));
      return;
    }
    response.write(payload, () => {
      if (options.cut === 'end') response.end();
      else if (options.cut !== 'hold') response.socket?.destroy();
    });
  };
}

/** Never answers: for timeouts. */
export const silence: UpstreamReply = () => undefined;

export function deployment(input: Partial<DeploymentInput> & Pick<DeploymentInput, 'provider'>): Deployment {
  return DeploymentSchema.parse({ id: `${input.provider}-test`, publicModel: 'test-model', model: 'test-model', region: 'us', ...input });
}

/** A port nothing listens on: bound, then released. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** Every event a stream yields, and the error it ended with, if any. */
export async function drain<T>(stream: AsyncIterable<T>): Promise<{ events: T[]; error: unknown }> {
  const events: T[] = [];
  try {
    for await (const event of stream) events.push(event);
    return { events, error: undefined };
  } catch (error) {
    return { events, error };
  }
}
