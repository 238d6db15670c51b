import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { sendJson } from './send-json';

describe('sendJson', () => {
  const server = createServer((req, res) => {
    res.setHeader('x-request-id', 'req_spec');
    if (req.url === '/error') return sendJson(res, 404, { error: { message: 'no such model: naïve', type: 'invalid_request_error', param: 'model', code: 'model_not_found' } });
    sendJson(res, 200, { text: 'ünïcödé ✓', n: 1 });
  });
  let origin = '';

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it.each([
    ['/', 200, { text: 'ünïcödé ✓', n: 1 }],
    ['/error', 404, { error: { message: 'no such model: naïve', type: 'invalid_request_error', param: 'model', code: 'model_not_found' } }],
  ])('answers %s with its status, a JSON content type and the byte length of a UTF-8 body', async (path, status, expected) => {
    const response = await request(`${origin}${path}`);
    const bytes = Buffer.from(await response.body.arrayBuffer());
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    // The whole body in one end(): a length, not chunked encoding, counted in bytes (the text has multi-byte characters).
    expect(response.headers['transfer-encoding']).toBeUndefined();
    expect(Number(response.headers['content-length'])).toBe(bytes.length);
    expect(bytes.length).toBeGreaterThan(JSON.stringify(expected).length);
    expect(JSON.parse(bytes.toString('utf8'))).toEqual(expected);
    expect(response.headers['x-request-id']).toBe('req_spec');
  });
});
