import { Inject, Injectable } from '@nestjs/common';
import type { OnModuleDestroy } from '@nestjs/common';
import type { LlmCallV1 } from '@tollgate/contracts';
import { COST_LEDGER_CONFIG } from '../config/cost-ledger.config';
import type { CostLedgerConfig } from '../config/cost-ledger.config';
import { CostLedgerService } from './cost-ledger.service';
import type { RecordOutcome } from './cost-ledger.service';

interface PendingCall {
  event: LlmCallV1;
  resolve: (outcome: RecordOutcome) => void;
  reject: (error: unknown) => void;
}

/** Postgres SQLSTATE classes 22 (data exception) and 23 (integrity violation): the data is bad, not the database. */
function isDataError(error: unknown): boolean {
  const code = (error as { driverError?: { code?: unknown }; code?: unknown }).driverError?.code ?? (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

/**
 * Batches written at once: while one batch's statement runs in Postgres, the previous one's
 * cost.recorded events are published in Node, so the two processes (and cores) overlap. Aggregate
 * rows are upserted in key order, so concurrent batches wait for each other instead of deadlocking.
 */
const MAX_BATCHES_IN_FLIGHT = 2;

/**
 * Group commit for the per-message @ConsumeEvent handler: submit() queues a call and resolves
 * only once the multi-row insert holding it has committed (and its cost.recorded is published),
 * so the transport acknowledges (Kafka: commits the offset of) a message only after its row is
 * durable. A crash loses nothing: unacknowledged messages come back, and the unique call_id
 * turns the copies whose batch did commit into no-ops.
 *
 * There is no timer: a call is written as soon as a write slot is free, and every call submitted
 * while both slots are busy joins the next batch. A lone call is written at once; under
 * concurrent delivery batches grow with load. (A transport that hands over one message at a time
 * and waits for it gets batches of one: see the report in docs/benchmarks.md.)
 */
@Injectable()
export class CostLogBatcher implements OnModuleDestroy {
  private pending: PendingCall[] = [];
  private inFlight = 0;
  private scheduled = false;
  private idleWaiters: Array<() => void> = [];
  private readonly maxBatchSize: number;

  constructor(
    private readonly ledger: CostLedgerService,
    @Inject(COST_LEDGER_CONFIG) config: CostLedgerConfig,
  ) {
    this.maxBatchSize = config.TOLLGATE_LEDGER_BATCH_SIZE;
  }

  submit(event: LlmCallV1): Promise<RecordOutcome> {
    return new Promise((resolve, reject) => {
      this.pending.push({ event, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once every submitted call has been written or has failed. */
  drain(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async onModuleDestroy(): Promise<void> {
    await this.drain();
  }

  private get idle(): boolean {
    return this.inFlight === 0 && !this.scheduled && this.pending.length === 0;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // One turn of the event loop lets calls delivered together (other partitions, other handlers) join the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.pending.length && this.inFlight < MAX_BATCHES_IN_FLIGHT) {
      const batch = this.pending.splice(0, this.maxBatchSize);
      this.inFlight += 1;
      void this.write(batch).finally(() => {
        this.inFlight -= 1;
        this.pump();
        if (this.idle) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const resolve of waiters) resolve();
        }
      });
    }
  }

  private async write(batch: PendingCall[]): Promise<void> {
    try {
      const outcomes = await this.ledger.recordBatch(batch.map((call) => call.event));
      batch.forEach((call, i) => call.resolve(outcomes[i]));
    } catch (error) {
      if (batch.length > 1 && isDataError(error)) {
        // One bad row must not fail its batch-mates (they would be retried and dead-lettered with it):
        // write them one by one, so each failure stays with its own message.
        for (const call of batch) await this.write([call]);
        return;
      }
      // The database is down or the statement failed as a whole: every message goes back to the transport to be retried.
      for (const call of batch) call.reject(error);
    }
  }
}
