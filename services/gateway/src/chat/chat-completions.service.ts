import { Inject, Injectable } from '@nestjs/common';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { ulid } from 'ulid';
import type { LlmCallV1 } from '@tollgate/contracts';
import { OpenAiHttpError } from '@tollgate/platform';
import type { Caller } from '@tollgate/platform';
import type { ChatMessage, ProviderChatResponse, ProviderRegistry } from '@tollgate/providers';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  ATTR_TOLLGATE_AGENT_ID,
  ATTR_TOLLGATE_API_KEY_ID,
  ATTR_TOLLGATE_ATTEMPTS,
  ATTR_TOLLGATE_CALL_ID,
  ATTR_TOLLGATE_OUTCOME,
  ATTR_TOLLGATE_ROUTE_RULE,
  ATTR_TOLLGATE_TENANT_ID,
  ATTR_TOLLGATE_USAGE_SOURCE,
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
  genAiMetrics,
  tollgateTracer,
} from '@tollgate/telemetry';
import { GATEWAY_CONFIG } from '../config/gateway.config';
import type { GatewayConfig } from '../config/gateway.config';
import { LlmCallRecorder } from '../calls/llm-call.recorder';
import { promptFingerprint } from '../calls/prompt-fingerprint';
import { PROVIDER_REGISTRY } from '../providers/gateway-providers';
import { messageText } from './dto/chat-completion.request';
import type { ChatCompletionRequest } from './dto/chat-completion.request';
import type { ChatCompletionResponse } from './dto/chat-completion.response';

/** Attribution a client may attach to a call, from `x-tollgate-*` headers. */
export interface CallAttribution {
  agentId: string | null;
  workflowId: string | null;
  nodeId: string | null;
  sessionId: string | null;
}

export interface ChatCall {
  caller: Caller;
  request: ChatCompletionRequest;
  requestId: string;
  attribution: CallAttribution;
}

type Resolved = { provider: string; model: string };

@Injectable()
export class ChatCompletionsService {
  constructor(
    @Inject(PROVIDER_REGISTRY) private readonly providers: ProviderRegistry,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly recorder: LlmCallRecorder,
  ) {}

  /** `provider/model` → a provider that serves it, or a 404 listing what exists. */
  resolve(model: string): Resolved {
    const slash = model.indexOf('/');
    const provider = slash > 0 ? model.slice(0, slash) : '';
    const name = slash > 0 ? model.slice(slash + 1) : model;
    if (this.providers.get(provider)?.models().includes(name)) return { provider, model: name };
    throw OpenAiHttpError.notFound(
      `The model "${model}" does not exist or you do not have access to it. Available models: ${this.providers.qualifiedModels().join(', ')}.`,
      'model',
      'model_not_found',
    );
  }

