import { Redis } from 'ioredis';
import type { BudgetCounters, BudgetCountersOptions, BudgetLimit, BudgetReservation, CorrectionMode, CounterUsage, ReserveRequest, ReserveResult } from './budget-counters';
import { DEFAULT_COUNTER_GRACE_MS, DEFAULT_RESERVATION_TTL_MS } from './budget-counters';
import { counterKey, reservationMember, reservationsKey } from './counter-keys';
import { microsToUsd, usdToMicros } from './micro-usd';
import { planReservation, refusalOf, reservationOf, warningsOf } from './reservation-plan';
import { CORRECT_SCRIPT, FINISH_SCRIPT, RESERVE_SCRIPT, USAGE_SCRIPT } from './redis-scripts';

type ScriptArg = string | number;

/** The scripts as ioredis commands (EVALSHA, falling back to EVAL once per connection). */
interface BudgetScripts {
  tollgateBudgetReserve(numKeys: number, ...args: ScriptArg[]): Promise<number[]>;
  tollgateBudgetFinish(numKeys: number, ...args: ScriptArg[]): Promise<number>;
  tollgateBudgetCorrect(numKeys: number, ...args: ScriptArg[]): Promise<number>;
  tollgateBudgetUsage(numKeys: number, ...args: ScriptArg[]): Promise<number[]>;
}

/** Redis could not be reached or answered an error: the caller decides whether to admit without a budget check. */
export class BudgetCountersUnavailableError extends Error {
  constructor(operation: string, cause: unknown) {
    super(`budget counters unavailable (${operation}): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'BudgetCountersUnavailableError';
  }
}

/**
 * Counters in Redis, shared by every gateway replica (REDIS_URL). Each operation is one Lua
 * script, one round trip. The clock is the gateway's (passed in), so replicas should run NTP;
 * a skew only shifts when reservations expire, never what is admitted.
 */
export class RedisBudgetCounters implements BudgetCounters {
  private readonly redis: Redis & BudgetScripts;
  private readonly finished = new WeakSet<BudgetReservation>();
  private readonly reservationTtlMs: number;
  private readonly counterGraceMs: number;
  private readonly now: () => number;

  /** Prefer RedisBudgetCounters.connect(): it fails at start-up when Redis is not there. */
  constructor(redis: Redis, options: BudgetCountersOptions = {}) {
    redis.defineCommand('tollgateBudgetReserve', { lua: RESERVE_SCRIPT });
    redis.defineCommand('tollgateBudgetFinish', { lua: FINISH_SCRIPT });
    redis.defineCommand('tollgateBudgetCorrect', { lua: CORRECT_SCRIPT });
    redis.defineCommand('tollgateBudgetUsage', { lua: USAGE_SCRIPT });
    this.redis = redis as Redis & BudgetScripts;
    this.reservationTtlMs = options.reservationTtlMs ?? DEFAULT_RESERVATION_TTL_MS;
    this.counterGraceMs = options.counterGraceMs ?? DEFAULT_COUNTER_GRACE_MS;
    this.now = options.now ?? Date.now;
  }

  /** Connects to `url` and checks that Redis answers (PING), or throws saying where it looked. */
  static async connect(url: string, options: BudgetCountersOptions & { connectTimeoutMs?: number } = {}): Promise<RedisBudgetCounters> {
    let started = false;
    const redis = new Redis(url, {
      lazyConnect: true,
      // One retry per command and no offline queue: an admission check must fail fast, not wait for a reconnect.
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      connectTimeout: options.connectTimeoutMs ?? 5000,
      // Reconnect (backing off up to 2 s) once running; at start-up, give up so the process says why.
      retryStrategy: (attempt) => (started ? Math.min(attempt * 100, 2000) : null),
    });
    // Errors surface through the commands (BudgetCountersUnavailableError); without a listener
    // ioredis would also print each reconnect failure as an "unhandled error event".
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      await redis.ping();
      started = true;
    } catch (error) {
      // After a refused connection the client has already ended; disconnect() would then arm a 2 s timer that never clears.
      if (redis.status !== 'end') redis.disconnect();
      throw new Error(`cannot reach Redis for budget counters at ${redactUrl(url)}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    return new RedisBudgetCounters(redis, options);
  }

  async reserve(request: ReserveRequest): Promise<ReserveResult> {
    const plan = planReservation(request, this.now(), this.reservationTtlMs, this.counterGraceMs);
    if (plan.counters.length === 0) return { admitted: true, reservation: reservationOf(plan), warnings: [] };
    const keys = plan.counters.flatMap((c) => [c.key, c.reservationsKey]);
    const args: ScriptArg[] = [plan.estimateMicros, plan.now, plan.expiresAt, plan.member, ...plan.counters.flatMap((c) => [c.hardMicros, c.expiresAt])];
    const reply = await this.run('reserve', () => this.redis.tollgateBudgetReserve(keys.length, ...keys, ...args));
    if (reply[0] === 0) return { admitted: false, refusal: refusalOf(plan, plan.counters[reply[1] - 1], reply[2]) };
    return { admitted: true, reservation: reservationOf(plan), warnings: warningsOf(plan, reply.slice(1)) };
  }

  settle(reservation: BudgetReservation, actualUsd: string): Promise<void> {
    return this.finish(reservation, usdToMicros(actualUsd, 'up'));
  }

  release(reservation: BudgetReservation): Promise<void> {
    return this.finish(reservation, 0);
  }

  async correct(tenantId: string, limit: Pick<BudgetLimit, 'scope' | 'period'>, ledgerSpentUsd: string, at: Date = new Date(this.now()), mode: CorrectionMode = 'raise'): Promise<void> {
    const { key, periodEnd } = counterKey(tenantId, limit.scope, limit.period, at);
    const spent = usdToMicros(ledgerSpentUsd, 'up');
    await this.run('correct', () => this.redis.tollgateBudgetCorrect(2, key, reservationsKey(key), spent, mode, periodEnd.getTime() + this.counterGraceMs));
  }

  async usage(tenantId: string, limit: Pick<BudgetLimit, 'scope' | 'period'>, at: Date = new Date(this.now())): Promise<CounterUsage> {
    const { key } = counterKey(tenantId, limit.scope, limit.period, at);
    const [settled, reserved] = await this.run('usage', () => this.redis.tollgateBudgetUsage(2, key, reservationsKey(key), this.now()));
    return { settledUsd: microsToUsd(settled), reservedUsd: microsToUsd(reserved) };
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private async finish(reservation: BudgetReservation, actualMicros: number): Promise<void> {
    if (this.finished.has(reservation)) throw new Error(`budget reservation ${reservation.id} was already settled or released`);
    this.finished.add(reservation);
    if (reservation.counters.length === 0) return;
    const keys = reservation.counters.flatMap((c) => [c.key, reservationsKey(c.key)]);
    const args: ScriptArg[] = [reservationMember(reservation.id, reservation.estimateMicros), reservation.estimateMicros, actualMicros, ...reservation.counters.map((c) => c.expiresAt)];
    try {
      await this.run('settle', () => this.redis.tollgateBudgetFinish(keys.length, ...keys, ...args));
    } catch (error) {
      // Not finished after all: the caller may retry, and the reservation expires on its own otherwise.
      this.finished.delete(reservation);
      throw error;
    }
  }

  private async run<T>(operation: string, command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw new BudgetCountersUnavailableError(operation, error);
    }
  }
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable REDIS_URL>';
  }
}
