import { z } from 'zod';
import type { Deployment } from '../deployment';
import { ProviderError } from '../provider';
import type { ProviderChatRequest } from '../provider';

/** How one mock call behaves: the deployment's `mock` settings, overridden per request. */
export interface MockBehaviour {
  latencyMs: number;
  chunkDelayMs: number;
  failStatus?: number;
  retryAfterSeconds?: number;
  hang: boolean;
  cutStreamAfterChunks?: number;
  /** Answer with this tool call instead of text (per request only). */
  toolCall?: MockToolCall;
}

/** `mock.tool_call`: which tool to call (default: the request's first function tool) and with what. */
export interface MockToolCall {
  name?: string;
  /** An object (serialised as JSON) or the raw arguments string; default `{}`. */
  arguments?: string | Record<string, unknown>;
  id?: string;
}

/**
 * Per-request faults in `extra.mock`, snake_case like the rest of the OpenAI body, so that an
 * end-to-end test can break one call: `{"mock": {"fail_status": 429, "retry_after_seconds": 1}}`.
 */
const RequestFaultsSchema = z.strictObject({
  latency_ms: z.number().int().min(0).max(600_000).optional(),
  chunk_delay_ms: z.number().int().min(0).max(600_000).optional(),
  fail_status: z.number().int().min(400).max(599).optional(),
  retry_after_seconds: z.number().min(0).optional(),
  hang: z.boolean().optional(),
  cut_stream_after_chunks: z.number().int().min(0).optional(),
  tool_call: z
    .union([
      z.literal(true),
      z.strictObject({
        name: z.string().min(1).max(64).optional(),
        arguments: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
        id: z.string().min(1).max(256).optional(),
      }),
    ])
    .optional(),
});

export function configuredBehaviour(deployment: Deployment): MockBehaviour {
  const mock = deployment.mock;
  return {
    latencyMs: mock?.latencyMs ?? 0,
    chunkDelayMs: mock?.chunkDelayMs ?? 0,
    failStatus: mock?.failStatus,
    retryAfterSeconds: mock?.retryAfterSeconds,
    hang: mock?.hang ?? false,
    cutStreamAfterChunks: mock?.cutStreamAfterChunks,
  };
}

/** The behaviour of this call; a malformed `extra.mock` is the client's error (400), not a crash. */
export function behaviourFor(configured: MockBehaviour, label: string, request: ProviderChatRequest): MockBehaviour {
  const faults = request.extra?.mock;
  if (faults === undefined) return configured;
  const parsed = RequestFaultsSchema.safeParse(faults);
  if (!parsed.success) {
    const message = `invalid mock settings in the request: ${z.prettifyError(parsed.error).replaceAll('\n', ' ')}`;
    throw new ProviderError(`${label} rejected the request: ${message}`, 'client_error', {
      status: 400,
      upstreamBody: { error: { message, type: 'invalid_request_error', param: 'mock', code: null } },
    });
  }
  const f = parsed.data;
  return {
    latencyMs: f.latency_ms ?? configured.latencyMs,
    chunkDelayMs: f.chunk_delay_ms ?? configured.chunkDelayMs,
    failStatus: f.fail_status ?? configured.failStatus,
    retryAfterSeconds: f.retry_after_seconds ?? configured.retryAfterSeconds,
    hang: f.hang ?? configured.hang,
    cutStreamAfterChunks: f.cut_stream_after_chunks ?? configured.cutStreamAfterChunks,
    ...(f.tool_call !== undefined ? { toolCall: f.tool_call === true ? {} : f.tool_call } : {}),
  };
}
