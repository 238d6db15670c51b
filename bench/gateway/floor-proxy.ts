import { createServer } from 'node:http';
import { Pool } from 'undici';
import { serveForParent } from './forked-server';
import type { FloorWork } from './floor-work';

// The floor: the least a Node gateway must do (parse the body, forward over a keep-alive pool, read
// `usage`, reply). What the gateway adds above this is what Tollgate costs. Streams pass through.
const upstream = new Pool(process.env['BENCH_UPSTREAM_ORIGIN'] ?? 'http://127.0.0.1:1', { keepAliveTimeout: 30_000 });
const headers = { 'content-type': 'application/json', authorization: 'Bearer bench' };
// The bench's `work-floor` target: the same proxy, also doing the per-call work (floor-work.ts).
let work: FloorWork | undefined;

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
  if (work && req.url === '/_bench/work') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(work.stats()));
  const startedAt = work && Date.now();
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', async () => {
    try {
      const text = Buffer.concat(chunks).toString('utf8');
      const body = JSON.parse(text) as { stream?: boolean };
      if (body.stream === true) {
        const reply = await upstream.request({ method: 'POST', path: '/v1/chat/completions', headers, body: JSON.stringify(body) });
        res.writeHead(reply.statusCode, { 'content-type': 'text/event-stream' });
        for await (const chunk of reply.body) res.write(chunk);
        res.end();
        return void work?.record({ startedAt: startedAt!, body, text, status: reply.statusCode });
      }
      const reply = await postForJson(JSON.stringify(body));
      const completion = JSON.parse(reply.text) as { model?: string; usage?: { total_tokens?: number }; choices?: Array<{ finish_reason?: string }> };
      if (typeof completion.usage?.total_tokens !== 'number') throw new Error('the upstream sent no usage');
      res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(completion));
      work?.record({ startedAt: startedAt!, body, text, status: reply.status, usage: completion.usage, responseModel: completion.model, finishReason: completion.choices?.[0]?.finish_reason });
    } catch (error) {
      res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: String(error) } }));
    }
  });
});
// Idle connections stay open as long as the gateway keeps them (TOLLGATE_HTTP_KEEP_ALIVE_TIMEOUT_MS):
// the generator should not reconnect to one target and not to the other.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
const brokers = process.env['BENCH_FLOOR_WORK_BROKERS'];
if (brokers) {
  // Loaded only for the work floor: the plain floor loads no OpenTelemetry or kafkajs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only here; see floor-work.ts on require
  const { floorWorkParts, startFloorWork } = require('./floor-work') as typeof import('./floor-work');
  void Promise.resolve()
    .then(() => startFloorWork(brokers.split(','), undefined, floorWorkParts(process.env['BENCH_FLOOR_WORK_PARTS'])))
    .then((started) => {
      work = started;
      serveForParent(server);
    })
    .catch((error: unknown) => {
      console.error(`work floor: could not start: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    });
} else {
  serveForParent(server);
}
