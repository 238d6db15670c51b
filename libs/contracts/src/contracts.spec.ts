import { ulid } from 'ulid';
import { LlmCallV1, validateEvent, assertEvent, EventValidationError, GovernanceApiKeySnapshotV1, contractForTopic, TOPICS } from './index';
import type { LlmCallV1 as LlmCallV1Event } from './index';

function validCall(overrides: Partial<LlmCallV1Event> = {}): LlmCallV1Event {
  return {
    id: ulid(),
    type: 'llm.call',
    version: 1,
    occurredAt: new Date().toISOString(),
    tenantId: 't_1',
    callId: ulid(),
    requestId: 'req_1',
    apiKeyId: 'key_1',
    userId: null,
    endUser: null,
    attribution: { agentId: 'agent-7', workflowId: null, nodeId: null, sessionId: null },
    plan: 'pro',
    region: 'us',
    operation: 'chat',
    requestedModel: 'mock/echo',
    stream: false,
    route: { provider: 'mock', model: 'echo', deployment: null, region: null, rule: 'direct', reason: null, policyVersion: null, candidates: ['mock/echo'] },
    attempts: [{ provider: 'mock', model: 'echo', deployment: null, status: 200, latencyMs: 1.5, errorClass: null }],
    usage: { inputTokens: 10, outputTokens: 5, cachedReadTokens: 2, cacheWriteTokens: 0, reasoningTokens: 0, totalTokens: 15, source: 'provider' },
    providerCostUsd: null,
    responseModel: 'echo',
    finishReasons: ['stop'],
    startedAt: new Date().toISOString(),
    latencyMs: 3,
    timeToFirstTokenMs: null,
    outcome: 'ok',
    error: null,
    guardrails: [],
    privacyMode: 'metadata',
    promptFingerprint: 'a'.repeat(64),
    promptStats: { messageCount: 1, characters: 5 },
    content: null,
    traceId: null,
    ...overrides,
  };
}

describe('llm.call.v1 contract', () => {
  it('accepts a complete call event', () => {
    const result = validateEvent(LlmCallV1, validCall());
    expect(result.ok).toBe(true);
  });

  it('rejects negative token counts and names the field', () => {
    const event = validCall();
    event.usage.inputTokens = -1;
    const result = validateEvent(LlmCallV1, event);
    expect(result).toEqual({ ok: false, issues: expect.arrayContaining([expect.stringContaining('usage.inputTokens: must not be negative')]) });
  });

  it('rejects absurd token counts', () => {
    const event = validCall();
    event.usage.outputTokens = 10 ** 12;
    const result = validateEvent(LlmCallV1, event);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues.join()).toContain('usage.outputTokens');
  });

  it('rejects cached tokens that exceed input tokens', () => {
    const event = validCall();
    event.usage.cachedReadTokens = 11;
    const result = validateEvent(LlmCallV1, event);
    expect(!result.ok && result.issues.join()).toContain('cached read + cache write tokens exceed input tokens');
  });

  it('rejects prompt content unless the privacy mode is full', () => {
    const content = { messages: [{ role: 'user', content: 'hi' }], completion: 'hello' };
    expect(validateEvent(LlmCallV1, validCall({ content })).ok).toBe(false);
    expect(validateEvent(LlmCallV1, validCall({ content, privacyMode: 'full' })).ok).toBe(true);
  });

  it('rejects an event of another type or version', () => {
    expect(validateEvent(LlmCallV1, { ...validCall(), version: 2 }).ok).toBe(false);
    expect(validateEvent(LlmCallV1, { ...validCall(), type: 'llm.calls' }).ok).toBe(false);
  });

  it('rejects a missing id and a malformed ULID', () => {
    const { id: _id, ...withoutId } = validCall();
    expect(validateEvent(LlmCallV1, withoutId).ok).toBe(false);
    expect(validateEvent(LlmCallV1, validCall({ id: 'not-a-ulid' })).ok).toBe(false);
  });

  it('assertEvent throws an EventValidationError listing each problem', () => {
    const event = validCall({ tenantId: '' });
    event.usage.totalTokens = 1.5;
    expect(() => assertEvent(LlmCallV1, event)).toThrow(EventValidationError);
    try {
      assertEvent(LlmCallV1, event);
    } catch (error) {
      expect((error as EventValidationError).issues).toHaveLength(2);
    }
  });
});

describe('governance.apikey.v1 contract', () => {
  const snapshot = {
    id: ulid(),
    type: 'governance.apikey' as const,
    version: 1 as const,
    occurredAt: new Date().toISOString(),
    tenantId: 't_1',
    tenant: { name: 'Acme', plan: 'free' as const, region: 'eu' as const, privacyMode: 'metadata' as const, active: true },
    keys: [{ id: 'k1', hash: 'b'.repeat(64), prefix: 'tg-abc', userId: null, active: true, expiresAt: null }],
  };

  it('accepts a tenant snapshot with hashed keys', () => {
    expect(validateEvent(GovernanceApiKeySnapshotV1, snapshot).ok).toBe(true);
  });

  it('rejects a snapshot carrying a key that is not a SHA-256 hash', () => {
    const leaked = { ...snapshot, keys: [{ ...snapshot.keys[0], hash: 'tg-plaintext-key' }] };
    expect(validateEvent(GovernanceApiKeySnapshotV1, leaked).ok).toBe(false);
  });
});

describe('contract registry', () => {
  it('finds each contract by its topic and nothing for unknown topics', () => {
    expect(contractForTopic(TOPICS.llmCall)).toBe(LlmCallV1);
    expect(contractForTopic(TOPICS.governanceApiKey)?.compacted).toBe(true);
    expect(contractForTopic('tollgate.unknown.v1')).toBeUndefined();
  });
});
