import { Injectable } from '@nestjs/common';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Caller } from '@tollgate/platform';
import { ProviderError } from '@tollgate/providers';
import type { ProviderEmbeddingResponse } from '@tollgate/providers';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_TOLLGATE_CALL_ID,
  ATTR_TOLLGATE_TENANT_ID,
  GEN_AI_OPERATION_NAME_VALUE_EMBEDDINGS,
  genAiMetrics,
  startActiveChildSpan,
  tollgateTracer,
} from '@tollgate/telemetry';
import { BudgetAdmission } from '../budgets';
import type { CallBudget } from '../budgets';
import { CallSettlement } from '../calls/call-settlement';
import { newCallId, startCallFacts } from '../calls/llm-call.event';
import type { CallAttribution, CallFacts } from '../calls/llm-call.event';
import { toClientError } from '../calls/upstream-error';
import { ProviderClients } from '../providers/gateway-providers';
import { InlineRecovery, recoveryAttemptsOf } from '../resilience';
import { Router } from '../routing';
import { toBase64 } from './dto/embeddings.request';
import type { EmbeddingsRequest, EmbeddingsResponse } from './dto/embeddings.request';

/** `POST /v1/embeddings`: routed, recovered and recorded like chat, with operation `embeddings`. */
@Injectable()
export class EmbeddingsService {
  constructor(
    private readonly router: Router,
    private readonly recovery: InlineRecovery,
    private readonly clients: ProviderClients,
    private readonly settlement: CallSettlement,
    private readonly budgets: BudgetAdmission,
  ) {}

  async embed(call: { caller: Caller; request: EmbeddingsRequest; requestId: string; attribution: CallAttribution }): Promise<{ response: EmbeddingsResponse; callId: string; headers: Record<string, string> }> {
    const { caller, request } = call;
    const inputs = typeof request.input === 'string' ? [request.input] : request.input;
    const prompt = inputs.map((text) => ({ role: 'input', text }));
    const promptTokens = this.router.estimatePromptTokens(prompt.map((p) => ({ role: 'user', content: p.text })));
    const plan = this.router.plan({ caller, requestedModel: request.model, operation: 'embeddings', promptTokens });
    const callId = newCallId();
    return startActiveChildSpan(
      tollgateTracer(),
      `embeddings ${request.model}`,
      () => ({ kind: SpanKind.CLIENT, attributes: { [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_EMBEDDINGS, [ATTR_GEN_AI_REQUEST_MODEL]: request.model, [ATTR_TOLLGATE_CALL_ID]: callId, [ATTR_TOLLGATE_TENANT_ID]: caller.tenantId } }),
      async (span) => {
        const start = performance.now();
        const facts: CallFacts = startCallFacts({
          caller,
          callId,
          requestId: call.requestId,
          attribution: call.attribution,
          endUser: request.user ?? null,
          operation: 'embeddings',
          requestedModel: request.model,
          stream: false,
          prompt,
          decision: plan.decision,
        });
        let budget: CallBudget | undefined;
        try {
          // Budget admission: reserve the call's maximum cost (429 budget_exceeded, recorded as blocked); settled below.
          budget = await this.budgets.admit({ caller, attribution: call.attribution, candidates: plan.candidates, promptTokens, maxOutputTokens: 0 }, facts);
          const { result, deployment, attempts } = await this.recovery.run(plan, (d, signal) => {
            const client = this.clients.for(d);
            if (!client.embed) throw new ProviderError(`deployment ${d.id} offers no embeddings`, 'client_error', { status: 400 });
            return client.embed({ model: d.model, input: inputs, dimensions: request.dimensions, user: request.user }, { signal });
          });
          const reply: ProviderEmbeddingResponse = result;
          facts.attempts = attempts;
          facts.decision = facts.decision && { ...facts.decision, provider: deployment.provider, model: deployment.model, deployment: deployment.id, region: deployment.region };
          facts.usage = { ...facts.usage, inputTokens: reply.usage.inputTokens };
          facts.usageSource = 'provider';
          facts.responseModel = reply.model;
          span.setAttributes({ [ATTR_GEN_AI_PROVIDER_NAME]: deployment.provider, [ATTR_GEN_AI_RESPONSE_MODEL]: reply.model, [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: reply.usage.inputTokens });
          const base64 = request.encoding_format === 'base64';
          const response: EmbeddingsResponse = {
            object: 'list',
            data: reply.embeddings.map((embedding, index) => ({ object: 'embedding', index, embedding: base64 ? toBase64(embedding) : embedding })),
            model: request.model,
            usage: { prompt_tokens: reply.usage.inputTokens, total_tokens: reply.usage.inputTokens },
          };
          return { callId, response, headers: budget.headers };
        } catch (error) {
          if (facts.outcome === 'blocked') throw error;
          facts.attempts = recoveryAttemptsOf(error);
          facts.outcome = 'failed';
          const last = (error as { lastError?: unknown }).lastError ?? error;
          facts.error = { type: 'upstream_error', code: null, message: last instanceof Error ? last.message : String(last) };
          span.setStatus({ code: SpanStatusCode.ERROR, message: facts.error.message });
          throw toClientError(last);
        } finally {
          void budget?.finish(facts);
          const endedAt = performance.now();
          facts.latencyMs = endedAt - start;
          // The answer first: metrics, event and span end once it is written (CallSettlement).
          this.settlement.afterAnswer(span, facts, endedAt, () =>
            genAiMetrics.recordOperationDuration(facts.latencyMs / 1000, { [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_EMBEDDINGS, [ATTR_GEN_AI_REQUEST_MODEL]: request.model }),
          );
        }
      },
    );
  }
}
