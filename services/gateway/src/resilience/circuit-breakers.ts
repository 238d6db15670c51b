import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnModuleDestroy } from '@nestjs/common';
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, IsolatedCircuitError, circuitBreaker, handleWhen } from 'cockatiel';
import type { CircuitBreakerPolicy } from 'cockatiel';
import { ProviderError } from '@tollgate/providers';
import type { Deployment, ProviderErrorClass } from '@tollgate/providers';
import { ATTR_GEN_AI_PROVIDER_NAME, METRIC_TOLLGATE_BREAKER_STATE, tollgateMeter } from '@tollgate/telemetry';
import type { Gauge } from '@opentelemetry/api';
import { RESILIENCE_CONFIG } from './resilience.config';
import type { ResilienceConfig } from './resilience.config';

export type BreakerState = 'closed' | 'half-open' | 'open';

/** What breakers need to know about a deployment (ids for state, the rest for logs and metrics). */
export type BreakerTarget = Pick<Deployment, 'id' | 'provider' | 'region'>;

export interface BreakerFailure {
  at: string;
  errorClass: ProviderErrorClass;
  status: number | null;
}

export interface BreakerStatus {
  deploymentId: string;
  provider: string;
  region: string;
  state: BreakerState;
  /** When the breaker entered `state` (ISO); process start for a deployment never called. */
  since: string;
  consecutiveFailures: number;
  /** The last few failures that counted toward opening, newest first. */
  recentFailures: BreakerFailure[];
}

/** The call was not sent: the deployment's breaker is open, or its one half-open probe is in flight. */
export class BreakerOpenError extends Error {
  constructor(readonly deploymentId: string) {
    super(`Circuit breaker for deployment ${deploymentId} is open; the call was not sent`);
    this.name = 'BreakerOpenError';
  }
}

/** Not a metric convention yet; kept here until telemetry's semconv.ts grows a deployment attribute. */
export const ATTR_TOLLGATE_DEPLOYMENT_ID = 'tollgate.deployment.id' as const;

const GAUGE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };
const RECENT_FAILURES_KEPT = 5;

/**
 * Whether an error says the deployment is sick. 429 does not: it is the provider's quota for OUR
 * account, the deployment is healthy and answers again after Retry-After (retries and fallback
 * handle it), and opening on it would turn a burst of traffic into a 30 s outage. Client errors
 * (other 4xx) are the caller's fault and never count either.
 */
export function countsAsBreakerFailure(error: unknown): error is ProviderError {
  return error instanceof ProviderError && error.retryable && error.errorClass !== 'rate_limited';
}

/** Marks an error that happened because the CALLER gave up, so the breaker does not count it. */
class CallerAbortedError extends Error {
  constructor(readonly original: unknown) {
    super('caller aborted');
  }
}

interface BreakerEntry {
  target: BreakerTarget;
  /** Replaced (state carried over) when a caller aborts the half-open probe; see releaseProbe. */
  policy: CircuitBreakerPolicy;
  counter: ConsecutiveBreaker;
  /** Last cockatiel state seen, to notice when it (re)enters Open. */
  policyState: CircuitState;
  state: BreakerState;
  since: number;
  openedAt: number | null;
  /** cockatiel makes concurrent half-open callers WAIT for the probe; we skip the deployment instead. */
  probing: boolean;
  recentFailures: BreakerFailure[];
  halfOpenTimer: NodeJS.Timeout | undefined;
}

/**
 * One cockatiel circuit breaker per deployment (ConsecutiveBreaker + halfOpenAfter). cockatiel only
 * moves Open → HalfOpen when a call arrives; this class also reports an open breaker whose delay
 * has passed as `half-open` (ready for one probe), so routing can offer it as a last resort and
 * the gauge and endpoint show it. Uses Date.now() like cockatiel, so fake timers drive both.
 */
@Injectable()
export class CircuitBreakers implements OnModuleDestroy {
  private readonly logger = new Logger(CircuitBreakers.name);
  private readonly entries = new Map<string, BreakerEntry>();
  private readonly gauge: Gauge;
  private readonly createdAt = Date.now();

