import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FrontProxy, routeFor } from './front-proxy';

describe('routeFor', () => {
  const routes = [
    { prefix: '/v1', target: 'http://gateway' },
    { prefix: '/api/v1/similarity', target: 'http://similarity' },
    { prefix: '/api/v1/similarity-logs', target: 'http://similarity-logs' },
  ];

  it('matches a prefix, its sub-paths and its query, preferring the longest prefix', () => {
    expect(routeFor(routes, '/v1/chat/completions')?.target).toBe('http://gateway');
    expect(routeFor(routes, '/v1?x=1')?.target).toBe('http://gateway');
    expect(routeFor(routes, '/api/v1/similarity-logs?limit=1')?.target).toBe('http://similarity-logs');
    expect(routeFor(routes, '/api/v1/similarity/check')?.target).toBe('http://similarity');
  });

  it('does not match a path that merely starts with the same letters', () => {
    expect(routeFor(routes, '/v10/models')).toBeUndefined();
  });
});

describe('FrontProxy', () => {
  let upstream: Server;
  let proxy: FrontProxy;
  let proxyUrl: string;
  let release: () => void = () => undefined;

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: first ${req.url}\n\n`);
      release = () => res.end('data: [DONE]\n\n');
    });
    await new Promise<void>((done) => upstream.listen(0, '127.0.0.1', done));
    proxy = new FrontProxy([{ prefix: '/v1', target: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` }]);
    proxyUrl = await proxy.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await proxy.close();
    upstream.closeAllConnections();
    await new Promise((done) => upstream.close(done));
  });

  it('passes an SSE chunk on before the upstream response has ended', async () => {
    const res = await fetch(`${proxyUrl}/v1/chat/completions`, { method: 'POST', body: '{}' });
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('data: first /v1/chat/completions\n\n');
    release();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    expect(rest).toBe('data: [DONE]\n\n');
  });

  it('answers an unrouted path with 404 in the OpenAI error shape', async () => {
    const res = await fetch(`${proxyUrl}/nowhere`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });
});
