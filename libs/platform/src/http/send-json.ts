import type { ServerResponse } from 'node:http';

/**
 * Ends `res` with `body` as JSON (UTF-8), as Express's `res.status().json()` did. Its
 * Content-Length is Node's: `end()` with the whole body and no length set sends the body's byte
 * length, not chunks (send-json.spec.ts), so this sets no header of its own for it: one header
 * less to check and store per response (the gateway's response headers cost it ~7 µs per call
 * more than the bench's floor proxy spends on its one, docs/benchmarks.md, eighteenth session).
 */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}
