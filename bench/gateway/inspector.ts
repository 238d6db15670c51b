/**
 * A full garbage collection in another Node process, through its inspector (`--inspect=host:port`),
 * and its memory right after: what the soak compares at its start and end. RSS sampled while the
 * process runs follows V8's collection cycle (old space grows to a limit, a mark-compact returns
 * it), so two samples of it can differ by a hundred MB without anything leaking.
 */

export interface MemoryAfterCollection {
  /** process.memoryUsage() of the inspected process, right after the collection. */
  rssBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
}

interface Reply {
  id?: number;
  result?: { result?: { value?: unknown } };
  error?: { message: string };
}

/** Connects to the process's first inspector target. */
async function debuggerUrl(inspectOrigin: string): Promise<string> {
  const response = await fetch(`${inspectOrigin}/json/list`);
  const targets = (await response.json()) as Array<{ webSocketDebuggerUrl?: string }>;
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target at ${inspectOrigin}/json/list`);
  return url;
}

/**
 * HeapProfiler.collectGarbage (V8's low-memory notification: full collections until nothing more
 * is freed, with unused pages returned), then process.memoryUsage() read in the same process.
 */
export async function collectAndMeasure(inspectOrigin: string, timeoutMs = 30_000): Promise<MemoryAfterCollection> {
  const socket = new WebSocket(await debuggerUrl(inspectOrigin));
  const pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  const failAll = (error: Error): void => {
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  socket.addEventListener('message', (event) => {
    const reply = JSON.parse(String(event.data)) as Reply;
    if (reply.id === undefined) return; // an event, not an answer
    const waiter = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.error) waiter?.reject(new Error(`inspector: ${reply.error.message}`));
    else waiter?.resolve(reply);
  });
  socket.addEventListener('close', () => failAll(new Error('inspector connection closed')));
  socket.addEventListener('error', () => failAll(new Error('inspector connection failed')));
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error(`cannot connect to the inspector at ${inspectOrigin}`)), { once: true });
  });
  const call = (method: string, params: Record<string, unknown> = {}): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`inspector: ${method} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, {
        resolve: (reply) => (clearTimeout(timer), resolve(reply)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      socket.send(JSON.stringify({ id, method, params }));
    });
  try {
    await call('HeapProfiler.collectGarbage');
    const reply = await call('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true });
    const usage = JSON.parse(String(reply.result?.result?.value)) as { rss: number; heapUsed: number; external: number; arrayBuffers: number };
    return { rssBytes: usage.rss, heapUsedBytes: usage.heapUsed, externalBytes: usage.external, arrayBuffersBytes: usage.arrayBuffers };
  } finally {
    socket.close();
  }
}
