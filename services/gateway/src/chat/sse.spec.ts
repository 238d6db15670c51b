import type { ServerResponse } from 'node:http';
import { SseWriter } from './sse';

/** Records what the writer does to its response, in order. */
function fakeResponse(): { res: ServerResponse; calls: string[] } {
  const calls: string[] = [];
  const res = {
    statusCode: 0,
    writableEnded: false,
    destroyed: false,
    setHeader: (name: string) => calls.push(`header ${name}`),
    cork: () => calls.push('cork'),
    uncork: () => calls.push('uncork'),
    write: (text: string) => calls.push(`write ${text.trim()}`),
    end() {
      calls.push('end');
      this.writableEnded = true;
    },
  };
  return { res: res as unknown as ServerResponse, calls };
}

const nextTick = () => new Promise<void>((resolve) => process.nextTick(resolve));

describe('SseWriter', () => {
  it('sends the first event at once, then the events of one turn of the event loop in one corked write', async () => {
    const { res, calls } = fakeResponse();
    const sse = new SseWriter(res);
    sse.start({ 'x-tollgate-call-id': 'c1' });
    sse.data({ n: 0 });
    sse.data({ n: 1 });
    sse.data({ n: 2 });
    expect(calls.filter((c) => !c.startsWith('header'))).toEqual(['write data: {"n":0}', 'cork', 'write data: {"n":1}', 'write data: {"n":2}']);
    await nextTick();
    expect(calls.at(-1)).toBe('uncork');
    sse.data({ n: 3 });
    await nextTick();
    expect(calls.slice(-3)).toEqual(['cork', 'write data: {"n":3}', 'uncork']);
    expect(res.statusCode).toBe(200);
  });

  it('uncorks before it ends, so that corked events are not lost, and uncorks only once', async () => {
    const { res, calls } = fakeResponse();
    const sse = new SseWriter(res);
    sse.start({});
    sse.data({ n: 0 });
    sse.data({ n: 1 });
    sse.done();
    await nextTick();
    expect(calls.filter((c) => !c.startsWith('header'))).toEqual(['write data: {"n":0}', 'cork', 'write data: {"n":1}', 'write data: [DONE]', 'uncork', 'end']);
  });

  it('ends a broken stream with an error event, also uncorked first', async () => {
    const { res, calls } = fakeResponse();
    const sse = new SseWriter(res);
    sse.start({});
    sse.data({ n: 0 });
    sse.fail({ message: 'cut', type: 'api_error', code: 'stream_cut' });
    await nextTick();
    expect(calls.filter((c) => !c.startsWith('header'))).toEqual([
      'write data: {"n":0}',
      'cork',
      'write event: error\ndata: {"error":{"message":"cut","type":"api_error","code":"stream_cut","param":null}}',
      'uncork',
      'end',
    ]);
    sse.data({ late: true });
    expect(calls.at(-1)).toBe('end');
  });
});