  constructor(@Inject(RESILIENCE_CONFIG) private readonly config: ResilienceConfig) {
    this.gauge = tollgateMeter.gauge(METRIC_TOLLGATE_BREAKER_STATE, {
      description: 'Circuit breaker state per deployment: 0 closed, 1 half-open, 2 open.',
    });
  }

  stateOf(deploymentId: string): BreakerState {
    const entry = this.entries.get(deploymentId);
    return entry ? this.sync(entry) : 'closed';
  }

  /** Closed, or half-open with no probe in flight: a call would be sent. */
  isAvailable(deploymentId: string): boolean {
    const entry = this.entries.get(deploymentId);
    if (!entry) return true;
    const state = this.sync(entry);
    return state === 'closed' || (state === 'half-open' && !entry.probing);
  }

  /**
   * Runs one call through the deployment's breaker. Throws BreakerOpenError without calling when
   * the breaker rejects; otherwise returns or rethrows what `call` did.
   */
  async execute<T>(target: BreakerTarget, call: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const entry = this.entryFor(target);
    const state = this.sync(entry);
    if (state === 'open' || (state === 'half-open' && entry.probing)) throw new BreakerOpenError(target.id);
    const probe = state === 'half-open';
    if (probe) entry.probing = true;
    try {
      return await entry.policy.execute(async (context) => {
        try {
          return await call(context.signal);
        } catch (error) {
          if (context.signal.aborted) {
            // Must happen while cockatiel still holds the probe: once the error leaves this function,
            // cockatiel takes any unhandled error in half-open as a success and closes the breaker.
            if (probe) this.releaseProbe(entry);
            throw new CallerAbortedError(error);
          }
          // Before cockatiel sees it, so the "opened" log names the failure that opened it.
          if (countsAsBreakerFailure(error)) this.remember(entry, error);
          throw error;
        }
      }, signal);
    } catch (error) {
      if (error instanceof CallerAbortedError) throw error.original;
      if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) throw new BreakerOpenError(target.id);
      throw error;
    } finally {
      if (probe) entry.probing = false;
    }
  }

  /** One row per deployment given (closed for those never called), for the admin endpoint. */
  snapshot(deployments: readonly BreakerTarget[]): BreakerStatus[] {
    return deployments.map((deployment) => {
      const entry = this.entries.get(deployment.id);
      if (!entry) {
        return {
          deploymentId: deployment.id,
          provider: deployment.provider,
          region: deployment.region,
          state: 'closed',
          since: new Date(this.createdAt).toISOString(),
          consecutiveFailures: 0,
          recentFailures: [],
        };
      }
      const state = this.sync(entry);
      return {
        deploymentId: deployment.id,
        provider: deployment.provider,
        region: deployment.region,
        state,
        since: new Date(entry.since).toISOString(),
        consecutiveFailures: entry.counter.state,
        recentFailures: [...entry.recentFailures],
      };
    });
  }

  onModuleDestroy(): void {
    for (const entry of this.entries.values()) clearTimeout(entry.halfOpenTimer);
  }

  private entryFor(target: BreakerTarget): BreakerEntry {
    const existing = this.entries.get(target.id);
    if (existing) return existing;
    const counter = new ConsecutiveBreaker(this.config.breaker.failureThreshold);
    const created: BreakerEntry = {
      target,
      policy: undefined as unknown as CircuitBreakerPolicy,
      counter,
      policyState: CircuitState.Closed,
      state: 'closed',
      since: this.createdAt,
      openedAt: null,
      probing: false,
      recentFailures: [],
      halfOpenTimer: undefined,
    };
    created.policy = this.newPolicy(created, counter);
    this.entries.set(target.id, created);
    this.gauge.record(GAUGE_VALUE.closed, this.attributes(target));
    return created;
  }

  /** A cockatiel breaker for the entry, optionally resuming a state captured with `toJSON()`. */
  private newPolicy(entry: BreakerEntry, counter: ConsecutiveBreaker, initialState?: unknown): CircuitBreakerPolicy {
    const policy = circuitBreaker(handleWhen(countsAsBreakerFailure), { halfOpenAfter: this.config.breaker.halfOpenAfterMs, breaker: counter, initialState });
    // `entry.policy`, not this one: events of a replaced policy then sync against its successor.
    policy.onStateChange(() => this.sync(entry));
    return policy;
  }

  /**
   * The caller aborted the half-open probe. That proves nothing about the deployment: a success
   * would close the breaker on a call that never got an answer (cockatiel's own reading of an
   * unhandled error), a failure would keep a possibly healthy deployment out for another full
   * delay because a client hung up. So the probe slot is released instead: the breaker stays
   * half-open and the next call probes. cockatiel has no "forget this half-open call", so its
   * state is captured with toJSON() (a half-open breaker serialises as open with its delay already
   * served) and a fresh policy resumes from it; the old policy, which is about to count the
   * abort as a success and close, is dropped together with its counter, so the consecutive
   * failure count survives too.
   */
  private releaseProbe(entry: BreakerEntry): void {
    if (entry.policy.state !== CircuitState.HalfOpen) return;
    const saved = entry.policy.toJSON();
    entry.counter = new ConsecutiveBreaker(this.config.breaker.failureThreshold);
    entry.policy = this.newPolicy(entry, entry.counter, saved);
    // Open in cockatiel since "0", i.e. the delay has passed: sync() reports half-open, no transition.
    entry.policyState = CircuitState.Open;
    entry.openedAt = 0;
  }

  /** Brings the reported state in line with cockatiel's (plus the elapsed half-open delay). */
  private sync(entry: BreakerEntry): BreakerState {
    const now = Date.now();
    const policyState = entry.policy.state;
    if (policyState !== entry.policyState) {
      // Entering Open (from closed, or a failed probe) starts the half-open delay, as in cockatiel.
      if (policyState === CircuitState.Open) entry.openedAt = now;
      entry.policyState = policyState;
    }
    let state: BreakerState;
    if (policyState === CircuitState.Closed) state = 'closed';
    else if (policyState === CircuitState.HalfOpen) state = 'half-open';
    else state = policyState === CircuitState.Open && entry.openedAt !== null && now - entry.openedAt >= this.config.breaker.halfOpenAfterMs ? 'half-open' : 'open';
    if (state !== entry.state) this.transition(entry, state, now);
    return state;
  }

  private transition(entry: BreakerEntry, state: BreakerState, now: number): void {
    const previous = entry.state;
    entry.state = state;
    entry.since = now;
    clearTimeout(entry.halfOpenTimer);
    entry.halfOpenTimer = undefined;
    this.gauge.record(GAUGE_VALUE[state], this.attributes(entry.target));
    const { id, provider, region } = entry.target;
    const name = `Circuit breaker for deployment ${id} (${provider}, ${region})`;
    if (state === 'open') {
      const last = entry.recentFailures[0];
      const cause = previous === 'half-open' ? 'the probe call failed' : `${this.config.breaker.failureThreshold} consecutive failures`;
      this.logger.warn(`${name} opened: ${cause}${last ? ` (last: ${last.errorClass}${last.status ? ` ${last.status}` : ''})` : ''}; one probe call allowed in ${this.config.breaker.halfOpenAfterMs} ms`);
      // Only so that the gauge and logs show half-open on time; routing computes it on demand.
      entry.halfOpenTimer = setTimeout(() => this.sync(entry), this.config.breaker.halfOpenAfterMs);
      entry.halfOpenTimer.unref();
    } else if (state === 'half-open') {
      this.logger.log(`${name} half-open: the next call probes the deployment`);
    } else {
      this.logger.log(`${name} closed: the probe call got an answer`);
    }
  }

  private remember(entry: BreakerEntry, error: ProviderError): void {
    entry.recentFailures.unshift({ at: new Date().toISOString(), errorClass: error.errorClass, status: error.status ?? null });
    if (entry.recentFailures.length > RECENT_FAILURES_KEPT) entry.recentFailures.length = RECENT_FAILURES_KEPT;
  }

  private attributes(target: BreakerTarget): Record<string, string> {
    return { [ATTR_TOLLGATE_DEPLOYMENT_ID]: target.id, [ATTR_GEN_AI_PROVIDER_NAME]: target.provider };
  }
}
