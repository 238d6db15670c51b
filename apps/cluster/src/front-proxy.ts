import { request as httpRequest, createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A path prefix and the service base URL that serves it (docs ARCHITECTURE.md, "HTTP routes"). */
export interface ProxyRoute {
  prefix: string;
  target: string;
}

/** The longest matching prefix wins; a prefix matches itself, `prefix/...` and `prefix?...`. */
export function routeFor(routes: readonly ProxyRoute[], path: string): ProxyRoute | undefined {
  let best: ProxyRoute | undefined;
  for (const route of routes) {
    const p = route.prefix;
    const matches = path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`) || path.startsWith(`${p}?`);
    if (matches && (!best || p.length > best.prefix.length)) best = route;
  }
  return best;
}

// Hop-by-hop headers (RFC 9110 §7.6.1) are not forwarded.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

function forwardable(headers: IncomingMessage['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

function openAiError(res: ServerResponse, status: number, message: string, code: string): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { message, type: 'api_error', param: null, code } }));
}

/**
 * The cluster's single entry point, standing in for the Kubernetes Ingress: routes by path prefix
 * and pipes bodies both ways without buffering, so SSE chunks reach the client as they are written.
 */
export class FrontProxy {
  private server: Server | undefined;

  constructor(
    private readonly routes: readonly ProxyRoute[],
    /** Answers paths no service owns (the proxy's own /healthz and /readyz). */
    private readonly local: (req: IncomingMessage, res: ServerResponse) => boolean = () => false,
  ) {}

  async listen(port: number, host: string): Promise<string> {
    const server = createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 65_000;
    this.server = server;
    await new Promise<void>((done, fail) => {
      server.once('error', fail);
      server.listen(port, host, () => done());
    });
    const address = server.address() as AddressInfo;
    return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeIdleConnections();
    await new Promise<void>((done) => server.close(() => done()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = req.url ?? '/';
    const route = routeFor(this.routes, path);
    if (!route) {
      if (this.local(req, res)) return;
      return openAiError(res, 404, `No Tollgate service serves ${path}. Routes: ${this.routes.map((r) => r.prefix).join(', ')}`, 'not_found');
    }
    const target = new URL(path, route.target);
    const upstream = httpRequest(target, { method: req.method, headers: { ...forwardable(req.headers), host: target.host, 'x-forwarded-host': req.headers.host ?? '' } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, forwardable(answer.headers));
      // Flush headers at once (SSE) and pass every chunk on as it comes.
      res.flushHeaders();
      answer.pipe(res);
    });
    upstream.on('error', (error) => openAiError(res, 502, `The ${route.prefix} service at ${route.target} did not answer (${error.message}); is it running?`, 'upstream_unavailable'));
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }
}
