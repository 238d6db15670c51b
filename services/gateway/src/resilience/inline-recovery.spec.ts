import { Logger } from '@nestjs/common';
import { DeploymentSchema, ProviderError } from '@tollgate/providers';
import type { Deployment } from '@tollgate/providers';
import { CircuitBreakers } from './circuit-breakers';
import { InlineRecovery, RecoveryExhaustedError, recoveryAttemptsOf } from './inline-recovery';
import type { ResilienceConfig } from './resilience.config';

const deployment = (id: string, region: 'eu' | 'us' | 'global' = 'us'): Deployment =>
  DeploymentSchema.parse({ id, provider: 'mock', publicModel: 'mock/echo', model: 'echo', region });

const A = deployment('dep-a');
const B = deployment('dep-b');
const C = deployment('dep-c');

/** Tiny backoff so real-timer tests never wait noticeably; the timing tests use fake timers. */
function makeConfig(overrides: Partial<ResilienceConfig['retry']> = {}, breaker: Partial<ResilienceConfig['breaker']> = {}): ResilienceConfig {
  return {
    breaker: { failureThreshold: 5, halfOpenAfterMs: 30_000, ...breaker },
    retry: { attemptsPerDeployment: 2, maxTotalAttempts: 6, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 5_000, ...overrides },
  };
}

const serverError = () => new ProviderError('upstream 500', 'server_error', { status: 500 });
const timeout = () => new ProviderError('no answer in 60000 ms', 'timeout');
const rateLimited = (retryAfterMs: number) => new ProviderError('slow down', 'rate_limited', { status: 429, retryAfterMs });
const badRequest = () => new ProviderError('max_tokens too large', 'client_error', { status: 400 });

/** An attempt function scripted per deployment: each call takes the next outcome (an Error is thrown). */
function scripted(script: Record<string, Array<Error | string>>) {
  const calls: string[] = [];
  const attempt = jest.fn(async (d: Deployment, _signal: AbortSignal): Promise<string> => {
    calls.push(d.id);
    const outcome = script[d.id]?.shift() ?? `answer from ${d.id}`;
    if (outcome instanceof Error) throw outcome;
    return outcome;
  });
  return { attempt, calls };
}

function setup(config = makeConfig()) {
  const breakers = new CircuitBreakers(config);
  return { breakers, recovery: new InlineRecovery(config, breakers) };
}

