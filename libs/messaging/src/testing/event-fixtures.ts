import type { GovernanceApiKeySnapshotV1, LlmCallV1 } from '@tollgate/contracts';
import { ulid } from 'ulid';

/** A complete, valid llm.call.v1 event (as in libs/contracts' spec). */
export function llmCallEvent(overrides: Partial<LlmCallV1> = {}): LlmCallV1 {
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

/** A valid governance.apikey.v1 snapshot for `tenantId`, naming the tenant `name`. */
export function apiKeySnapshotEvent(tenantId: string, name: string): GovernanceApiKeySnapshotV1 {
  return {
    id: ulid(),
    type: 'governance.apikey',
    version: 1,
    occurredAt: new Date().toISOString(),
    tenantId,
    tenant: { name, plan: 'free', region: 'eu', privacyMode: 'metadata', active: true },
    keys: [{ id: 'k1', hash: 'b'.repeat(64), prefix: 'tg-abc', userId: null, active: true, expiresAt: null }],
  };
}
