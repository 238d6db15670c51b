import { Inject, Injectable } from '@nestjs/common';
import { ExponentialBackoff, fullJitterGenerator, handleWhen, retry } from 'cockatiel';
import type { IBackoff, IBackoffFactory, IRetryBackoffContext } from 'cockatiel';
import type { LlmCallAttempt } from '@tollgate/contracts';
import { ProviderError } from '@tollgate/providers';
import type { Deployment } from '@tollgate/providers';
import { BreakerOpenError, CircuitBreakers } from './circuit-breakers';
import { RESILIENCE_CONFIG } from './resilience.config';
import type { ResilienceConfig } from './resilience.config';

export interface RecoveryOptions {
  /** Tries on one deployment before falling back; defaults to TOLLGATE_RETRY_ATTEMPTS_PER_DEPLOYMENT. */
  maxAttemptsPerDeployment?: number;
  /**
   * Asked before every retry and fallback. A stream returns false once its first token reached the
   * client: from then on a failure ends the call, nothing is replayed.
   */
  mayFallback?: () => boolean;
  /** The client went away: no further tries; the error of the aborted try propagates. */
  signal?: AbortSignal;
}

export interface RecoveryResult<T> {
  result: T;
  deployment: Deployment;
  /** Every try, in order, the successful one last. */
  attempts: LlmCallAttempt[];
}

/**
 * - `all_failed`: every try failed with a retryable error (or the attempt limit was reached).
 * - `fallback_not_allowed`: a try failed and `mayFallback()` said no (a stream had started).
 * - `none_available`: nothing was tried: every candidate's breaker was open.
 */
export type RecoveryFailureReason = 'all_failed' | 'fallback_not_allowed' | 'none_available';

/**
 * Inline recovery gave up. `lastError` is the last provider failure (undefined when nothing was
 * tried): map its class to the client's status (429 passes through, timeout → 504, else 502;
 * none_available → 503).
 */
export class RecoveryExhaustedError extends Error {
  constructor(
    readonly reason: RecoveryFailureReason,
    readonly attempts: LlmCallAttempt[],
    readonly lastError: ProviderError | undefined,
    /** Candidates not tried at all in this call because their breaker was open (never one that was tried). */
    readonly skipped: string[],
  ) {
    super(describeFailure(reason, attempts, lastError, skipped));
    this.name = 'RecoveryExhaustedError';
  }
}

const attemptsOfPropagated = new WeakMap<object, LlmCallAttempt[]>();

/**
 * The tries made before `run` threw: RecoveryExhaustedError carries them, and a non-retryable
 * error propagates unchanged (it is the client's to see) with its tries remembered here.
 */
export function recoveryAttemptsOf(error: unknown): LlmCallAttempt[] {
  if (error instanceof RecoveryExhaustedError) return error.attempts;
  return typeof error === 'object' && error !== null ? (attemptsOfPropagated.get(error) ?? []) : [];
}

/**
 * Retries with backoff on one deployment, then falls back along the plan's candidates (which all
 * satisfy the routing rules already), each try through the deployment's circuit breaker.
 * Retries are cockatiel's `retry` with full-jitter exponential backoff; Retry-After is fed in
 * through a backoff that reads the failed try's ProviderError, the one thing cockatiel leaves to us.
 */
@Injectable()
export class InlineRecovery {
  private readonly exponential: ExponentialBackoff<number>;

  constructor(
    @Inject(RESILIENCE_CONFIG) private readonly config: ResilienceConfig,
    private readonly breakers: CircuitBreakers,
  ) {
    this.exponential = new ExponentialBackoff({
      generator: fullJitterGenerator,
      initialDelay: config.retry.baseDelayMs,
      maxDelay: config.retry.maxDelayMs,
    });
  }

