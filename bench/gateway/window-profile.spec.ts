import { createServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatWindowCosts, profileWindow, windowCosts } from './window-profile';
import type { WindowProfile } from './window-profile';
import { close, listen } from './spec-servers';

/** CPU each request to the busy server costs it, spent in a handler of its own name. */
const BURN_MS = 2;

function burnForRequest(_req: IncomingMessage, res: ServerResponse): void {
  const until = performance.now() + BURN_MS;
  let x = 0;
  // Mostly arithmetic between the clock reads: the samples land in this function's own code.
  while (performance.now() < until) for (let i = 0; i < 10_000; i++) x = (x * 31 + i) % 1_000_003;
  res.end(String(x));
}

function get(origin: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(origin, (res) => {
      res.resume();
      res.on('end', () => resolve());
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('window profile (a CPU profile over a window of served requests, per request)', () => {
  const busy = createServer(burnForRequest);
  const idle = createServer((_req, res) => res.end('ok'));
  let busyOrigin: string;
  let idleOrigin: string;

  beforeAll(async () => {
    busyOrigin = await listen(busy);
    idleOrigin = await listen(idle);
  });

  afterAll(async () => {
    await Promise.all([close(busy), close(idle)]);
  });

  it("profiles the given server's requests after the first ones and gives the time each cost", async () => {
    const pending = profileWindow({ afterRequests: 3, durationMs: 400, intervalUs: 100, server: busy });
    let done: WindowProfile | undefined;
    void pending.then((window) => (done = window));
    let sentToBusy = 0;
    const deadline = Date.now() + 20_000;
    // The other server's requests, in between, are not counted: they would halve the cost per request.
    while (!done && Date.now() < deadline) {
      await get(busyOrigin);
      await get(idleOrigin);
      sentToBusy += 1;
    }
    const window = await pending;
    expect(window.pid).toBe(process.pid);
    expect(window.requests).toBeGreaterThanOrEqual(5);
    expect(window.requests).toBeLessThanOrEqual(sentToBusy - 3);
    // Each of them burnt BURN_MS of this thread, one after another.
    expect(window.requests).toBeLessThanOrEqual(window.wallMs / BURN_MS + 2);

    const costs = windowCosts(window, process.cwd());
    expect(costs.requests).toBe(window.requests);
    expect(costs.busyUsPerRequest).toBeGreaterThanOrEqual(BURN_MS * 1000 * 0.8);
    expect(costs.cpuUsPerRequest).toBeGreaterThanOrEqual(BURN_MS * 1000 * 0.8);
    // The burn is one function's self time (burnForRequest, or what V8 inlined it into: emit).
    const top = costs.functions[0];
    expect(top?.usPerRequest).toBeGreaterThanOrEqual(BURN_MS * 1000 * 0.7);
    expect(top?.usPerRequest).toBeLessThanOrEqual(costs.busyUsPerRequest);
  });

  it('spreads the busy part of the span over the requests, by owner and by function', () => {
    const window: WindowProfile = {
      pid: 7,
      script: 'floor-proxy.js',
      requests: 100,
      wallMs: 1000,
      cpuUs: 600_000,
      profile: {
        startTime: 0,
        endTime: 1_000_000,
        nodes: [
          { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1, columnNumber: -1, scriptId: '0' }, hitCount: 0, children: [2, 3, 4] },
          { id: 2, callFrame: { functionName: '(idle)', url: '', lineNumber: -1, columnNumber: -1, scriptId: '0' }, hitCount: 50 },
          { id: 3, callFrame: { functionName: 'forward', url: '/repo/dist/bench-gateway/floor-proxy.js', lineNumber: 9, columnNumber: 0, scriptId: '1' }, hitCount: 30 },
          { id: 4, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1, columnNumber: -1, scriptId: '0' }, hitCount: 20 },
        ],
      },
    };
    const costs = windowCosts(window, '/repo');
    // Half the samples busy over 1 s: 500 ms over 100 requests.
    expect(costs.busyUsPerRequest).toBe(5000);
    expect(costs.cpuUsPerRequest).toBe(6000);
    expect(costs.owners).toEqual([
      { name: 'bench-gateway/floor-proxy.js', usPerRequest: 3000 },
      { name: '(garbage collector)', usPerRequest: 2000 },
    ]);
    expect(formatWindowCosts(window, costs)[0]).toBe('floor-proxy.js (7): 100 requests in 1.0 s; µs per request: main thread busy 5000.00, process CPU 6000.00');
    // No request in the window: no cost per request, rather than a division by zero.
    const empty = windowCosts({ ...window, requests: 0 }, '/repo');
    expect(formatWindowCosts(window, empty)[0]).toContain('main thread busy –, process CPU –');
  });
});
