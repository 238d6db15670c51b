import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { traceHttpServerRequest } from '@tollgate/telemetry';
import { OpenAiHttpError } from '../errors/openai-error';
import { sendOpenAiError } from '../errors/openai-exception.filter';
import { assignRequestId } from './request-id';

/**
 * A hot route served by node:http directly, ahead of Express and Nest's per-request pipeline
 * (router, middleware chain, guards, pipes, param decorators, exception zone). On the gateway's
 * chat route that pipeline was about a tenth of the CPU per call (bench:gateway --profile). The
 * route can decline a request it does not handle the common way (say a compressed body) before
 * reading it: Express then serves it as before.
 */
export interface FastRoute {
  method: string;
  /** Exact path; a query string is allowed. */
  path: string;
  /** Whether this request is served here (synchronous, nothing read yet); false hands it to Express. */
  accepts(req: IncomingMessage): boolean;
  /** Serves the request; a thrown error is answered in OpenAI's shape (OpenAiHttpError as is, anything else a logged 500). */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

function matches(route: FastRoute, req: IncomingMessage): boolean {
  const url = req.url ?? '';
  return req.method === route.method && url.startsWith(route.path) && (url.length === route.path.length || url.charCodeAt(route.path.length) === 63 /* ? */) && route.accepts(req);
}

function serve(route: FastRoute, req: IncomingMessage, res: ServerResponse): Promise<void> {
  assignRequestId(req, res);
  // The route's server span and http.server.request.duration (instrumentation-http never sees it).
  return traceHttpServerRequest(req, res, route.path, async () => {
    try {
      await route.handle(req, res);
    } catch (error) {
      sendOpenAiError(req, res, error);
    }
  });
}

/**
 * Puts `route` in front of everything else that handles the server's requests: the Express app
 * and also instrumentation-http, which wraps `Server.prototype.emit` (the route makes its own
 * server span, see traceHttpServerRequest). An own `emit` on the server instance comes first;
 * every other event and request goes on to the prototype's. Call before the server listens,
 * e.g. from onApplicationBootstrap; several routes chain.
 */
export function installFastRoute(server: Server, route: FastRoute): void {
  const next = server.emit;
  server.emit = function emit(this: Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'request') {
      const [req, res] = args as [IncomingMessage, ServerResponse];
      if (matches(route, req)) {
        void serve(route, req, res);
        return true;
      }
    }
    return Reflect.apply(next, this, [event, ...args]) as boolean;
  } as Server['emit'];
}

const JSON_TYPE = /^application\/json\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

/**
 * Whether the body is plain UTF-8 JSON (no content encoding), the case `readJsonBody` reads.
 * Anything else (gzip, other charsets, other types) is left to body-parser on the framework path.
 */
export function isPlainJsonRequest(req: IncomingMessage): boolean {
  const type = req.headers['content-type'];
  const encoding = req.headers['content-encoding'];
  return type !== undefined && JSON_TYPE.test(type) && (encoding === undefined || encoding.toLowerCase() === 'identity');
}

/**
 * Reads and parses a UTF-8 JSON body of at most `limit` bytes, with body-parser's errors in
 * OpenAI's shape: 413 `request_too_large` (refused from Content-Length before reading when it
 * says so), 400 `invalid_json`, 400 `invalid_body` for a body cut short.
 */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(OpenAiHttpError.bodyTooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onError);
    };
    const fail = (error: OpenAiHttpError): void => {
      cleanup();
      // Drop the rest of the body; the response can still be sent.
      req.resume();
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) fail(OpenAiHttpError.bodyTooLarge(limit));
      else chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      const text = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)).toString('utf8');
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(OpenAiHttpError.invalidJson());
      }
    };
    // The client went away (or the socket failed) in the middle of its body.
    const onError = (): void => fail(OpenAiHttpError.invalidRequest('Could not read the request body (request.aborted).', null, 'invalid_body'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onError);
  });
}
