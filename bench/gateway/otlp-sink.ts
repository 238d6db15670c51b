import { createServer } from 'node:http';
import { serveForParent } from './forked-server';

/**
 * Stands in for an OpenTelemetry collector: accepts OTLP/HTTP exports and drops them, counting
 * requests and bytes (GET /_bench/stats) so the report can show that spans were really exported.
 * Its own process, so the gateway pays for serialising and sending spans, not for receiving them.
 */
const stats = { requests: 0, bytes: 0 };

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/_bench/stats') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
    return;
  }
  req.on('data', (chunk: Buffer) => {
    stats.bytes += chunk.length;
  });
  req.on('end', () => {
    stats.requests += 1;
    // An empty ExportTraceServiceResponse: the same bytes in protobuf and JSON.
    const json = req.headers['content-type']?.includes('json') ?? false;
    res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : '');
  });
});
server.keepAliveTimeout = 65_000;
serveForParent(server);
