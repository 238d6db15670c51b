import type { ServerResponse } from 'node:http';

/**
 * Server-sent events in OpenAI's streaming format: `data: <json>\n\n` per chunk, `data: [DONE]`
 * at a clean end. Events go to the socket in the turn they are written (no compression, no proxy buffering).
 */
export class SseWriter {
  private started = false;
  private corked = false;
  private wroteFirst = false;

  constructor(private readonly res: ServerResponse) {}

  get isOpen(): boolean {
    return !this.res.writableEnded && !this.res.destroyed;
  }

  start(headers: Record<string, string>): void {
    if (this.started) return;
    this.started = true;
    this.res.statusCode = 200;
    this.res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    this.res.setHeader('cache-control', 'no-cache, no-transform');
    this.res.setHeader('connection', 'keep-alive');
    // nginx and similar proxies would otherwise hold the stream back.
    this.res.setHeader('x-accel-buffering', 'no');
    for (const [name, value] of Object.entries(headers)) this.res.setHeader(name, value);
    // No flushHeaders(): the first event follows at once and the headers leave with it.
  }

  data(payload: unknown): void {
    if (this.isOpen) this.write(`data: ${JSON.stringify(payload)}\n\n`);
  }

  /** A clean end: the client knows the answer is complete. */
  done(): void {
    if (!this.isOpen) return;
    this.write('data: [DONE]\n\n');
    this.end();
  }

  /**
   * The stream broke after it started: an error event in OpenAI's shape instead of a clean end,
   * so a client never mistakes a truncated answer for a complete one.
   */
  fail(error: { message: string; type: string; code: string | null }): void {
    if (!this.isOpen) return;
    this.write(`event: error\ndata: ${JSON.stringify({ error: { ...error, param: null } })}\n\n`);
    this.end();
  }

  /**
   * After the first event, events written in the same turn of the event loop (everything one
   * upstream read carried) leave in one socket write: corked at the first, uncorked on the next
   * tick. One write per event was a system call per chunk.
   */
  private write(text: string): void {
    if (!this.wroteFirst) {
      // The first event (with the headers) leaves at once: the client's time to first byte.
      this.wroteFirst = true;
      this.res.write(text);
      return;
    }
    if (!this.corked) {
      this.corked = true;
      this.res.cork();
      process.nextTick(() => this.uncork());
    }
    this.res.write(text);
  }

  /** Sends what is corked. Before end(): a chunked response keeps corked writes in its own buffer, which end() does not send. */
  private uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.res.uncork();
  }

  private end(): void {
    this.uncork();
    this.res.end();
  }
}
