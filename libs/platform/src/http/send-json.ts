import type { ServerResponse } from 'node:http';

/** Ends `res` with `body` as JSON (UTF-8, with its length), as Express's `res.status().json()` did. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(json));
  res.end(json);
}
