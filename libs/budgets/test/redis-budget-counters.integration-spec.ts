import { Redis } from 'ioredis';
import { ulid } from 'ulid';
import { RedisBudgetCounters, createBudgetCounters } from '../src/index';
import { budgetCountersConformance } from './budget-counters.conformance';

/**
 * Needs a Redis server: the machine's on 127.0.0.1:6379 (CI starts it), or TEST_REDIS_URL.
 * When it is not there these tests fail, they are never skipped: a green run must mean the
 * Lua scripts ran.
 */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('RedisBudgetCounters against a real Redis', () => {
  let admin: Redis;

  beforeAll(async () => {
    admin = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000 });
    try {
      await admin.connect();
      await admin.ping();
    } catch (error) {
      admin.disconnect();
      throw new Error(`Redis is required by the budget counter tests and did not answer at ${REDIS_URL} (${error instanceof Error ? error.message : String(error)}). Start it (redis-server, or the CI script starts it) or set TEST_REDIS_URL.`, { cause: error });
    }
  });

  afterAll(async () => {
    // Only this suite's keys: every test tenant id starts with t_ and a fresh ULID.
    const keys = await admin.keys('tollgate:budget:{t_*');
    if (keys.length) await admin.del(...keys);
    await admin.quit();
  });

  describe('conformance, with 4 clients standing for 4 gateway replicas', () => {
    budgetCountersConformance((options) => RedisBudgetCounters.connect(REDIS_URL, options), { replicas: 4 });
  });

  it('gives every counter key an expiry just after its period ends', async () => {
    const counters = await createBudgetCounters({ redisUrl: REDIS_URL });
    try {
      const tenantId = `t_${ulid()}`;
      const result = await counters.reserve({ tenantId, limits: [{ budgetId: 'b', scope: { type: 'agent', id: 'a:1}' }, period: 'day', softLimitUsd: null, hardLimitUsd: '5' }], estimateUsd: '1' });
      expect(result.admitted).toBe(true);
      const keys = await admin.keys(`tollgate:budget:{${tenantId}}:*`);
      // The id's ':' and '}' are encoded, so they cannot forge another key or hash tag.
      expect(keys.sort()).toEqual([expect.stringMatching(/:agent:a%3A1%7D:day:\d{4}-\d{2}-\d{2}$/), expect.stringMatching(/:reservations$/)]);
      for (const key of keys) {
        const ttl = await admin.pttl(key);
        expect(ttl).toBeGreaterThan(2 * 24 * 3_600_000 - 60_000);
        expect(ttl).toBeLessThanOrEqual(3 * 24 * 3_600_000);
      }
    } finally {
      await counters.close();
    }
  });

  it('fails at start-up with the address it tried when Redis is not there', async () => {
    await expect(RedisBudgetCounters.connect('redis://127.0.0.1:1', { connectTimeoutMs: 100 })).rejects.toThrow(/cannot reach Redis for budget counters at redis:\/\/127\.0\.0\.1:1/);
  });
});
