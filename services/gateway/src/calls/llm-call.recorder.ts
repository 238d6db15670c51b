import { Inject, Injectable, Logger } from '@nestjs/common';
import { LlmCallV1 } from '@tollgate/contracts';
import type { EventOf } from '@tollgate/contracts';
import { EVENT_PUBLISHER } from '@tollgate/messaging';
import type { EventPublisher } from '@tollgate/messaging';

/**
 * Hands `llm.call` events to the bus without making the caller wait: the response never waits on
 * the bus. A failed publish is logged and counted here; the bounded retry buffer arrives with
 * the gateway issue.
 */
@Injectable()
export class LlmCallRecorder {
  private readonly logger = new Logger('LlmCallRecorder');
  private failures = 0;

  constructor(@Inject(EVENT_PUBLISHER) private readonly publisher: EventPublisher) {}

  record(event: EventOf<typeof LlmCallV1>): void {
    this.publisher.publish(LlmCallV1, event).catch((error: unknown) => {
      this.failures += 1;
      this.logger.error(`could not publish llm.call ${event.callId} (failures so far: ${this.failures}): ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  get failedPublishes(): number {
    return this.failures;
  }
}
