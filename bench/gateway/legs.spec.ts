import { createServer, request as httpRequest } from 'node:http';
import { Pool } from 'undici';
import { formatLegs, parseLegsLines, recordLegs } from './legs';
import type { LegsLine } from './legs';
import { close, listen } from './spec-servers';

/** The upstream answers after `UPSTREAM_MS`; the proxy waits `OWN_MS` before it forwards. */
const UPSTREAM_MS = 15;
const OWN_MS = 10;

/** A POST through node:http's client (not undici, so that only the proxy's upstream calls are undici's). */
function post(origin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${origin}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (chunk: Buffer) => parts.push(chunk));
      res.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end('{"model":"m"}');
  });
}

describe('legs (a proxy\'s stay against its upstream exchange, from diagnostics channels)', () => {
  const upstream = createServer((_req, res) => {
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"usage":{"total_tokens":3}}'), UPSTREAM_MS);
  });
  let pool: Pool;
  const proxy = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      setTimeout(() => {
        void pool
          .request({ method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body: '{"model":"m"}' })
          .then(async (reply) => res.writeHead(reply.statusCode, { 'content-type': 'application/json' }).end(await reply.body.text()));
      }, OWN_MS);
    });
  });
  let proxyOrigin: string;

  beforeAll(async () => {
    pool = new Pool(await listen(upstream));
    proxyOrigin = await listen(proxy);
  });

  afterAll(async () => {
    await pool.close();
    await Promise.all([close(proxy), close(upstream)]);
  });

  it('times the stay of the proxy\'s own requests and its upstream exchanges apart', async () => {
    const recorder = recordLegs({ server: proxy });
    for (let i = 0; i < 8; i++) expect(await post(proxyOrigin)).toBe('{"usage":{"total_tokens":3}}');
    const report = recorder.stop();
    // The upstream server's own requests (same process) are not the proxy's stays.
    expect(report.stay.count).toBe(8);
    expect(report.upstream.count).toBe(8);
    expect(report.upstreamHeaders.count).toBe(8);
    expect(report.upstream.p50).toBeGreaterThanOrEqual(UPSTREAM_MS - 1);
    expect(report.upstreamHeaders.p50).toBeLessThanOrEqual(report.upstream.p50);
    // What the proxy did itself (its wait before forwarding) is the stay minus the exchange.
    expect(report.stay.p50 - report.upstream.p50).toBeGreaterThanOrEqual(OWN_MS - 1);
    expect(report.stay.p50).toBeGreaterThanOrEqual(UPSTREAM_MS + OWN_MS - 2);
  });

  it('counts only what finishes inside its window, and nothing once stopped', async () => {
    const late = recordLegs({ server: proxy, fromMs: 60_000 });
    const stopped = recordLegs({ server: proxy });
    stopped.stop();
    await post(proxyOrigin);
    const report = late.stop();
    expect(report.stay.count).toBe(0);
    expect(report.upstream.count).toBe(0);
    // Stopped before the request: it no longer listens, so a second stop() still has nothing.
    const again = stopped.stop();
    expect(again.stay.count).toBe(0);
    expect(again.upstream.count).toBe(0);
  });

  it('reads back the preload\'s lines and lists the processes that proxied', () => {
    const percentilesOf = (p50: number, count = 100) => ({ count, p50, p90: p50 * 2, p99: p50 * 4, max: p50 * 5, mean: p50 });
    const lines: LegsLine[] = [
      { pid: 11, script: 'floor-proxy.js', report: { stay: percentilesOf(0.4), upstream: percentilesOf(0.25), upstreamHeaders: percentilesOf(0.24) } },
      // The upstream serves but sends nothing: not a proxy, not listed.
      { pid: 12, script: 'bench-upstream.js', report: { stay: percentilesOf(0.05), upstream: percentilesOf(Number.NaN, 0), upstreamHeaders: percentilesOf(Number.NaN, 0) } },
    ];
    const parsed = parseLegsLines(lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
    expect(parsed[0]).toEqual(lines[0]);
    // JSON has no NaN: a process without upstream calls reads back with null figures and a count of 0.
    expect(parsed[1]?.report.upstream.count).toBe(0);
    const rows = formatLegs(parsed);
    expect(rows).toHaveLength(3);
    expect(rows[2]).toBe('| floor-proxy.js (11) | 100 | 0.400 / 0.800 | 0.250 / 0.500 | 0.240 | 0.150 / 0.300 |');
  });
});
