import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationShutdown } from '@nestjs/common';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { BUDGET_EXCEEDED_CODE, BUDGET_WARNING_HEADER, BudgetBook, BudgetCountersUnavailableError, budgetWarningHeader, refusalMessage } from '@tollgate/budgets';
import type { BudgetCounters, BudgetRefusal, BudgetReservation, BudgetSubject, BudgetWarning, ReserveResult } from '@tollgate/budgets';
import { OpenAiHttpError } from '@tollgate/platform';
import type { Caller } from '@tollgate/platform';
import type { PriceCatalog } from '@tollgate/pricing';
import type { Deployment } from '@tollgate/providers';
import { ATTR_ERROR_TYPE, ATTR_TOLLGATE_OUTCOME, METRIC_TOLLGATE_CALLS_BLOCKED, TOLLGATE_OUTCOME_VALUE_BLOCKED, tollgateMeter } from '@tollgate/telemetry';
import type { CallAttribution, CallFacts } from '../calls/llm-call.event';
import { actualCostOf, maxCostOf } from './budget-cost';

export const BUDGET_COUNTERS = Symbol('BUDGET_COUNTERS');
export const BUDGET_SETTINGS = Symbol('BUDGET_SETTINGS');
export const BUDGET_PRICE_CATALOG = Symbol('BUDGET_PRICE_CATALOG');

export interface BudgetSettings {
  /** What to do when the counters (Redis) cannot be reached: `open` admits (ledger-reported hard limits still refuse), `closed` answers 503. */
  failMode: 'open' | 'closed';
  /** Output allowance of a request without max_tokens when the catalog gives no max output for the model. */
  defaultMaxOutputTokens: number;
  /** How long admission waits for the counters before treating them as unavailable. */
  timeoutMs: number;
}

/** Longer than a healthy Redis round trip by far, short enough that a hung Redis does not hold every call. */
export const DEFAULT_BUDGET_TIMEOUT_MS = 1000;

/** A call refused by a hard budget: HTTP 429 in OpenAI's shape, code `budget_exceeded`, the message names the budget. */
export class BudgetExceededError extends OpenAiHttpError {
  constructor(readonly refusal: Pick<BudgetRefusal, 'budgetId' | 'scope' | 'period' | 'hardLimitUsd' | 'message'>) {
    // x-should-retry: false tells OpenAI's SDKs not to retry a 429 by themselves: the budget stays
    // spent until its period ends, so their automatic retries would only be refused again.
    super(429, 'rate_limit_error', refusal.message, { param: null, code: BUDGET_EXCEEDED_CODE, headers: { 'x-should-retry': 'false' } });
    this.message = refusal.message;
    this.name = 'BudgetExceededError';
  }
}

/** Budget counters unreachable and TOLLGATE_BUDGET_FAIL_MODE=closed: HTTP 503. */
export class BudgetUnavailableError extends OpenAiHttpError {
  constructor() {
    const message = 'Tollgate cannot check your budgets right now (its budget counters are unreachable), so the call was not sent. Retry shortly.';
    super(503, 'server_error', message, { param: null, code: 'budget_unavailable' });
    this.message = message;
    this.name = 'BudgetUnavailableError';
  }
}

export interface AdmissionRequest {
  caller: Caller;
  attribution: Pick<CallAttribution, 'agentId'>;
  /** The route's candidates, first choice first: the estimate takes the dearest (fallback may go there). */
  candidates: ReadonlyArray<Pick<Deployment, 'id' | 'provider' | 'model' | 'publicModel'>>;
  promptTokens: number;
  /** max_completion_tokens ?? max_tokens; undefined when the request set none; 0 for embeddings. */
  maxOutputTokens: number | undefined;
}

/** What finish() needs from the call's facts once it ended. */
export type FinishedCall = Pick<CallFacts, 'outcome' | 'usage' | 'decision' | 'responseModel' | 'startedAt'>;

