import { createServer } from 'node:http';
import { Pool } from 'undici';
import { serveForParent } from './forked-server';

// The floor: the least a Node gateway must do (parse the body, forward over a keep-alive pool, read
// `usage`, reply). What the gateway adds above this is what Tollgate costs. Streams pass through.
const upstream = new Pool(process.env['BENCH_UPSTREAM_ORIGIN'] ?? 'http://127.0.0.1:1', { keepAliveTimeout: 30_000 });
const headers = { 'content-type': 'application/json', authorization: 'Bearer bench' };

// A JSON answer is gathered by a dispatch() handler, as the gateway does it, not through
// pool.request()'s body stream, whose calls outlive young-generation collections
// (libs/providers/src/http/upstream-http.ts): the floor is the best a Node proxy does.
function postForJson(body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    let status = 0;
    const parts: Buffer[] = [];
    upstream.dispatch(
      { method: 'POST', path: '/v1/chat/completions', headers, body },
      {
        onRequestStart: () => undefined,
        onResponseStart: (_controller, code) => void (status = code),
        onResponseData: (_controller, chunk) => void parts.push(chunk),
        onResponseEnd: () => resolve({ status, text: Buffer.concat(parts).toString('utf8') }),
        onResponseError: (_controller, error) => reject(error),
      },
    );
  });
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', async () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { stream?: boolean };
      if (body.stream === true) {
        const reply = await upstream.request({ method: 'POST', path: '/v1/chat/completions', headers, body: JSON.stringify(body) });
        res.writeHead(reply.statusCode, { 'content-type': 'text/event-stream' });
        for await (const chunk of reply.body) res.write(chunk);
        return void res.end();
      }
      const reply = await postForJson(JSON.stringify(body));
      const completion = JSON.parse(reply.text) as { usage?: { total_tokens?: number } };
      if (typeof completion.usage?.total_tokens !== 'number') throw new Error('the upstream sent no usage');
      res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(completion));
    } catch (error) {
      res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: String(error) } }));
    }
  });
});
// Idle connections stay open as long as the gateway keeps them (TOLLGATE_HTTP_KEEP_ALIVE_TIMEOUT_MS):
// the generator should not reconnect to one target and not to the other.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
serveForParent(server);
