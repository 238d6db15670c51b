import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

/** Bytes an upstream stream may buffer ahead of its reader before the socket is paused. */
const HIGH_WATER_BYTES = 256 * 1024;
/** Bytes of a finished stream's tail read (and dropped) to keep its connection; past that the socket is closed. */
const MAX_DRAIN_BYTES = 64 * 1024;

/** What `open()` resolves to: the status and headers, and the body to read (a 2xx) or gather (an error). */
export interface OpenedStream {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: UpstreamStream;
}

/**
 * The body of a streamed upstream answer, fed by an undici dispatch() handler: chunks are handed
 * to the reader as they arrive, with no Node Readable between the socket and the SSE parser.
 *
 * Written here rather than using pool.request()'s body stream, for the reason the JSON calls left
 * it (postBuffered): behind that Readable a call's objects outlived young-generation collections.
 * It did not move the streaming first byte measurably (bench:gateway --stream-only, three pooled
 * rounds: +1.36 ms over the upstream before, +1.34 ms after; docs/benchmarks.md, ninth session).
 *
 * Backpressure: past HIGH_WATER_BYTES not yet read, the socket is paused until the reader catches
 * up. A reader that stops early calls release(): a finished answer's short tail is read and dropped
 * so the connection stays in the pool; anything else aborts the request (and its socket).
 */
export class UpstreamStream implements AsyncIterable<Uint8Array> {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private controller: Dispatcher.DispatchController | undefined;
  private draining = false;
  private drained = 0;
  private opened: { resolve: (opened: OpenedStream) => void; reject: (error: Error) => void } | undefined;
  private readonly onAbort = (): void => this.abort(abortReason(this.signal));

  private constructor(private readonly signal: AbortSignal) {}

  /**
   * Dispatches the request on `dispatcher` and resolves once the response's status and headers
   * arrived (or rejects with the transport's error, or the signal's reason when it fires first).
   */
  static open(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions, signal: AbortSignal): Promise<OpenedStream> {
    const stream = new UpstreamStream(signal);
    return new Promise<OpenedStream>((resolve, reject) => {
      if (signal.aborted) return reject(abortReason(signal));
      stream.opened = { resolve, reject };
      signal.addEventListener('abort', stream.onAbort, { once: true });
      dispatcher.dispatch(options, stream.handler());
    });
  }

  /** The body's text, gathered to its end (an error answer's, say); '' if it cannot be read. */
  async text(): Promise<string> {
    const parts: Uint8Array[] = [];
    try {
      for await (const chunk of this) parts.push(chunk);
    } catch {
      return '';
    }
    return Buffer.concat(parts).toString('utf8');
  }

  /**
   * Lets go of the body. `complete`: the answer is whole, so what is left (the terminating chunk,
   * a few bytes) is read and dropped and the connection stays for the next call; otherwise the
   * request is aborted and its socket closed.
   */
  release(complete: boolean): void {
    // Ended or failed: nothing left to read, and the signal was let go of then.
    if (this.ended || this.failure) return;
    if (!complete) return this.abort(new Error('the upstream stream was released before its end'));
    this.draining = true;
    this.chunks.length = 0;
    this.buffered = 0;
    if (this.controller?.paused) this.controller.resume();
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return { next: () => this.next() };
  }

  private async next(): Promise<IteratorResult<Uint8Array>> {
    for (;;) {
      const chunk = this.chunks.shift();
      if (chunk !== undefined) {
        this.buffered -= chunk.length;
        if (this.controller?.paused && this.buffered < HIGH_WATER_BYTES / 2) this.controller.resume();
        return { value: chunk, done: false };
      }
      if (this.failure) throw this.failure;
      if (this.ended) return { value: undefined, done: true };
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Stops the stream for a reason of ours (the caller's abort, a release): the stream fails with it first, so undici's error that follows is ignored. */
  private abort(reason: Error): void {
    this.fail(reason);
    this.controller?.abort(reason);
  }

  private fail(error: Error): void {
    if (this.ended || this.failure) return;
    this.failure = error;
    this.detach();
    if (this.opened) {
      this.opened.reject(error);
      this.opened = undefined;
    }
    this.notify();
  }

  private detach(): void {
    this.signal.removeEventListener('abort', this.onAbort);
  }

  private handler(): Dispatcher.DispatchHandler {
    return {
      onRequestStart: (controller) => {
        this.controller = controller;
        // Stopped while it waited for a connection: only a reason of ours can have failed it yet.
        if (this.failure) controller.abort(this.failure);
      },
      onResponseStart: (_controller, statusCode, headers) => {
        const opened = this.opened;
        this.opened = undefined;
        opened?.resolve({ statusCode, headers, body: this });
      },
      onResponseData: (controller, chunk) => {
        if (this.draining) {
          this.drained += chunk.length;
          if (this.drained > MAX_DRAIN_BYTES) this.abort(new Error(`the upstream stream went on for more than ${MAX_DRAIN_BYTES} bytes after its end`));
          return;
        }
        this.chunks.push(chunk);
        this.buffered += chunk.length;
        if (this.buffered >= HIGH_WATER_BYTES && !controller.paused) controller.pause();
        this.notify();
      },
      onResponseEnd: () => {
        if (this.failure) return;
        this.ended = true;
        this.detach();
        this.notify();
      },
      onResponseError: (_controller, error) => {
        // After our own abort the stream has already failed with its reason, and this does nothing.
        this.fail(error);
      },
    };
  }
}

/** The error a stream stops with when the call's signal fired (its reason, if an Error). */
export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason ?? 'aborted'));
}