const refusedCalls = tollgateMeter.counter(METRIC_TOLLGATE_CALLS_BLOCKED, { unit: '{call}', description: 'Calls refused by policy, budget or abuse checks.' });
const unavailable = tollgateMeter.counter('tollgate.budget.unavailable', {
  unit: '{call}',
  description: 'Calls whose budget check could not reach the counters (Redis); attribute tollgate.budget.fail_mode says whether they were admitted (open) or refused (closed).',
});
const settleFailures = tollgateMeter.counter('tollgate.budget.settle_failures', { unit: '{call}', description: 'Reservations that could not be settled or released (they expire on their own; the ledger corrects the counters).' });

/**
 * One call's hold on its budgets: `headers` for the response (x-tollgate-budget-warning when a soft
 * limit is reached), finish() once the call ended. finish() settles the reservation to the actual
 * cost (answered or truncated calls: what was used), or releases it (failed calls); it never throws
 * and only the first call counts.
 */
export class CallBudget {
  private finished = false;

  constructor(
    private readonly admission: BudgetAdmission | null,
    readonly reservation: BudgetReservation | null,
    readonly warnings: readonly BudgetWarning[],
    readonly estimateUsd: string,
  ) {}

  get headers(): Record<string, string> {
    const warning = budgetWarningHeader(this.warnings);
    return warning ? { [BUDGET_WARNING_HEADER]: warning } : {};
  }

  finish(call: FinishedCall): Promise<void> {
    if (this.finished || !this.reservation || !this.admission) return Promise.resolve();
    this.finished = true;
    return this.admission.finish(this.reservation, this.estimateUsd, call);
  }
}

const NO_BUDGET = new CallBudget(null, null, [], '0');

/**
 * Budget admission at the gateway. Before the upstream call: the call's maximum cost is reserved,
 * atomically, against every budget that applies to the caller (tenant, its user, API key, agent;
 * day and month) with the limits from budget.state.v1. A hard limit that would be passed refuses
 * the call (429); soft limits add a warning header. After the call: settle to the actual cost.
 */
@Injectable()
export class BudgetAdmission implements OnApplicationShutdown {
  private readonly logger = new Logger('BudgetAdmission');
  private lastUnavailableLog = 0;

  constructor(
    @Inject(BUDGET_COUNTERS) private readonly counters: BudgetCounters,
    private readonly book: BudgetBook,
    @Inject(BUDGET_PRICE_CATALOG) private readonly catalog: PriceCatalog,
    @Inject(BUDGET_SETTINGS) private readonly settings: BudgetSettings,
  ) {}

  /**
   * Reserves the call's maximum cost, or throws BudgetExceededError (429) / BudgetUnavailableError
   * (503, fail mode closed). When `facts` are given, a refusal marks them `blocked` with the reason,
   * so the llm.call event the caller records says why (and the active span too).
   */
  async admit(request: AdmissionRequest, facts?: Pick<CallFacts, 'outcome' | 'error'>): Promise<CallBudget> {
    const subject: BudgetSubject = { tenantId: request.caller.tenantId, userId: request.caller.userId, apiKeyId: request.caller.apiKeyId, agentId: request.attribution.agentId };
    const limits = this.book.limitsFor(subject);
    // No budget applies (most calls): no counter round trip at all.
    if (limits.length === 0) return NO_BUDGET;
    const at = new Date();
    const { estimateUsd, unpriced } = maxCostOf({
      catalog: this.catalog,
      candidates: request.candidates,
      promptTokens: request.promptTokens,
      maxOutputTokens: request.maxOutputTokens,
      defaultMaxOutputTokens: this.settings.defaultMaxOutputTokens,
      at,
    });
    if (unpriced.length > 0) this.logger.debug(`no price for deployment(s) ${unpriced.join(', ')}: they add nothing to the budget estimate`);
    let result: ReserveResult;
    try {
      result = await this.reserveWithin({ tenantId: subject.tenantId, limits, estimateUsd, at });
    } catch (error) {
      return this.degraded(subject, estimateUsd, error, facts);
    }
    if (!result.admitted) this.refuse(result.refusal, facts);
    return new CallBudget(this, result.reservation, result.warnings, estimateUsd);
  }

