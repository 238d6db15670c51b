import { Injectable } from '@nestjs/common';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Attributes, Span, SpanOptions } from '@opentelemetry/api';
import type { Caller } from '@tollgate/platform';
import type { ChatMessage, Deployment, ProviderChatRequest, ProviderStreamEvent, ProviderUsage } from '@tollgate/providers';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
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
  ATTR_TOLLGATE_ROUTE_REASON,
  ATTR_TOLLGATE_ROUTE_RULE,
  ATTR_TOLLGATE_TENANT_ID,
  ATTR_TOLLGATE_USAGE_SOURCE,
  AttributeSets,
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
  genAiMetrics,
  startActiveChildSpan,
  tollgateTracer,
} from '@tollgate/telemetry';
import { BudgetAdmission } from '../budgets';
import type { CallBudget } from '../budgets';
import { CallSettlement } from '../calls/call-settlement';
import { ZERO_USAGE, newCallId, startCallFacts } from '../calls/llm-call.event';
import type { CallAttribution, CallFacts } from '../calls/llm-call.event';
import { toClientError } from '../calls/upstream-error';
import { ProviderClients } from '../providers/gateway-providers';
import { InlineRecovery, recoveryAttemptsOf } from '../resilience';
import { Router } from '../routing';
import type { RoutePlan } from '../routing';
import { messageText, promptForEstimate } from './dto/chat-completion.request';
import type { ChatCompletionRequest } from './dto/chat-completion.request';
import type { ChatCompletionChunk, ChatCompletionResponse } from './dto/chat-completion.response';
import type { SseWriter } from './sse';

export type { CallAttribution } from '../calls/llm-call.event';

export interface ChatCall {
  caller: Caller;
  request: ChatCompletionRequest;
  requestId: string;
  attribution: CallAttribution;
}


/** Fields of the chat request the gateway handles itself; the rest pass through to upstreams. */
const OWN_FIELDS = new Set(['model', 'messages', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'stop', 'stream', 'stream_options', 'user', 'n']);

function lastErrorOf(error: unknown): unknown {
  return (error as { lastError?: unknown } | null)?.lastError ?? error;
}

function errorClassOf(error: unknown): string {
  return (error as { errorClass?: unknown } | null)?.errorClass?.toString() ?? 'internal';
}

/** Normalised usage in OpenAI's `usage` shape (JSON responses and the stream's usage chunk). */
function openAiUsage(u: ProviderUsage): ChatCompletionResponse['usage'] {
  return {
    prompt_tokens: u.inputTokens,
    completion_tokens: u.outputTokens,
    total_tokens: u.inputTokens + u.outputTokens,
    prompt_tokens_details: { cached_tokens: u.cachedReadTokens },
    completion_tokens_details: { reasoning_tokens: u.reasoningTokens },
  };
}

const chatMetricSets = new AttributeSets();

