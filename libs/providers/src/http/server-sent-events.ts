import { createParser } from 'eventsource-parser';
import type { EventSourceMessage } from 'eventsource-parser';
import { ProviderError } from '../provider';

/**
 * Server-sent events from a response body, decoded as its bytes arrive: `feed()` takes the next
 * chunk and returns the events it completed, in order (none while an event is still cut).
 *
 * A decoder the providers call from their own `for await` over the body, rather than an async
 * generator over the body: each event then reaches the gateway through one async generator (the
 * provider's stream), not through three stacked ones (SSE, JSON, the provider's mapping), each
 * resuming its consumer through the microtask queue. At 100 req/s on this VM that took ~5–9 µs
 * off the ~60 µs from a stream's first bytes to its first event (docs/benchmarks.md,
 * twenty-sixth session).
 */
export class ServerSentEventDecoder {
  private readonly completed: EventSourceMessage[] = [];
  // Bounded so that an upstream that never ends an event cannot grow our memory without limit.
  private readonly parser = createParser({ onEvent: (event) => this.completed.push(event), maxBufferSize: 16 * 1024 * 1024 });
  private readonly decoder = new TextDecoder();

  feed(chunk: Uint8Array): EventSourceMessage[] {
    this.parser.feed(this.decoder.decode(chunk, { stream: true }));
    return this.completed.splice(0);
  }
}

/**
 * An event's data parsed as JSON; data that is not JSON is the upstream's fault, a server_error
 * (`noun` is what the provider's wire format calls one event: OpenAI's chunk, Anthropic's event).
 */
export function parseEventJson<T>(data: string, label: string, noun: 'chunk' | 'event'): T {
  try {
    return JSON.parse(data) as T;
  } catch (error) {
    throw new ProviderError(`${label} sent a stream ${noun} that is not JSON`, 'server_error', { cause: error });
  }
}