  /** Called through CallBudget.finish(). */
  async finish(reservation: BudgetReservation, estimateUsd: string, call: FinishedCall): Promise<void> {
    try {
      if (call.outcome === 'ok' || call.outcome === 'truncated') {
        const served = call.decision;
        // Served by an unknown deployment (should not happen): keep the estimate, the ledger corrects it.
        const actualUsd = served ? actualCostOf(this.catalog, { provider: served.provider, model: served.model, responseModel: call.responseModel }, call.usage, call.startedAt) : estimateUsd;
        await this.counters.settle(reservation, actualUsd);
      } else {
        await this.counters.release(reservation);
      }
    } catch (error) {
      settleFailures.add(1);
      this.logger.error(`could not settle budget reservation ${reservation.id} of tenant ${reservation.tenantId} (it expires on its own; the ledger corrects the counters): ${messageOf(error)}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.counters.close();
  }

  private async reserveWithin(request: Parameters<BudgetCounters['reserve']>[0]): Promise<ReserveResult> {
    const pending = this.counters.reserve(request);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BudgetCountersUnavailableError('reserve', new Error(`no answer within ${this.settings.timeoutMs} ms`))), this.settings.timeoutMs);
    });
    try {
      return await Promise.race([pending, timeout]);
    } catch (error) {
      // A reservation that lands after we gave up must not hold budget until it expires.
      pending.then((late) => (late.admitted ? this.counters.release(late.reservation) : undefined)).catch(() => undefined);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The counters are unreachable. Closed: refuse (503). Open (default): admit, but still refuse a
   * budget the ledger itself reports over its hard limit (budget.state.v1), and warn from its status.
   */
  private degraded(subject: BudgetSubject, estimateUsd: string, error: unknown, facts?: Pick<CallFacts, 'outcome' | 'error'>): CallBudget {
    const mode = this.settings.failMode;
    unavailable.add(1, { 'tollgate.budget.fail_mode': mode });
    const now = Date.now();
    // One line every 10 s at most: an outage under load must not flood the logs.
    if (now - this.lastUnavailableLog > 10_000) {
      this.lastUnavailableLog = now;
      this.logger.error(`budget counters unavailable, failing ${mode} (${mode === 'open' ? 'calls are admitted without a counter check' : 'calls are refused with 503'}): ${messageOf(error)}`);
    }
    if (mode === 'closed') {
      const refused = new BudgetUnavailableError();
      this.markBlocked(facts, 'budget_unavailable', refused.message);
      throw refused;
    }
    const over = this.book.hardExceeded(subject)[0];
    if (over && over.hardLimitUsd !== null) {
      const fields = { budgetId: over.budgetId, scope: over.scope, period: over.period, hardLimitUsd: over.hardLimitUsd, committedUsd: over.spentUsd, estimateUsd, resetsAt: over.periodEnd };
      this.refuse({ ...fields, message: refusalMessage(fields) }, facts);
    }
    const applicable = new Set(this.book.limitsFor(subject).map((limit) => limit.budgetId));
    const warnings: BudgetWarning[] = this.book
      .budgets(subject.tenantId)
      .filter((entry) => entry.status !== 'ok' && entry.softLimitUsd !== null && applicable.has(entry.budgetId))
      .map((entry) => ({ budgetId: entry.budgetId, scope: entry.scope, period: entry.period, softLimitUsd: entry.softLimitUsd as string, projectedUsd: entry.spentUsd }));
    return new CallBudget(null, null, warnings, estimateUsd);
  }

  private refuse(refusal: Pick<BudgetRefusal, 'budgetId' | 'scope' | 'period' | 'hardLimitUsd' | 'message'>, facts?: Pick<CallFacts, 'outcome' | 'error'>): never {
    refusedCalls.add(1, { 'tollgate.block.reason': BUDGET_EXCEEDED_CODE });
    this.markBlocked(facts, BUDGET_EXCEEDED_CODE, refusal.message);
    throw new BudgetExceededError(refusal);
  }

  private markBlocked(facts: Pick<CallFacts, 'outcome' | 'error'> | undefined, code: string, message: string): void {
    if (facts) {
      facts.outcome = 'blocked';
      facts.error = { type: code, code, message };
    }
    const span = trace.getActiveSpan();
    span?.setAttributes({ [ATTR_TOLLGATE_OUTCOME]: TOLLGATE_OUTCOME_VALUE_BLOCKED, [ATTR_ERROR_TYPE]: code });
    span?.setStatus({ code: SpanStatusCode.ERROR, message });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
