import { Logger } from '@nestjs/common';
import { ProviderError } from '@tollgate/providers';
import { METRIC_TOLLGATE_BREAKER_STATE, tollgateMeter } from '@tollgate/telemetry';
import { ATTR_TOLLGATE_DEPLOYMENT_ID, BreakerOpenError, CircuitBreakers } from './circuit-breakers';
import type { ResilienceConfig } from './resilience.config';

const config: ResilienceConfig = {
  breaker: { failureThreshold: 3, halfOpenAfterMs: 30_000 },
  retry: { attemptsPerDeployment: 2, maxTotalAttempts: 6, baseDelayMs: 100, maxDelayMs: 2_000, maxRetryAfterMs: 5_000 },
};
const target = { id: 'openai-gpt-4o-eu', provider: 'openai' as const, region: 'eu' as const };

const serverError = () => new ProviderError('upstream 503', 'server_error', { status: 503 });
const ok = () => Promise.resolve('ok');
const fails = (error: Error) => () => Promise.reject(error);

async function failTimes(breakers: CircuitBreakers, n: number, error: () => Error = serverError): Promise<void> {
  for (let i = 0; i < n; i++) await expect(breakers.execute(target, fails(error()))).rejects.toBeInstanceOf(ProviderError);
}

describe('CircuitBreakers', () => {
  let gaugeRecords: Array<{ value: number; deployment: unknown }>;
  let breakers: CircuitBreakers;

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(() => {
    jest.useFakeTimers();
    gaugeRecords = [];
    jest.spyOn(tollgateMeter, 'gauge').mockImplementation((name) => {
      expect(name).toBe(METRIC_TOLLGATE_BREAKER_STATE);
      return { record: (value, attributes) => gaugeRecords.push({ value, deployment: attributes?.[ATTR_TOLLGATE_DEPLOYMENT_ID] }) };
    });
    breakers = new CircuitBreakers(config);
  });

  afterEach(() => {
    breakers.onModuleDestroy();
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('opens after N consecutive failures and then rejects without calling the deployment', async () => {
    await failTimes(breakers, 2);
    expect(breakers.stateOf(target.id)).toBe('closed');
    await failTimes(breakers, 1);
    expect(breakers.stateOf(target.id)).toBe('open');
    expect(breakers.isAvailable(target.id)).toBe(false);

    const call = jest.fn(ok);
    await expect(breakers.execute(target, call)).rejects.toBeInstanceOf(BreakerOpenError);
    expect(call).not.toHaveBeenCalled();
  });

  it('half-opens after the delay, lets exactly one probe through, and closes when it succeeds', async () => {
    await failTimes(breakers, 3);
    jest.advanceTimersByTime(29_999);
    expect(breakers.stateOf(target.id)).toBe('open');
    jest.advanceTimersByTime(1);
    expect(breakers.stateOf(target.id)).toBe('half-open');
    expect(breakers.isAvailable(target.id)).toBe(true);

    let finishProbe: (value: string) => void = () => undefined;
    const probe = breakers.execute(target, () => new Promise<string>((resolve) => (finishProbe = resolve)));
    // cockatiel would make this caller wait for the probe; we skip the deployment instead.
    expect(breakers.isAvailable(target.id)).toBe(false);
    await expect(breakers.execute(target, ok)).rejects.toBeInstanceOf(BreakerOpenError);

    finishProbe('probed');
    await expect(probe).resolves.toBe('probed');
    expect(breakers.stateOf(target.id)).toBe('closed');
    expect(gaugeRecords.map((r) => r.value)).toEqual([0, 2, 1, 0]);
    expect(gaugeRecords.every((r) => r.deployment === target.id)).toBe(true);
  });

  it('reopens for another full delay when the probe fails', async () => {
    await failTimes(breakers, 3);
    jest.advanceTimersByTime(30_000);
    await failTimes(breakers, 1);
    expect(breakers.stateOf(target.id)).toBe('open');
    jest.advanceTimersByTime(29_999);
    expect(breakers.stateOf(target.id)).toBe('open');
    jest.advanceTimersByTime(1);
    expect(breakers.stateOf(target.id)).toBe('half-open');
  });

  it('records half-open on the gauge when the delay passes, even with no traffic', async () => {
    await failTimes(breakers, 3);
    jest.advanceTimersByTime(30_000);
    expect(gaugeRecords.map((r) => r.value)).toEqual([0, 2, 1]);
  });

  it('never counts client errors or 429s, and does not let them reset the count either', async () => {
    await failTimes(breakers, 2);
    await failTimes(breakers, 5, () => new ProviderError('bad request', 'client_error', { status: 400 }));
    await failTimes(breakers, 5, () => new ProviderError('slow down', 'rate_limited', { status: 429, retryAfterMs: 1000 }));
    expect(breakers.stateOf(target.id)).toBe('closed');
    await failTimes(breakers, 1);
    expect(breakers.stateOf(target.id)).toBe('open');
  });

  it('counts timeouts, connection errors and cut streams', async () => {
    await failTimes(breakers, 1, () => new ProviderError('timed out', 'timeout'));
    await failTimes(breakers, 1, () => new ProviderError('reset', 'connection'));
    await failTimes(breakers, 1, () => new ProviderError('cut', 'stream_cut'));
    expect(breakers.stateOf(target.id)).toBe('open');
  });

  it('does not count a failure caused by the caller aborting', async () => {
    for (let i = 0; i < 5; i++) {
      const controller = new AbortController();
      // What an adapter does when the signal fires: it may well report it as a timeout.
      const call = breakers.execute(
        target,
        (signal) => new Promise<string>((_, reject) => signal.addEventListener('abort', () => reject(new ProviderError('aborted', 'timeout')))),
        controller.signal,
      );
      controller.abort();
      await expect(call).rejects.toBeInstanceOf(ProviderError);
    }
    expect(breakers.stateOf(target.id)).toBe('closed');
  });

  it('does not let caller aborts in the closed state reset the consecutive count either', async () => {
    await failTimes(breakers, 2);
    const controller = new AbortController();
    const call = breakers.execute(target, (signal) => new Promise<string>((_, reject) => signal.addEventListener('abort', () => reject(new ProviderError('aborted', 'connection')))), controller.signal);
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(ProviderError);
    expect(breakers.stateOf(target.id)).toBe('closed');
    await failTimes(breakers, 1);
    expect(breakers.stateOf(target.id)).toBe('open');
  });

  it('frees the probe slot when the caller aborts the half-open probe: neither closed nor reopened', async () => {
    await failTimes(breakers, 3);
    jest.advanceTimersByTime(30_000);
    expect(breakers.stateOf(target.id)).toBe('half-open');

    const controller = new AbortController();
    const probe = breakers.execute(
      target,
      (signal) => new Promise<string>((_, reject) => signal.addEventListener('abort', () => reject(new ProviderError('aborted', 'timeout')))),
      controller.signal,
    );
    expect(breakers.isAvailable(target.id)).toBe(false);
    controller.abort();
    await expect(probe).rejects.toBeInstanceOf(ProviderError);

    // The aborted probe proved nothing: still half-open, at once ready for the next probe.
    expect(breakers.stateOf(target.id)).toBe('half-open');
    expect(breakers.isAvailable(target.id)).toBe(true);
    expect(breakers.snapshot([target])[0]).toMatchObject({ state: 'half-open', consecutiveFailures: 3 });
    expect(gaugeRecords.map((r) => r.value)).toEqual([0, 2, 1]);

    // The next probe decides, as usual: a failure reopens for a full delay ...
    await failTimes(breakers, 1);
    expect(breakers.stateOf(target.id)).toBe('open');
    jest.advanceTimersByTime(29_999);
    expect(breakers.stateOf(target.id)).toBe('open');
    jest.advanceTimersByTime(1);
    // ... and a success closes.
    await expect(breakers.execute(target, ok)).resolves.toBe('ok');
    expect(breakers.stateOf(target.id)).toBe('closed');
    expect(gaugeRecords.map((r) => r.value)).toEqual([0, 2, 1, 2, 1, 0]);
  });

  it('snapshots every deployment asked for, with state, since and recent failures', async () => {
    jest.setSystemTime(new Date('2026-11-02T10:00:00.000Z'));
    await failTimes(breakers, 3);
    const other = { id: 'mock-echo-us', provider: 'mock' as const, region: 'us' as const };
    const [tripped, untouched] = breakers.snapshot([target, other]);
    expect(tripped).toMatchObject({ deploymentId: target.id, provider: 'openai', region: 'eu', state: 'open', since: '2026-11-02T10:00:00.000Z', consecutiveFailures: 3 });
    expect(tripped.recentFailures).toHaveLength(3);
    expect(tripped.recentFailures[0]).toEqual({ at: '2026-11-02T10:00:00.000Z', errorClass: 'server_error', status: 503 });
    expect(untouched).toMatchObject({ deploymentId: 'mock-echo-us', state: 'closed', consecutiveFailures: 0, recentFailures: [] });
  });
});
