import type { ServerResponse } from 'node:http';

/**
 * Server-sent events in OpenAI's streaming format: `data: <json>\n\n` per chunk, `data: [DONE]`
 * at a clean end. Writes go straight to the socket (no compression, no proxy buffering).
 */
export class SseWriter {
  private started = false;

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
    this.res.flushHeaders();
  }

  data(payload: unknown): void {
    if (this.isOpen) this.res.write(`data: ${JSON.stringify(payload)}\n\n`);
  }

  /** A clean end: the client knows the answer is complete. */
  done(): void {
    if (!this.isOpen) return;
    this.res.write('data: [DONE]\n\n');
    this.res.end();
  }

  /**
   * The stream broke after it started: an error event in OpenAI's shape instead of a clean end,
   * so a client never mistakes a truncated answer for a complete one.
   */
  fail(error: { message: string; type: string; code: string | null }): void {
    if (!this.isOpen) return;
    this.res.write(`event: error\ndata: ${JSON.stringify({ error: { ...error, param: null } })}\n\n`);
    this.res.end();
  }
}
