import { createParser } from 'eventsource-parser';
import type { EventSourceMessage } from 'eventsource-parser';

/** Parsed SSE events from a response body, in order, as the bytes arrive. */
export async function* readServerSentEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<EventSourceMessage> {
  const pending: EventSourceMessage[] = [];
  // Bounded so that an upstream that never ends an event cannot grow our memory without limit.
  const parser = createParser({ onEvent: (event) => pending.push(event), maxBufferSize: 16 * 1024 * 1024 });
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    for (const event of pending.splice(0)) yield event;
  }
}
