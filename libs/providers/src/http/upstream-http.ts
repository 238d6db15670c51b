import type { IncomingHttpHeaders } from 'node:http';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { ProviderError } from '../provider';
import { parseRetryAfter } from './retry-after';
import { providerErrorForStatus } from './upstream-errors';
import { UpstreamStream, abortReason } from './upstream-stream';
import type { OpenedStream } from './upstream-stream';

export interface UpstreamHttpOptions {
  /** Names the upstream in error messages, e.g. `openai deployment "gpt-4o-us"`. */
  label: string;
  /** Origin plus an optional path prefix (`https://api.openai.com/v1`). */
  baseUrl: string;
  /** Whole-call deadline for JSON calls; time to first byte and longest silence for streams. */
  timeoutMs: number;
  /** Strings scrubbed from upstream error bodies before they are kept (the API key). */
  secrets: readonly string[];
}

/** A whole answer of postJson's: status, headers and body. */
interface BufferedResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Upstream error bodies are small; a misrouted HTML page is not worth keeping whole. */
const MAX_KEPT_ERROR_TEXT = 16 * 1024;

/** A JSON call's whole-call deadline passed. */
class DeadlinePassed extends Error {
  override readonly name = 'TimeoutError';
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * One deployment's HTTP client: a keep-alive undici Pool on the upstream's origin, JSON and SSE
 * POSTs, and the translation of every transport failure and error status into a ProviderError.
 */
export class UpstreamHttp {
  private readonly pool: Pool;
  private readonly pathPrefix: string;

  constructor(private readonly options: UpstreamHttpOptions) {
    const url = new URL(options.baseUrl);
    this.pathPrefix = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, {
      // A connect that takes longer than the whole call may is already a failure.
      connect: { timeout: Math.min(options.timeoutMs, 10_000) },
      keepAliveTimeout: 30_000,
    });
  }

