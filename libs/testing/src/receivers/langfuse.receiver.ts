import type { IncomingHttpHeaders } from 'node:http';
import { JsonPostReceiver } from './json-post-receiver';
import type { Refusal } from './json-post-receiver';
import { decodeTraces } from './otlp-json';
import type { ReceivedSpan } from './otlp-json';

const OTEL_TRACES = '/api/public/otel/v1/traces';

export interface LangfuseKeys {
  publicKey: string;
  secretKey: string;
}

/**
 * Stands in for Langfuse's OTLP endpoint (POST /api/public/otel/v1/traces, OTLP/HTTP JSON, which
 * is what @langfuse/otel's processor sends). Like Langfuse it answers 401 to wrong Basic auth;
 * it also refuses (400) a request without `x-langfuse-ingestion-version: 4`, which Langfuse asks
 * direct OTel exporters to send. Use the returned url as LANGFUSE_BASE_URL.
 */
export class LangfuseReceiver extends JsonPostReceiver {
  constructor(private readonly keys: LangfuseKeys) {
    super([OTEL_TRACES], 'Langfuse receiver');
  }

  protected refuse(_path: string, headers: IncomingHttpHeaders): Refusal {
    const expected = `Basic ${Buffer.from(`${this.keys.publicKey}:${this.keys.secretKey}`).toString('base64')}`;
    if (headers.authorization !== expected) return { status: 401, reason: 'Invalid credentials: Basic auth must be <public key>:<secret key>' };
    const version = headers['x-langfuse-ingestion-version'];
    if (version !== '4') return { status: 400, reason: `x-langfuse-ingestion-version must be 4, got ${version === undefined ? '(none)' : String(version)}` };
    return undefined;
  }

  spans(): ReceivedSpan[] {
    return this.requests().flatMap((request) => decodeTraces(request.body));
  }

  /** Waits until at least `count` spans matching `filter` arrived; returns those spans. */
  async waitForSpans(count: number, options: { filter?: (span: ReceivedSpan) => boolean; timeoutMs?: number } = {}): Promise<ReceivedSpan[]> {
    const matching = (): ReceivedSpan[] => this.spans().filter(options.filter ?? (() => true));
    await this.until(
      () => matching().length >= count,
      options.timeoutMs ?? 10_000,
      () => `expected ${count} spans, got ${matching().length}`,
    );
    return matching();
  }
}
