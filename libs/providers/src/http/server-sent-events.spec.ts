import { ProviderError } from '../provider';
import { parseEventJson, ServerSentEventDecoder } from './server-sent-events';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Feeds `text` cut at every `size` bytes and gathers the data of every event, per feed. */
function feedInPieces(text: string, size: number): string[][] {
  const decoder = new ServerSentEventDecoder();
  const all = bytes(text);
  const perFeed: string[][] = [];
  for (let at = 0; at < all.length; at += size) perFeed.push(decoder.feed(all.subarray(at, at + size)).map((event) => event.data));
  return perFeed;
}

describe('ServerSentEventDecoder', () => {
  const stream = 'data: {"a":1}\n\nevent: ping\ndata: {"b":"héllo ✓"}\n\ndata: line one\ndata: line two\n\ndata: [DONE]\n\n';
  const expected = ['{"a":1}', '{"b":"héllo ✓"}', 'line one\nline two', '[DONE]'];

  it('returns the events a chunk completes, in order', () => {
    expect(feedInPieces(stream, 1_000)).toEqual([expected]);
  });

  it('carries an event cut across chunks, a multi-byte character included, until it is complete', () => {
    // The byte just past each event's blank line: the feed holding that byte's predecessor completes it.
    const all = bytes(stream);
    const ends: number[] = [];
    for (let at = 1; at < all.length; at++) if (all[at] === 10 && all[at - 1] === 10) ends.push(at + 1);
    expect(ends).toHaveLength(expected.length);
    for (const size of [1, 2, 3, 5, 7, 13]) {
      const perFeed = feedInPieces(stream, size);
      expect(perFeed.flat()).toEqual(expected);
      // Each event comes out of the feed that carries its blank line, not before and only once.
      const completedBy = perFeed.flatMap((events, index) => events.map(() => index));
      expect(completedBy).toEqual(ends.map((end) => Math.floor((end - 1) / size)));
    }
  });

  it('returns nothing for a chunk that completes no event, and the event once its end arrives', () => {
    const decoder = new ServerSentEventDecoder();
    expect(decoder.feed(bytes('data: {"a":'))).toEqual([]);
    expect(decoder.feed(bytes('1}\n'))).toEqual([]);
    expect(decoder.feed(bytes('\n')).map((event) => event.data)).toEqual(['{"a":1}']);
  });

  it('reads CRLF line ends and keeps the event name', () => {
    const decoder = new ServerSentEventDecoder();
    const events = decoder.feed(bytes('event: message_start\r\ndata: {"x":true}\r\n\r\n'));
    expect(events.map((event) => [event.event, event.data])).toEqual([['message_start', '{"x":true}']]);
  });

  it('does not hand out the same array twice: what one feed returned stays as it was', () => {
    const decoder = new ServerSentEventDecoder();
    const first = decoder.feed(bytes('data: 1\n\n'));
    decoder.feed(bytes('data: 2\n\n'));
    expect(first.map((event) => event.data)).toEqual(['1']);
  });
});

describe('parseEventJson', () => {
  it("parses an event's data", () => {
    expect(parseEventJson<{ a: number }>('{"a":1}', 'anthropic/eu', 'event')).toEqual({ a: 1 });
  });

  it("fails data that is not JSON as the upstream's server_error, in the wire format's words", () => {
    for (const noun of ['chunk', 'event'] as const) {
      let thrown: unknown;
      try {
        parseEventJson('{"a":', 'anthropic/eu', noun);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ProviderError);
      expect((thrown as ProviderError).errorClass).toBe('server_error');
      expect((thrown as ProviderError).message).toBe(`anthropic/eu sent a stream ${noun} that is not JSON`);
    }
  });
});
