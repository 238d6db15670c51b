import { createParser } from 'eventsource-parser';
import type { EventSourceMessage } from 'eventsource-parser';

/**
 * Server-sent events from a response body, decoded as its bytes arrive: `feed()` takes the next
 * chunk and returns the events it completed, in order (none while an event is still cut).
 *
 * A decoder the providers call from their own `for await` over the body, rather than an async
 * generator over the body: each event then reaches the gateway through one async generator (the
 * provider's stream), not through three stacked ones (SSE, JSON, the provider's mapping), each
 * resuming its consumer through the microtask queue. On this VM a stream's first event took ~60
 * µs from its bytes to the gateway through the three at 100 req/s (docs/benchmarks.md,
 * twenty-sixth session).
 */
export class ServerSentEventDecoder {
  private readonly completed: EventSourceMessage[] = [];
  // Bounded so that an upstream that never ends an event cannot grow our memory without limit.
  private readonly parser = createParser({ onEvent: (event) => this.completed.push(event), maxBufferSize: 16 * 1024 * 1024 });
  private readonly decoder = new TextDecoder();

  feed(chunk: Uint8Array): readonly EventSourceMessage[] {
    this.parser.feed(this.decoder.decode(chunk, { stream: true }));
    return this.completed.length === 0 ? NONE : this.completed.splice(0);
  }
}

/** What a chunk that completes no event returns: one frozen array, not a new one per chunk. */
const NONE: readonly EventSourceMessage[] = Object.freeze([]);
