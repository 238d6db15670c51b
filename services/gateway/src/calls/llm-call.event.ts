import { isoTimestamp, newUlid } from '@tollgate/contracts';
import { trace } from '@opentelemetry/api';
import type { LlmCallAttempt, LlmCallOutcome, LlmCallV1, RouteDecision } from '@tollgate/contracts';
import type { Caller } from '@tollgate/platform';
import type { ProviderUsage } from '@tollgate/providers';
import { promptFingerprint } from './prompt-fingerprint';

/** Attribution a client may attach to a call, from `x-tollgate-*` headers. */
export interface CallAttribution {
  agentId: string | null;
  workflowId: string | null;
  nodeId: string | null;
  sessionId: string | null;
}

export interface CallFacts {
  caller: Caller;
  callId: string;
  requestId: string;
  attribution: CallAttribution;
  endUser: string | null;
  operation: 'chat' | 'embeddings';
  requestedModel: string;
  stream: boolean;
  /** Prompt texts (messages or embedding inputs), used for the fingerprint and, in `full` mode, kept. */
  prompt: ReadonlyArray<{ role: string; text: string }>;
  decision: RouteDecision | null;
  attempts: LlmCallAttempt[];
  usage: ProviderUsage;
  usageSource: 'provider' | 'estimated';
  providerCostUsd: string | null;
  responseModel: string | null;
  finishReasons: string[];
  startedAt: Date;
  latencyMs: number;
  timeToFirstTokenMs: number | null;
  outcome: LlmCallOutcome;
  error: { type: string; code: string | null; message: string } | null;
  completion: string | null;
}

/** Usage of a call that used nothing (yet). */
export const ZERO_USAGE: ProviderUsage = Object.freeze({ inputTokens: 0, outputTokens: 0, cachedReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });

/** What is known of a call before it runs; the rest of its facts start empty. */
export type CallStart = Pick<CallFacts, 'caller' | 'callId' | 'requestId' | 'attribution' | 'endUser' | 'operation' | 'requestedModel' | 'stream' | 'prompt' | 'decision'>;

/** A call's facts as it starts: nothing tried, no usage yet, outcome `ok` until something fails. */
export function startCallFacts(start: CallStart): CallFacts {
  return {
    ...start,
    attempts: [],
    usage: ZERO_USAGE,
    usageSource: 'estimated',
    providerCostUsd: null,
    responseModel: null,
    finishReasons: [],
    startedAt: new Date(),
    latencyMs: 0,
    timeToFirstTokenMs: null,
    outcome: 'ok',
    error: null,
    completion: null,
  };
}

const NO_TRACE = '00000000000000000000000000000000';

/** The one place that turns what happened in a call into its `llm.call.v1` fact. */
export function buildLlmCallEvent(f: CallFacts): LlmCallV1 {
  const { caller } = f;
  const spanContext = trace.getActiveSpan()?.spanContext();
  const u = f.usage;
  return {
    id: newUlid(),
    type: 'llm.call',
    version: 1,
    occurredAt: isoTimestamp(Date.now()),
    tenantId: caller.tenantId,
    callId: f.callId,
    requestId: f.requestId,
    apiKeyId: caller.apiKeyId,
    userId: caller.userId,
    endUser: f.endUser,
    attribution: f.attribution,
    plan: caller.plan,
    region: caller.region,
    operation: f.operation,
    requestedModel: f.requestedModel,
    stream: f.stream,
    route: f.decision,
    attempts: f.attempts,
    usage: { ...u, totalTokens: u.inputTokens + u.outputTokens, source: f.usageSource },
    providerCostUsd: f.providerCostUsd,
    responseModel: f.responseModel,
    finishReasons: f.finishReasons,
    startedAt: isoTimestamp(f.startedAt.getTime()),
    latencyMs: f.latencyMs,
    timeToFirstTokenMs: f.timeToFirstTokenMs,
    outcome: f.outcome,
    error: f.error ? { ...f.error, message: f.error.message.slice(0, 4000) } : null,
    guardrails: [],
    privacyMode: caller.privacyMode,
    promptFingerprint: promptFingerprint(f.prompt),
    promptStats: caller.privacyMode === 'none' ? null : { messageCount: f.prompt.length, characters: f.prompt.reduce((n, m) => n + m.text.length, 0) },
    content: caller.privacyMode === 'full' ? { messages: f.prompt.map((m) => ({ role: m.role, content: m.text })), completion: f.completion } : null,
    traceId: spanContext && spanContext.traceId !== NO_TRACE ? spanContext.traceId : null,
  };
}

export function newCallId(): string {
  return newUlid();
}
