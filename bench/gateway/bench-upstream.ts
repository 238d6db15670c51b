import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { serveForParent } from './forked-server';

/**
 * An OpenAI-compatible upstream with a fixed small reply and no artificial latency, so that what
 * the benchmark measures above it is the proxy in front. Runs in its own process.
 *
 * GET /_bench/stats reports how many completions it served, so the orchestrator can check that
 * the gateway really forwarded to it (and not to a built-in mock).
 */

const REPLY = 'Hello from the benchmark upstream.';
const USAGE = { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 };
const stats = { completions: 0, streams: 0 };

interface ChatBody {
  model?: unknown;
  stream?: unknown;
  stream_options?: { include_usage?: unknown };
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function completion(model: string): unknown {
  return {
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: REPLY }, logprobs: null, finish_reason: 'stop' }],
    usage: USAGE,
  };
}

function stream(res: ServerResponse, model: string, includeUsage: boolean): void {
  const created = Math.floor(Date.now() / 1000);
  const chunk = (choices: unknown[], usage: unknown = null): string =>
    `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created, model, choices, usage })}\n\n`;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]));
  for (const word of REPLY.split(/(?<= )/)) res.write(chunk([{ index: 0, delta: { content: word }, finish_reason: null }]));
  res.write(chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]));
  if (includeUsage) res.write(chunk([], USAGE));
  res.end('data: [DONE]\n\n');
}

function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
  if (req.method === 'GET' && req.url === '/_bench/stats') return sendJson(res, 200, stats);
  if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
    return sendJson(res, 404, { error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error', param: null, code: null } });
  }
  let body: ChatBody;
  try {
    body = JSON.parse(raw) as ChatBody;
  } catch {
    return sendJson(res, 400, { error: { message: 'body is not JSON', type: 'invalid_request_error', param: null, code: null } });
  }
  const model = typeof body.model === 'string' ? body.model : 'bench-model';
  if (body.stream === true) {
    stats.streams += 1;
    return stream(res, model, body.stream_options?.include_usage === true);
  }
  stats.completions += 1;
  sendJson(res, 200, completion(model));
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
});
// Longer than any client pool's keep-alive (undici's 30 s in the gateway), so the server never
// closes a connection a client is about to reuse.
server.keepAliveTimeout = 65_000;
serveForParent(server);