  /** POSTs JSON and returns the parsed 2xx body; the deployment's timeout bounds the whole call. */
  async postJson(path: string, headers: Record<string, string>, body: unknown, signal: AbortSignal): Promise<unknown> {
    let response: BufferedResponse;
    try {
      response = await this.postBuffered(path, headers, body, signal);
    } catch (error) {
      throw this.transportError(error, signal, error instanceof DeadlinePassed);
    }
    const text = response.body.toString('utf8');
    if (response.statusCode >= 300) throw this.statusError(response.statusCode, response.headers, text);
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new ProviderError(`${this.options.label} answered with a body that is not JSON`, 'server_error', { status: response.statusCode, cause: error });
    }
  }

  /**
   * POSTs JSON and returns the open SSE body of a 2xx answer. The timeout bounds the wait for the
   * response headers and each silence between chunks, not the whole stream: a long answer may
   * legitimately stream for longer than any sensible first-byte deadline.
   */
  async openStream(path: string, headers: Record<string, string>, body: unknown, signal: AbortSignal): Promise<UpstreamStream> {
    let response: OpenedStream;
    try {
      response = await this.sendForStream(path, headers, body, signal);
    } catch (error) {
      throw this.transportError(error, signal);
    }
    // An error answer's text, or '' if it cannot be read: the status alone still classifies it.
    if (response.statusCode >= 300) throw this.statusError(response.statusCode, response.headers, await response.body.text());
    return response.body;
  }

  /** What a failure while reading an open stream means: the caller's abort, silence, or a cut. */
  streamReadError(error: unknown, signal: AbortSignal, deltasSeen: number): ProviderError {
    if (error instanceof ProviderError) return error;
    if (signal.aborted) return new ProviderError(`${this.options.label}: the stream was aborted by the caller`, 'timeout', { cause: error });
    if (errorCode(error) === 'UND_ERR_BODY_TIMEOUT') {
      return new ProviderError(`${this.options.label} went silent for ${this.options.timeoutMs} ms mid-stream`, 'timeout', { cause: error });
    }
    return this.streamCut(`the connection failed after ${deltasSeen} chunk(s)`, error);
  }

  streamCut(reason: string, cause?: unknown): ProviderError {
    return new ProviderError(`${this.options.label}: the stream was cut: ${reason}`, 'stream_cut', { cause });
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /** A stream's POST through dispatch() (UpstreamStream): undici's own timers bound the wait for headers and each silence. */
  private sendForStream(path: string, headers: Record<string, string>, body: unknown, signal: AbortSignal): Promise<OpenedStream> {
    const { timeoutMs } = this.options;
    return UpstreamStream.open(this.pool, this.post(path, headers, body, 'text/event-stream', timeoutMs), signal);
  }

  /** A JSON POST to the upstream, answered as `accept`; `timeoutMs` for undici's header and body timers (null: none). */
  private post(path: string, headers: Record<string, string>, body: unknown, accept: string, timeoutMs: number | null): Dispatcher.DispatchOptions {
    return {
      method: 'POST',
      path: this.pathPrefix + path,
      headers: { ...headers, 'content-type': 'application/json', accept },
      body: JSON.stringify(body),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    };
  }

  /**
   * POSTs JSON and gathers the whole answer, through the pool's dispatch API with a handler that
   * only collects chunks. Not pool.request(): behind its body stream (a Node Readable) a call's
   * objects outlived young-generation collections. In bench:gateway at 500 req/s about 25 KB per
   * call survived each scavenge and was promoted, which meant scavenges of 6–16 ms and
   * mark-compacts about once a second. The bench's floor proxy kept 4–46 KB per scavenge with
   * dispatch() and 1–10 MB with request() (docs/benchmarks.md, sixth session).
   */
  private postBuffered(path: string, headers: Record<string, string>, body: unknown, signal: AbortSignal): Promise<BufferedResponse> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(abortReason(signal));
      let statusCode = 0;
      let responseHeaders: IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      let started: Dispatcher.DispatchController | undefined;
      // The caller's abort and the whole-call deadline both stop the call at once, also while it
      // still waits for a connection (no controller yet: the promise settles now and the controller
      // is aborted the moment it comes). Not AbortSignal.timeout() or AbortSignal.any(): the first
      // keeps its timer (and the call's async context) until it fires, 120 s by default; the second
      // tracks its sources through weak references and cost more per call (bench:gateway --profile).
      let stopped: Error | undefined;
      const settled = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onCallerAbort);
      };
      const stop = (reason: Error): void => {
        settled();
        stopped ??= reason;
        started?.abort(stopped);
        reject(stopped);
      };
      const onCallerAbort = (): void => stop(abortReason(signal));
      const timer = setTimeout(() => stop(new DeadlinePassed(`no answer within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
      signal.addEventListener('abort', onCallerAbort, { once: true });
      this.pool.dispatch(
        // The whole-call deadline above bounds JSON calls, not undici's own timers.
        this.post(path, headers, body, 'application/json', null),
        {
          onRequestStart(controller) {
            if (stopped) return controller.abort(stopped);
            started = controller;
          },
          onResponseStart(_controller, status, received) {
            statusCode = status;
            responseHeaders = received;
          },
          onResponseData(_controller, chunk) {
            chunks.push(chunk);
          },
          onResponseEnd() {
            settled();
            resolve({ statusCode, headers: responseHeaders, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) });
          },
          onResponseError(_controller, error) {
            settled();
            reject(error);
          },
        },
      );
    });
  }

  /** `deadlinePassed`: the whole-call deadline of a JSON call stopped it. */
  private transportError(error: unknown, signal: AbortSignal, deadlinePassed = false): ProviderError {
    const { label, timeoutMs } = this.options;
    if (signal.aborted) return new ProviderError(`${label}: the call was aborted by the caller`, 'timeout', { cause: error });
    const code = errorCode(error);
    if (deadlinePassed || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      return new ProviderError(`${label} did not answer within ${timeoutMs} ms`, 'timeout', { cause: error });
    }
    const reason = code ?? (error instanceof Error ? error.message : String(error));
    return new ProviderError(`${label} could not be reached (${reason})`, 'connection', { cause: error });
  }

  private statusError(statusCode: number, headers: IncomingHttpHeaders, body: string): ProviderError {
    let text = body;
    for (const secret of this.options.secrets) if (secret) text = text.split(secret).join('[redacted]');
    let upstreamBody: unknown = text.slice(0, MAX_KEPT_ERROR_TEXT);
    try {
      upstreamBody = JSON.parse(text);
    } catch {
      // Not JSON (a proxy's HTML page, say): keep the text.
    }
    return providerErrorForStatus(this.options.label, statusCode, { retryAfterMs: parseRetryAfter(headers), upstreamBody });
  }
}