  /**
   * One provider call inside the GenAI inference span `chat {model}`; the `llm.call` event is
   * published inside it, so consumers' spans join the caller's trace.
   */
  async complete(call: ChatCall): Promise<{ response: ChatCompletionResponse; callId: string }> {
    const { request } = call;
    const target = this.resolve(request.model);
    const callId = ulid();
    const maxTokens = request.max_completion_tokens ?? request.max_tokens;
    return tollgateTracer().startActiveSpan(
      `chat ${target.model}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_CHAT,
          [ATTR_GEN_AI_PROVIDER_NAME]: target.provider,
          [ATTR_GEN_AI_REQUEST_MODEL]: target.model,
          [ATTR_TOLLGATE_CALL_ID]: callId,
          [ATTR_TOLLGATE_TENANT_ID]: call.caller.tenantId,
          [ATTR_TOLLGATE_API_KEY_ID]: call.caller.apiKeyId,
          [ATTR_TOLLGATE_ROUTE_RULE]: 'direct',
          ...(maxTokens !== undefined ? { [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: maxTokens } : {}),
          ...(request.temperature !== undefined ? { [ATTR_GEN_AI_REQUEST_TEMPERATURE]: request.temperature } : {}),
          ...(call.attribution.agentId ? { [ATTR_TOLLGATE_AGENT_ID]: call.attribution.agentId } : {}),
        },
      },
      async (span) => {
        try {
          return await this.completeInSpan(call, target, callId, maxTokens, span);
        } finally {
          span.end();
        }
      },
    );
  }

  private async completeInSpan(call: ChatCall, target: Resolved, callId: string, maxTokens: number | undefined, span: Span): Promise<{ response: ChatCompletionResponse; callId: string }> {
    const { request } = call;
    const provider = this.providers.get(target.provider);
    if (!provider) throw new Error(`provider ${target.provider} vanished after resolve`);
    const startedAt = new Date();
    const started = performance.now();
    const messages: ChatMessage[] = request.messages.map((m) => ({ role: m.role, content: messageText(m), name: m.name }));
    const metricAttributes = { [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_CHAT, [ATTR_GEN_AI_PROVIDER_NAME]: target.provider, [ATTR_GEN_AI_REQUEST_MODEL]: target.model };
    span.setAttribute(ATTR_TOLLGATE_ATTEMPTS, 1);

    let reply: ProviderChatResponse;
    try {
      reply = await provider.complete({ model: target.model, messages, maxTokens, temperature: request.temperature }, AbortSignal.timeout(this.config.TOLLGATE_PROVIDER_TIMEOUT_MS));
    } catch (error) {
      const latencyMs = performance.now() - started;
      const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
      const message = error instanceof Error ? error.message : String(error);
      const errorType = timedOut ? 'timeout' : 'connection';
      span.setAttributes({ [ATTR_ERROR_TYPE]: errorType, [ATTR_TOLLGATE_OUTCOME]: 'failed' });
      span.setStatus({ code: SpanStatusCode.ERROR, message });
      genAiMetrics.recordOperationDuration(latencyMs / 1000, { ...metricAttributes, [ATTR_ERROR_TYPE]: errorType });
      this.recorder.record(this.event(call, callId, target, startedAt, latencyMs, null, errorType, message));
      throw new OpenAiHttpError(timedOut ? 504 : 502, 'api_error', `The provider "${target.provider}" did not answer${timedOut ? ' in time' : ''}: ${message}`, { code: timedOut ? 'upstream_timeout' : 'upstream_error' });
    }
    const latencyMs = performance.now() - started;
    const u = reply.usage;
    span.setAttributes({
      [ATTR_GEN_AI_RESPONSE_MODEL]: reply.model,
      [ATTR_GEN_AI_RESPONSE_ID]: reply.id,
      [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: [reply.finishReason],
      [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: u.inputTokens,
      [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: u.outputTokens,
      [ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: u.cachedReadTokens,
      [ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]: u.cacheWriteTokens,
      [ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]: u.reasoningTokens,
      [ATTR_TOLLGATE_USAGE_SOURCE]: reply.usageSource,
      [ATTR_TOLLGATE_OUTCOME]: 'ok',
    });
    genAiMetrics.recordOperationDuration(latencyMs / 1000, { ...metricAttributes, [ATTR_GEN_AI_RESPONSE_MODEL]: reply.model });
    genAiMetrics.recordTokenUsage(u, { ...metricAttributes, [ATTR_GEN_AI_RESPONSE_MODEL]: reply.model });
    this.recorder.record(this.event(call, callId, target, startedAt, latencyMs, reply, null, null));
    return {
      callId,
      response: {
        id: `chatcmpl-${callId}`,
        object: 'chat.completion',
        created: Math.floor(startedAt.getTime() / 1000),
        model: `${target.provider}/${reply.model}`,
        choices: [{ index: 0, message: { role: 'assistant', content: reply.content, refusal: null }, logprobs: null, finish_reason: reply.finishReason }],
        usage: {
          prompt_tokens: u.inputTokens,
          completion_tokens: u.outputTokens,
          total_tokens: u.inputTokens + u.outputTokens,
          prompt_tokens_details: { cached_tokens: u.cachedReadTokens },
          completion_tokens_details: { reasoning_tokens: u.reasoningTokens },
        },
        system_fingerprint: null,
      },
    };
  }

  private event(
    call: ChatCall,
    callId: string,
    target: Resolved,
    startedAt: Date,
    latencyMs: number,
    reply: ProviderChatResponse | null,
    errorClass: 'timeout' | 'connection' | null,
    errorMessage: string | null,
  ): LlmCallV1 {
    const { caller, request } = call;
    const texts = request.messages.map((m) => ({ role: m.role, text: messageText(m) }));
    const usage = reply?.usage ?? { inputTokens: 0, outputTokens: 0, cachedReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
    const spanContext = trace.getActiveSpan()?.spanContext();
    return {
      id: ulid(),
      type: 'llm.call',
      version: 1,
      occurredAt: new Date().toISOString(),
      tenantId: caller.tenantId,
      callId,
      requestId: call.requestId,
      apiKeyId: caller.apiKeyId,
      userId: caller.userId,
      endUser: request.user ?? null,
      attribution: call.attribution,
      plan: caller.plan,
      region: caller.region,
      operation: 'chat',
      requestedModel: request.model,
      stream: false,
      route: { provider: target.provider, model: target.model, deployment: null, region: null, rule: 'direct', reason: 'model named its provider', policyVersion: null, candidates: [`${target.provider}/${target.model}`] },
      attempts: [{ provider: target.provider, model: target.model, deployment: null, status: reply ? 200 : null, latencyMs, errorClass }],
      usage: { ...usage, totalTokens: usage.inputTokens + usage.outputTokens, source: reply?.usageSource ?? 'estimated' },
      providerCostUsd: null,
      responseModel: reply?.model ?? null,
      finishReasons: reply ? [reply.finishReason] : [],
      startedAt: startedAt.toISOString(),
      latencyMs,
      timeToFirstTokenMs: null,
      outcome: reply ? 'ok' : 'failed',
      error: errorMessage === null ? null : { type: 'upstream_error', code: errorClass, message: errorMessage.slice(0, 4000) },
      guardrails: [],
      privacyMode: caller.privacyMode,
      promptFingerprint: promptFingerprint(texts),
      promptStats: caller.privacyMode === 'none' ? null : { messageCount: texts.length, characters: texts.reduce((n, m) => n + m.text.length, 0) },
      content: caller.privacyMode === 'full' ? { messages: texts.map((m) => ({ role: m.role, content: m.text })), completion: reply?.content ?? null } : null,
      traceId: spanContext && spanContext.traceId !== '00000000000000000000000000000000' ? spanContext.traceId : null,
    };
  }
}