/** The GenAI metric attributes of a chat call, one interned set per distinct combination. */
function chatMetricAttributes(model: string, provider: string | null | undefined, responseModel: string | null, errorType: string | undefined): Attributes {
  return chatMetricSets.get(`${model}\u0000${provider ?? ''}\u0000${responseModel ?? ''}\u0000${errorType ?? ''}`, () => {
    const attributes: Attributes = { [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_CHAT, [ATTR_GEN_AI_REQUEST_MODEL]: model };
    if (provider) attributes[ATTR_GEN_AI_PROVIDER_NAME] = provider;
    if (responseModel) attributes[ATTR_GEN_AI_RESPONSE_MODEL] = responseModel;
    if (errorType) attributes[ATTR_ERROR_TYPE] = errorType;
    return attributes;
  });
}

/** Rough output-token count for text we saw but the upstream never counted (a cut stream). */
function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * One chat call: route it, run it with retries, fallback and breakers, answer in OpenAI's shape
 * (JSON or SSE), and record the `llm.call` fact, all inside the GenAI span `chat {model}`.
 */
@Injectable()
export class ChatCompletionsService {
  constructor(
    private readonly router: Router,
    private readonly recovery: InlineRecovery,
    private readonly clients: ProviderClients,
    private readonly settlement: CallSettlement,
    private readonly budgets: BudgetAdmission,
  ) {}

  /** Routing happens before any response byte, so its errors are plain JSON 4xx/5xx. */
  plan(call: ChatCall): RoutePlan {
    const { request } = call;
    return this.router.plan({
      caller: call.caller,
      requestedModel: request.model,
      operation: 'chat',
      promptTokens: this.router.estimatePromptTokens(promptForEstimate(request)),
      maxOutputTokens: request.max_completion_tokens ?? request.max_tokens,
    });
  }

  /** `clientGone` aborts the upstream call (and any retry) when the client hangs up first. */
  async complete(call: ChatCall, plan: RoutePlan, clientGone?: AbortSignal): Promise<{ response: ChatCompletionResponse; callId: string; headers: Record<string, string> }> {
    const callId = newCallId();
    return this.inSpan(call, plan, callId, false, async (span, facts) => {
      try {
        const { result, deployment, attempts } = await this.recovery.run(
          plan,
          // The breaker's call signal follows `clientGone` for as long as the call runs.
          (d, signal) => this.clients.for(d).complete(this.providerRequest(call, d), { signal }),
          { signal: clientGone },
        );
        facts.attempts = attempts;
        this.router.recordLatency(deployment.id, attempts.at(-1)?.latencyMs ?? 0);
        this.finishFacts(facts, deployment, { id: result.id, model: result.model, finishReason: result.finishReason, usage: result.usage, usageSource: result.usageSource });
        facts.providerCostUsd = result.providerCostUsd ?? null;
        facts.completion = result.content;
        this.annotate(span, facts, result.id);
        const u = result.usage;
        return {
          callId,
          headers: facts.budget?.headers ?? {},
          response: {
            id: `chatcmpl-${callId}`,
            object: 'chat.completion',
            created: Math.floor(facts.startedAt.getTime() / 1000),
            model: call.request.model,
            choices: [{ index: 0, message: { role: 'assistant', content: result.content, refusal: null, ...(result.extraMessageFields ?? {}) }, logprobs: null, finish_reason: result.finishReason }],
            usage: openAiUsage(u),
            system_fingerprint: null,
          },
        };
      } catch (error) {
        this.failFacts(span, facts, error);
        if (clientGone?.aborted) facts.error = { type: 'client_disconnected', code: 'client_disconnected', message: 'the client closed the connection before the answer' };
        throw toClientError(lastErrorOf(error));
      }
    });
  }

  /**
   * Streams the answer as SSE. Fallback to another deployment is possible only until the first
   * token: the attempt is "done" once the upstream produced its first event, and only then are
   * headers sent. Usage is always obtained; the client sees the usage chunk only if it asked.
   */
  async stream(call: ChatCall, plan: RoutePlan, sse: SseWriter, clientGone: AbortSignal): Promise<void> {
    const callId = newCallId();
    const includeUsage = (call.request.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    await this.inSpan(call, plan, callId, true, async (span, facts) => {
      let text = '';
      let started = false;
      try {
        const { result, deployment, attempts } = await this.recovery.run(
          plan,
          async (d, signal) => {
            // `signal` is the client's own (cockatiel's retry and breaker hand the caller's signal
            // through), so it stops the stream also after this try has returned.
            const iterator = this.clients.for(d).stream(this.providerRequest(call, d), { signal })[Symbol.asyncIterator]();
            const first = await iterator.next();
            return { iterator, first };
          },
          { signal: clientGone },
        );
        facts.attempts = attempts;
        const chunkBase = { id: `chatcmpl-${callId}`, object: 'chat.completion.chunk' as const, created: Math.floor(facts.startedAt.getTime() / 1000), model: call.request.model, system_fingerprint: null };
        const chunk = (delta: ChatCompletionChunk['choices'][number]['delta'], finishReason: ChatCompletionChunk['choices'][number]['finish_reason'] = null): ChatCompletionChunk => ({
          ...chunkBase,
          choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
        });
        sse.start({ 'x-tollgate-call-id': callId, ...facts.budget?.headers });
        started = true;
        sse.data(chunk({ role: 'assistant', content: '' }));
        let next: IteratorResult<ProviderStreamEvent> = result.first;
        while (!next.done) {
          const event = next.value;
          if (event.type === 'delta') {
            if (facts.timeToFirstTokenMs === null) facts.timeToFirstTokenMs = performance.now() - facts.startMark;
            text += event.content;
            // Tool-call fragments (and refusal, ...) ride in `raw`, passed on in order; a delta
            // that is only a tool-call fragment carries no content, as in OpenAI's stream.
            sse.data(chunk(event.raw ? (event.content ? { content: event.content, ...event.raw } : event.raw) : { content: event.content }));
          } else {
            this.finishFacts(facts, deployment, event);
            facts.completion = text;
            sse.data(chunk({}, event.finishReason));
            const u = event.usage;
            if (includeUsage) {
              sse.data({
                ...chunkBase,
                choices: [],
                usage: openAiUsage(u),
              });
            }
            this.annotate(span, facts, event.id);
            sse.done();
            return;
          }
          next = await result.iterator.next();
        }
        throw Object.assign(new Error('the upstream stream ended without a finish event'), { errorClass: 'stream_cut' });
      } catch (error) {
        if (!started) {
          this.failFacts(span, facts, error);
          throw toClientError(lastErrorOf(error));
        }
        // Cut after the first token: record what was seen, and tell the client it is truncated.
        const gone = clientGone.aborted;
        facts.outcome = 'truncated';
        facts.usage = { ...ZERO_USAGE, inputTokens: facts.promptTokens, outputTokens: estimateTokens(text) };
        facts.usageSource = 'estimated';
        facts.completion = text;
        facts.error = { type: gone ? 'client_disconnected' : 'stream_cut', code: gone ? 'client_disconnected' : errorClassOf(error), message: error instanceof Error ? error.message : String(error) };
        span.setAttributes({ [ATTR_TOLLGATE_OUTCOME]: 'truncated', [ATTR_ERROR_TYPE]: facts.error.type });
        span.setStatus({ code: SpanStatusCode.ERROR, message: facts.error.message });
        sse.fail({ message: 'The provider stream was cut before the answer was complete; the text so far is partial. Retry the request.', type: 'api_error', code: 'stream_cut' });
      }
    });
  }

  private providerRequest(call: ChatCall, deployment: Deployment): ProviderChatRequest {
    const { request } = call;
    const extra: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(request)) if (!OWN_FIELDS.has(key)) extra[key] = value;
    const messages: ChatMessage[] = request.messages.map((m) => ({
      role: m.role,
      // An assistant turn that is only tool calls keeps its null content, as the client sent it.
      content: m.tool_calls && (m.content === null || m.content === undefined) ? null : messageText(m),
      ...(m.name ? { name: m.name } : {}),
      ...(m.tool_calls ? { tool_calls: m.tool_calls } : {}),
      ...(m.tool_call_id !== undefined ? { tool_call_id: m.tool_call_id } : {}),
    }));
    const stop = (request as { stop?: unknown }).stop;
    return {
      model: deployment.model,
      messages,
      maxTokens: request.max_completion_tokens ?? request.max_tokens,
      temperature: request.temperature,
      topP: typeof (request as { top_p?: unknown }).top_p === 'number' ? (request as { top_p: number }).top_p : undefined,
      stop: typeof stop === 'string' ? [stop] : Array.isArray(stop) ? stop.filter((s): s is string => typeof s === 'string') : undefined,
      user: request.user,
      extra,
    };
  }

  /** Opens the `chat {model}` span, runs the call, and records the event whatever happens. */
  private async inSpan<T>(call: ChatCall, plan: RoutePlan, callId: string, stream: boolean, run: (span: Span, facts: CallFacts & { startMark: number; promptTokens: number; budget?: CallBudget }) => Promise<T>): Promise<T> {
    const { request, caller } = call;
    const maxTokens = request.max_completion_tokens ?? request.max_tokens;
    const spanOptions = (): SpanOptions => {
      const attributes: Attributes = {
        [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_CHAT,
        [ATTR_GEN_AI_REQUEST_MODEL]: request.model,
        [ATTR_GEN_AI_REQUEST_STREAM]: stream,
        [ATTR_TOLLGATE_CALL_ID]: callId,
        [ATTR_TOLLGATE_TENANT_ID]: caller.tenantId,
        [ATTR_TOLLGATE_API_KEY_ID]: caller.apiKeyId,
        [ATTR_TOLLGATE_ROUTE_RULE]: plan.decision.rule ?? 'none',
        [ATTR_TOLLGATE_ROUTE_REASON]: plan.decision.reason ?? '',
      };
      if (plan.candidates[0]) attributes[ATTR_GEN_AI_PROVIDER_NAME] = plan.candidates[0].provider;
      if (maxTokens !== undefined) attributes[ATTR_GEN_AI_REQUEST_MAX_TOKENS] = maxTokens;
      if (request.temperature !== undefined) attributes[ATTR_GEN_AI_REQUEST_TEMPERATURE] = request.temperature;
      if (call.attribution.agentId) attributes[ATTR_TOLLGATE_AGENT_ID] = call.attribution.agentId;
      return { kind: SpanKind.CLIENT, attributes };
    };
    // The GenAI span, unless the HTTP server span it would be a child of was not sampled (see startActiveChildSpan).
    return startActiveChildSpan(tollgateTracer(), `chat ${request.model}`, spanOptions, async (span) => {
      const prompt = request.messages.map((m) => ({ role: m.role, text: messageText(m) }));
      const facts: CallFacts & { startMark: number; promptTokens: number; budget?: CallBudget } = {
        ...startCallFacts({
          caller,
          callId,
          requestId: call.requestId,
          attribution: call.attribution,
          endUser: request.user ?? null,
          operation: 'chat',
          requestedModel: request.model,
          stream,
          prompt,
          decision: plan.decision,
        }),
        startMark: performance.now(),
        promptTokens: plan.promptTokens,
      };
      try {
        // Budget admission: reserve the call's maximum cost (429 budget_exceeded, recorded as blocked); settled below.
        facts.budget = await this.budgets.admit({ caller, attribution: call.attribution, candidates: plan.candidates, promptTokens: facts.promptTokens, maxOutputTokens: maxTokens }, facts);
        return await run(span, facts);
      } finally {
        void facts.budget?.finish(facts);
        const endedAt = performance.now();
        facts.latencyMs = endedAt - facts.startMark;
        // The answer first: metrics, event and span end once it is written (CallSettlement).
        this.settlement.afterAnswer(span, facts, endedAt, () => this.recordMetrics(span, facts, request.model));
      }
    });
  }

  /** A chat call's metrics (and its attempt count on the span), after its answer was written. */
  private recordMetrics(span: Span, facts: CallFacts, model: string): void {
    span.setAttribute(ATTR_TOLLGATE_ATTEMPTS, facts.attempts.length);
    const metricAttributes = chatMetricAttributes(model, facts.decision?.provider, facts.responseModel, facts.error?.type);
    genAiMetrics.recordOperationDuration(facts.latencyMs / 1000, metricAttributes);
    if (facts.outcome !== 'failed') genAiMetrics.recordTokenUsage(facts.usage, metricAttributes);
  }

  private finishFacts(facts: CallFacts, deployment: Deployment, reply: { id: string; model: string; finishReason: string; usage: ProviderUsage; usageSource: 'provider' | 'estimated' }): void {
    facts.decision = facts.decision && { ...facts.decision, provider: deployment.provider, model: deployment.model, deployment: deployment.id, region: deployment.region };
    facts.usage = reply.usage;
    facts.usageSource = reply.usageSource;
    facts.responseModel = reply.model;
    facts.finishReasons = [reply.finishReason];
    facts.outcome = 'ok';
  }

  private failFacts(span: Span, facts: CallFacts, error: unknown): void {
    facts.attempts = recoveryAttemptsOf(error);
    facts.outcome = 'failed';
    const last = lastErrorOf(error);
    facts.error = { type: 'upstream_error', code: errorClassOf(last), message: last instanceof Error ? last.message : String(last) };
    span.setAttributes({ [ATTR_TOLLGATE_OUTCOME]: 'failed', [ATTR_ERROR_TYPE]: facts.error.code ?? 'upstream_error' });
    span.setStatus({ code: SpanStatusCode.ERROR, message: facts.error.message });
  }

  private annotate(span: Span, facts: CallFacts, responseId: string): void {
    // Most calls are not sampled (gateway.otel.samplerArg in the chart): skip building attributes
    // nobody records.
    if (!span.isRecording()) return;
    const u = facts.usage;
    span.setAttributes({
      [ATTR_GEN_AI_PROVIDER_NAME]: facts.decision?.provider ?? 'unknown',
      [ATTR_GEN_AI_RESPONSE_MODEL]: facts.responseModel ?? '',
      [ATTR_GEN_AI_RESPONSE_ID]: responseId,
      [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: facts.finishReasons,
      [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: u.inputTokens,
      [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: u.outputTokens,
      [ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: u.cachedReadTokens,
      [ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]: u.cacheWriteTokens,
      [ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]: u.reasoningTokens,
      [ATTR_TOLLGATE_USAGE_SOURCE]: facts.usageSource,
      [ATTR_TOLLGATE_OUTCOME]: facts.outcome,
    });
    if (facts.timeToFirstTokenMs !== null) span.setAttribute(ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, facts.timeToFirstTokenMs / 1000);
  }
}
