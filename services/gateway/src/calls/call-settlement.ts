import { Injectable, Logger } from '@nestjs/common';
import type { Span } from '@opentelemetry/api';
import { buildLlmCallEvent } from './llm-call.event';
import type { CallFacts } from './llm-call.event';
import { LlmCallRecorder } from './llm-call.recorder';

/**
 * What every call (chat, embeddings) does once its answer is on its way: its metrics, its
 * `llm.call` event, and the end of its span, in that order.
 *
 * The answer first: `afterAnswer` is called where the call's work ends, and the caller's await
 * resumes (and writes the response) in this turn's microtasks; the bookkeeping runs after them,
 * in the check phase (setImmediate keeps the call's trace context, so the event carries its
 * trace). Under a burst every waiting answer goes out before any call's bookkeeping. A failure in
 * it is logged: nothing awaits it any more, and it must not turn a good answer into an error.
 */
@Injectable()
export class CallSettlement {
  private readonly logger = new Logger('CallSettlement');

  constructor(private readonly recorder: LlmCallRecorder) {}

  /**
   * Settles the call after its answer: `metrics` records its metrics, then its event is built and
   * recorded, then `span` ends at `endedAt` (performance.now() when the call ended, so the span
   * keeps the call's own duration and stays inside its parent's).
   */
  afterAnswer(span: Span, facts: CallFacts, endedAt: number, metrics: () => void): void {
    setImmediate(() => this.settle(span, facts, endedAt, metrics));
  }

  private settle(span: Span, facts: CallFacts, endedAt: number, metrics: () => void): void {
    try {
      metrics();
      this.recorder.record(buildLlmCallEvent(facts));
    } catch (error) {
      this.logger.error(`could not record ${facts.operation} call ${facts.callId}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      span.end(endedAt);
    }
  }
}