describe('InlineRecovery', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('returns the first success with one attempt recorded', async () => {
    const { recovery } = setup();
    const { attempt } = scripted({});
    const outcome = await recovery.run({ candidates: [A, B] }, attempt);
    expect(outcome.result).toBe('answer from dep-a');
    expect(outcome.deployment.id).toBe('dep-a');
    expect(outcome.attempts).toEqual([{ provider: 'mock', model: 'echo', deployment: 'dep-a', status: 200, latencyMs: expect.any(Number), errorClass: null }]);
  });

  it('retries 500s on the deployment, then falls back, recording every attempt in order', async () => {
    const { recovery } = setup();
    const { attempt, calls } = scripted({ 'dep-a': [serverError(), serverError()] });
    const outcome = await recovery.run({ candidates: [A, B] }, attempt);
    expect(outcome.deployment.id).toBe('dep-b');
    expect(calls).toEqual(['dep-a', 'dep-a', 'dep-b']);
    expect(outcome.attempts.map((a) => [a.deployment, a.status, a.errorClass])).toEqual([
      ['dep-a', 500, 'server_error'],
      ['dep-a', 500, 'server_error'],
      ['dep-b', 200, null],
    ]);
  });

  it('retries timeouts', async () => {
    const { recovery } = setup();
    const { attempt } = scripted({ 'dep-a': [timeout()] });
    const outcome = await recovery.run({ candidates: [A] }, attempt);
    expect(outcome.attempts.map((a) => [a.deployment, a.status, a.errorClass])).toEqual([
      ['dep-a', null, 'timeout'],
      ['dep-a', 200, null],
    ]);
  });

  it('waits for a 429 Retry-After under the cap before retrying the same deployment', async () => {
    jest.useFakeTimers();
    const { recovery } = setup();
    const { attempt, calls } = scripted({ 'dep-a': [rateLimited(2_000)] });
    const run = recovery.run({ candidates: [A, B] }, attempt);
    await jest.advanceTimersByTimeAsync(1_999);
    expect(calls).toEqual(['dep-a']);
    await jest.advanceTimersByTimeAsync(1);
    const outcome = await run;
    expect(calls).toEqual(['dep-a', 'dep-a']);
    expect(outcome.deployment.id).toBe('dep-a');
    expect(outcome.attempts.map((a) => [a.status, a.errorClass])).toEqual([
      [429, 'rate_limited'],
      [200, null],
    ]);
  });

  it('moves to the next deployment at once when Retry-After is over the cap', async () => {
    jest.useFakeTimers();
    const { recovery } = setup();
    const { attempt, calls } = scripted({ 'dep-a': [rateLimited(60_000)] });
    // No timer is advanced: the fallback must not wait.
    const outcome = await recovery.run({ candidates: [A, B] }, attempt);
    expect(calls).toEqual(['dep-a', 'dep-b']);
    expect(outcome.deployment.id).toBe('dep-b');
  });

  it('backs off exponentially with full jitter between retries', async () => {
    jest.useFakeTimers();
    const random = jest.spyOn(Math, 'random').mockReturnValue(0.999);
    const { recovery } = setup(makeConfig({ attemptsPerDeployment: 3, baseDelayMs: 100, maxDelayMs: 2_000 }));
    const { attempt, calls } = scripted({ 'dep-a': [serverError(), serverError()] });
    const run = recovery.run({ candidates: [A] }, attempt);
    await jest.advanceTimersByTimeAsync(98);
    expect(calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1); // first wait: floor(0.999 × 100) = 99 ms
    expect(calls).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(198);
    expect(calls).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(1); // second wait: floor(0.999 × 200) = 199 ms
    await expect(run).resolves.toMatchObject({ result: 'answer from dep-a' });
    random.mockRestore();
  });

  it('does not retry a client error, propagates it unchanged, and keeps the breaker closed', async () => {
    const { recovery, breakers } = setup(makeConfig({}, { failureThreshold: 2 }));
    for (let i = 0; i < 4; i++) {
      const error = badRequest();
      const { attempt, calls } = scripted({ 'dep-a': [error] });
      const failure = await recovery.run({ candidates: [A, B] }, attempt).catch((e: unknown) => e);
      expect(failure).toBe(error);
      expect(calls).toEqual(['dep-a']);
      expect(recoveryAttemptsOf(failure).map((a) => [a.deployment, a.status, a.errorClass])).toEqual([['dep-a', 400, 'client_error']]);
    }
    expect(breakers.stateOf('dep-a')).toBe('closed');
  });

  it('stops at the first failure once mayFallback says no (a stream has started)', async () => {
    const { recovery } = setup();
    let firstTokenSent = false;
    const cut = new ProviderError('stream cut', 'stream_cut');
    const attempt = jest.fn(async (d: Deployment): Promise<string> => {
      if (d.id === 'dep-a') {
        firstTokenSent = true;
        throw cut;
      }
      return 'fallback';
    });
    const failure = await recovery.run({ candidates: [A, B] }, attempt, { mayFallback: () => !firstTokenSent }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RecoveryExhaustedError);
    expect(failure).toMatchObject({ reason: 'fallback_not_allowed', lastError: cut });
    expect(attempt).toHaveBeenCalledTimes(1);
    expect(recoveryAttemptsOf(failure)).toHaveLength(1);
  });

  it('throws RecoveryExhaustedError with every attempt and the last error when all candidates fail', async () => {
    const { recovery } = setup();
    const last = timeout();
    const { attempt } = scripted({ 'dep-a': [serverError(), serverError()], 'dep-b': [rateLimited(10), last] });
    const failure = await recovery.run({ candidates: [A, B] }, attempt).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RecoveryExhaustedError);
    const exhausted = failure as RecoveryExhaustedError;
    expect(exhausted.reason).toBe('all_failed');
    expect(exhausted.lastError).toBe(last);
    expect(exhausted.attempts.map((a) => [a.deployment, a.status, a.errorClass])).toEqual([
      ['dep-a', 500, 'server_error'],
      ['dep-a', 500, 'server_error'],
      ['dep-b', 429, 'rate_limited'],
      ['dep-b', null, 'timeout'],
    ]);
    expect(exhausted.message).toContain('4 attempt(s) on 2 deployment(s) failed');
  });

  it('counts failures on the breaker and skips an open deployment on the next call', async () => {
    const { recovery, breakers } = setup(makeConfig({}, { failureThreshold: 2 }));
    const first = scripted({ 'dep-a': [serverError(), serverError()] });
    await recovery.run({ candidates: [A, B] }, first.attempt);
    expect(breakers.stateOf('dep-a')).toBe('open');

    const second = scripted({});
    const outcome = await recovery.run({ candidates: [A, B] }, second.attempt);
    expect(second.calls).toEqual(['dep-b']);
    expect(outcome.attempts.map((a) => a.deployment)).toEqual(['dep-b']);
  });

  it('reports a deployment whose breaker opened during its retries as tried, not also as skipped', async () => {
    const { recovery, breakers } = setup(makeConfig({ attemptsPerDeployment: 3 }, { failureThreshold: 2 }));
    const second = serverError();
    const { attempt, calls } = scripted({ 'dep-a': [serverError(), second] });
    const failure = await recovery.run({ candidates: [A] }, attempt).catch((e: unknown) => e);
    expect(breakers.stateOf('dep-a')).toBe('open');
    expect(calls).toEqual(['dep-a', 'dep-a']);
    expect(failure).toBeInstanceOf(RecoveryExhaustedError);
    expect(failure).toMatchObject({ reason: 'all_failed', skipped: [], lastError: second });
    expect((failure as RecoveryExhaustedError).attempts.map((a) => [a.deployment, a.status, a.errorClass])).toEqual([
      ['dep-a', 500, 'server_error'],
      ['dep-a', 500, 'server_error'],
    ]);
    expect((failure as RecoveryExhaustedError).message).not.toContain('skipped');
  });

  it('falls back after a mid-retry opening; only a breaker open before the call is reported as skipped', async () => {
    const { recovery } = setup(makeConfig({ attemptsPerDeployment: 3 }, { failureThreshold: 2 }));
    // dep-c is open before the call.
    await recovery.run({ candidates: [C, B] }, scripted({ 'dep-c': [serverError(), serverError()] }).attempt);
    const { attempt, calls } = scripted({ 'dep-a': [serverError(), serverError()] });
    const outcome = await recovery.run({ candidates: [C, A, B] }, attempt);
    expect(calls).toEqual(['dep-a', 'dep-a', 'dep-b']);
    expect(outcome.deployment.id).toBe('dep-b');

    const last = serverError();
    const again = scripted({ 'dep-b': [serverError(), last] });
    const failure = await recovery.run({ candidates: [C, A, B] }, again.attempt).catch((e: unknown) => e);
    expect(again.calls).toEqual(['dep-b', 'dep-b']);
    expect(failure).toMatchObject({ reason: 'all_failed', skipped: ['dep-c', 'dep-a'] });
    expect((failure as RecoveryExhaustedError).lastError).toBe(last);
    expect((failure as RecoveryExhaustedError).attempts.map((a) => a.deployment)).toEqual(['dep-b', 'dep-b']);
  });

  it('does not report a deployment as skipped when other calls open its breaker during the backoff', async () => {
    jest.useFakeTimers();
    // The backoff is full jitter: pin it to floor(0.5 × 100) = 50 ms, or a draw under 0.01 would make it
    // 0 ms and the retry would run before the breaker opens (CI saw that once).
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    const { recovery, breakers } = setup(makeConfig({ attemptsPerDeployment: 2, baseDelayMs: 100, maxDelayMs: 100 }, { failureThreshold: 3 }));
    const first = serverError();
    const { attempt, calls } = scripted({ 'dep-a': [first] });
    const run = recovery.run({ candidates: [A] }, attempt).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(0);
    expect(calls).toEqual(['dep-a']);
    // Two concurrent calls fail on dep-a while this one waits to retry: the breaker opens.
    for (let i = 0; i < 2; i++) await breakers.execute(A, () => Promise.reject(serverError())).catch(() => undefined);
    expect(breakers.stateOf('dep-a')).toBe('open');
    await jest.advanceTimersByTimeAsync(100);
    const failure = await run;
    expect(calls).toEqual(['dep-a']);
    expect(failure).toMatchObject({ reason: 'all_failed', skipped: [], lastError: first });
    expect(recoveryAttemptsOf(failure).map((a) => a.deployment)).toEqual(['dep-a']);
  });

  it('fails with none_available, trying nothing, when every breaker is open', async () => {
    const { recovery } = setup(makeConfig({}, { failureThreshold: 2 }));
    await recovery.run({ candidates: [A, B, C] }, scripted({ 'dep-a': [serverError(), serverError()], 'dep-b': [serverError(), serverError()] }).attempt);
    const { attempt, calls } = scripted({});
    const failure = await recovery.run({ candidates: [A, B] }, attempt).catch((e: unknown) => e);
    expect(failure).toMatchObject({ reason: 'none_available', skipped: ['dep-a', 'dep-b'], attempts: [], lastError: undefined });
    expect(calls).toEqual([]);
  });

  it('stops at the total attempt limit', async () => {
    const { recovery } = setup(makeConfig({ maxTotalAttempts: 3 }));
    const { attempt, calls } = scripted({ 'dep-a': [serverError(), serverError()], 'dep-b': [serverError(), serverError()], 'dep-c': [serverError()] });
    const failure = await recovery.run({ candidates: [A, B, C] }, attempt).catch((e: unknown) => e);
    expect(calls).toEqual(['dep-a', 'dep-a', 'dep-b']);
    expect(failure).toMatchObject({ reason: 'all_failed' });
  });

  it('honours maxAttemptsPerDeployment', async () => {
    const { recovery } = setup();
    const { attempt, calls } = scripted({ 'dep-a': [serverError()] });
    await recovery.run({ candidates: [A, B] }, attempt, { maxAttemptsPerDeployment: 1 });
    expect(calls).toEqual(['dep-a', 'dep-b']);
  });

  it('propagates an unexpected (non-provider) error without retrying, recorded as a server error', async () => {
    const { recovery } = setup();
    const bug = new TypeError('cannot read properties of undefined');
    const { attempt, calls } = scripted({ 'dep-a': [bug] });
    const failure = await recovery.run({ candidates: [A, B] }, attempt).catch((e: unknown) => e);
    expect(failure).toBe(bug);
    expect(calls).toEqual(['dep-a']);
    expect(recoveryAttemptsOf(failure)).toEqual([expect.objectContaining({ deployment: 'dep-a', status: null, errorClass: 'server_error' })]);
  });

  it('makes no further try once the client has gone away', async () => {
    const { recovery } = setup();
    const controller = new AbortController();
    const attempt = jest.fn(async (): Promise<string> => {
      controller.abort();
      throw new ProviderError('aborted', 'connection');
    });
    const failure = await recovery.run({ candidates: [A, B] }, attempt, { signal: controller.signal }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ProviderError);
    expect(attempt).toHaveBeenCalledTimes(1);
  });
});
