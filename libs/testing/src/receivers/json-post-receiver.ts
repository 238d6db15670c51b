import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  /** The decoded JSON body. */
  body: unknown;
}

export interface RejectedRequest {
  path: string;
  status: number;
  reason: string;
  headers: IncomingHttpHeaders;
}

/** Why a request is refused, or undefined to accept it. */
export type Refusal = { status: number; reason: string } | undefined;

/**
 * A local HTTP endpoint that accepts JSON POSTs on fixed paths and records them, for tests that
 * check what an exporter really sent. Refused requests are recorded too, so a test that waits in
 * vain can say why.
 */
export abstract class JsonPostReceiver {
  private server: Server | undefined;
  private readonly accepted: ReceivedRequest[] = [];
  private readonly refused: RejectedRequest[] = [];
  private readonly listeners = new Set<() => void>();

  protected constructor(
    private readonly paths: readonly string[],
    private readonly label: string,
  ) {}

  /** Endpoint-specific checks (authentication, required headers), before the body is read. */
  protected abstract refuse(path: string, headers: IncomingHttpHeaders): Refusal;

  /** Listens on 127.0.0.1 on a free port; `url` is the base URL (no path). */
  async start(): Promise<{ url: string }> {
    if (this.server) throw new Error(`${this.label} is already started`);
    const server = createServer((request, response) => void this.handle(request, response));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections(); // exporters keep connections alive
    await closed;
  }

  /** Accepted requests, oldest first. */
  requests(): readonly ReceivedRequest[] {
    return this.accepted;
  }

  rejections(): readonly RejectedRequest[] {
    return this.refused;
  }

  /** Forgets everything received so far (between scenarios). */
  reset(): void {
    this.accepted.length = 0;
    this.refused.length = 0;
  }

  /**
   * Resolves once `condition` holds, re-checking on every arrival; rejects at the deadline with
   * `describe()` and any refusals.
   */
  protected until(condition: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!condition()) return;
        finish();
        resolve();
      };
      const timer = setTimeout(() => {
        finish();
        const refusals = this.refused.map((r) => `${r.status} ${r.path}: ${r.reason}`).join('; ');
        reject(new Error(`${this.label}: ${describe()} after ${timeoutMs} ms${refusals ? ` (refused: ${refusals})` : ''}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?', 1)[0] ?? '/';
    const refusal = this.screen(request, path);
    if (refusal) {
      request.resume();
      this.reply(response, refusal.status, { message: refusal.reason });
      this.refused.push({ path, headers: request.headers, ...refusal });
      this.notify();
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(decode(await readBody(request), request.headers['content-encoding']).toString('utf8'));
    } catch (error) {
      const reason = `unreadable JSON body: ${error instanceof Error ? error.message : String(error)}`;
      this.reply(response, 400, { message: reason });
      this.refused.push({ path, headers: request.headers, status: 400, reason });
      this.notify();
      return;
    }
    // Record before answering: once the exporter sees 200, the test can already see the data.
    this.accepted.push({ path, headers: request.headers, body });
    this.notify();
    this.reply(response, 200, {});
  }

  private screen(request: IncomingMessage, path: string): Refusal {
    if (!this.paths.includes(path)) return { status: 404, reason: `no endpoint ${path} (known: ${this.paths.join(', ')})` };
    if (request.method !== 'POST') return { status: 405, reason: `${request.method ?? '?'} is not allowed; POST` };
    const refusal = this.refuse(path, request.headers);
    if (refusal) return refusal;
    const type = (request.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase();
    // A protobuf exporter (the OTLP default) lands here: the test then fails loudly, not silently.
    if (type !== 'application/json') return { status: 415, reason: `content-type ${type || '(none)'}; this receiver takes OTLP/HTTP JSON (application/json)` };
    return undefined;
  }

  private reply(response: ServerResponse, status: number, body: object): void {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** OTEL_EXPORTER_OTLP_COMPRESSION=gzip is common; accept what a collector would. */
function decode(body: Buffer, encoding: string | undefined): Buffer {
  switch ((encoding ?? 'identity').toLowerCase()) {
    case 'identity':
      return body;
    case 'gzip':
      return gunzipSync(body);
    case 'deflate':
      return inflateSync(body);
    case 'br':
      return brotliDecompressSync(body);
    default:
      throw new Error(`unsupported content-encoding ${encoding}`);
  }
}