  async run<T>(
    plan: { readonly candidates: readonly Deployment[] },
    attempt: (deployment: Deployment, signal: AbortSignal) => Promise<T>,
    options: RecoveryOptions = {},
  ): Promise<RecoveryResult<T>> {
    const { signal } = options;
    const perDeployment = options.maxAttemptsPerDeployment ?? this.config.retry.attemptsPerDeployment;
    const mayFallback = options.mayFallback ?? (() => true);
    const { maxTotalAttempts, maxRetryAfterMs } = this.config.retry;
    const attempts: LlmCallAttempt[] = [];
    const skipped: string[] = [];
    let lastError: ProviderError | undefined;
    let current: Deployment | undefined;
    /** The last provider failure on `current` in this pass. */
    let failedHere: ProviderError | undefined;

    const mayRetry = (error: unknown): boolean =>
      error instanceof ProviderError &&
      error.retryable &&
      // A longer Retry-After is better spent on the next deployment.
      (error.options.retryAfterMs ?? 0) <= maxRetryAfterMs &&
      attempts.length < maxTotalAttempts &&
      !signal?.aborted &&
      // This try may just have opened the deployment's breaker: a retry would only be rejected.
      (current === undefined || this.breakers.isAvailable(current.id)) &&
      mayFallback();
    const policy = retry(handleWhen(mayRetry), { maxAttempts: Math.max(0, perDeployment - 1), backoff: new RetryAfterBackoff(this.exponential) });

    for (const deployment of plan.candidates) {
      if (attempts.length > 0 && !mayFallback()) {
        throw new RecoveryExhaustedError('fallback_not_allowed', attempts, lastError, skipped);
      }
      if (attempts.length >= maxTotalAttempts) break;
      // Re-checked here: the breaker may have opened since the plan was made.
      if (!this.breakers.isAvailable(deployment.id)) {
        skipped.push(deployment.id);
        continue;
      }
      current = deployment;
      failedHere = undefined;
      try {
        const result = await policy.execute(async () => {
          try {
            return await this.tryOnce(deployment, attempt, attempts, signal);
          } catch (error) {
            if (error instanceof ProviderError) failedHere = error;
            throw error;
          }
        }, signal);
        return { result, deployment, attempts };
      } catch (error) {
        if (error instanceof BreakerOpenError) {
          // Rejected before its first try: skipped. Rejected on a retry (other calls opened the
          // breaker during the backoff): it was tried, its attempts and last error say so.
          if (failedHere) lastError = failedHere;
          else skipped.push(deployment.id);
          continue;
        }
        if (error instanceof ProviderError && error.retryable && !signal?.aborted) {
          lastError = error;
          continue;
        }
        if (typeof error === 'object' && error !== null) attemptsOfPropagated.set(error, attempts);
        throw error;
      }
    }
    throw new RecoveryExhaustedError(attempts.length === 0 ? 'none_available' : 'all_failed', attempts, lastError, skipped);
  }

  private async tryOnce<T>(
    deployment: Deployment,
    attempt: (deployment: Deployment, signal: AbortSignal) => Promise<T>,
    attempts: LlmCallAttempt[],
    signal: AbortSignal | undefined,
  ): Promise<T> {
    const started = performance.now();
    try {
      const result = await this.breakers.execute(deployment, (callSignal) => attempt(deployment, callSignal), signal);
      attempts.push(attemptRecord(deployment, started, 200, null));
      return result;
    } catch (error) {
      // A breaker rejection sent nothing upstream: not an attempt.
      if (!(error instanceof BreakerOpenError)) {
        // Anything else than a ProviderError is a fault on our side of the wire; recorded as a server error.
        const providerError = error instanceof ProviderError ? error : undefined;
        attempts.push(attemptRecord(deployment, started, providerError?.status ?? null, providerError?.errorClass ?? 'server_error'));
      }
      throw error;
    }
  }
}

function attemptRecord(deployment: Deployment, started: number, status: number | null, errorClass: LlmCallAttempt['errorClass']): LlmCallAttempt {
  return {
    provider: deployment.provider,
    model: deployment.model,
    deployment: deployment.id,
    status,
    latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
    errorClass,
  };
}

type RetryContext = IRetryBackoffContext<unknown>;

/** cockatiel's exponential backoff, except that a provider's Retry-After (within the cap) sets the wait. */
class RetryAfterBackoff implements IBackoffFactory<RetryContext> {
  constructor(private readonly exponential: IBackoffFactory<unknown>) {}

  next(context: RetryContext): IBackoff<RetryContext> {
    return withRetryAfter(this.exponential.next(context), context);
  }
}

function withRetryAfter(step: IBackoff<unknown>, context: RetryContext): IBackoff<RetryContext> {
  const failure = 'error' in context.result ? context.result.error : undefined;
  const retryAfterMs = failure instanceof ProviderError ? failure.options.retryAfterMs : undefined;
  return {
    duration: retryAfterMs ?? step.duration,
    next: (nextContext) => withRetryAfter(step.next(nextContext), nextContext),
  };
}

function describeFailure(reason: RecoveryFailureReason, attempts: LlmCallAttempt[], lastError: ProviderError | undefined, skipped: string[]): string {
  const skippedText = skipped.length > 0 ? `; skipped (breaker open): ${skipped.join(', ')}` : '';
  if (reason === 'none_available') return `No deployment was available${skippedText}`;
  const deployments = new Set(attempts.map((a) => a.deployment)).size;
  const last = lastError ? `; last: ${lastError.errorClass}${lastError.status ? ` ${lastError.status}` : ''} (${lastError.message})` : '';
  const why = reason === 'fallback_not_allowed' ? ' and fallback was not allowed (the stream had started)' : '';
  return `${attempts.length} attempt(s) on ${deployments} deployment(s) failed${why}${last}${skippedText}`;
}
