import { Injectable } from '@nestjs/common';
import { estimateMaxCost } from '@tollgate/pricing';
import { PriceBook } from '../pricing/price-book';
import type { CostEstimateDto, EstimateBody } from './dto/costs.dto';

/** OpenAI's chat framing: about 4 tokens per message plus 3 priming the reply (same constants as the gateway's estimate). */
const TOKENS_PER_MESSAGE = 4;
const TOKENS_PRIMING_REPLY = 3;
/** Output allowance when neither the request nor the catalog gives one. */
const FALLBACK_MAX_OUTPUT_TOKENS = 4096;

type Tokenizer = typeof import('gpt-tokenizer');
let tokenizer: Tokenizer | undefined;

function countTokens(text: string): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- ~180 ms and ~76 MB to load: only once someone asks for an estimate
  tokenizer ??= require('gpt-tokenizer') as Tokenizer;
  return tokenizer.countTokens(text);
}

type MessageContent = NonNullable<EstimateBody['messages']>[number]['content'];

function messageText(content: MessageContent): string {
  if (content === null) return '';
  if (typeof content === 'string') return content;
  return content.map((part) => part.text ?? '').join('');
}

/**
 * POST /api/v1/costs/estimate: the most a request can cost before it is sent. Off the hot path, so
 * prompts are counted exactly (o200k tokenizer) rather than estimated from their size.
 */
@Injectable()
export class CostEstimator {
  constructor(private readonly prices: PriceBook) {}

  async estimate(tenantId: string, body: EstimateBody): Promise<CostEstimateDto> {
    const slash = body.model.indexOf('/');
    const provider = body.model.slice(0, slash);
    const model = body.model.slice(slash + 1);
    const price = (await this.prices.catalogFor(tenantId)).find(provider, model);
    const inputTokens =
      body.input_tokens ??
      (body.messages ?? []).reduce((sum, m) => sum + TOKENS_PER_MESSAGE + countTokens(messageText(m.content)) + (m.name ? countTokens(m.name) : 0), TOKENS_PRIMING_REPLY);
    const maxOutputTokens = body.max_completion_tokens ?? body.max_tokens ?? price?.maxOutputTokens ?? FALLBACK_MAX_OUTPUT_TOKENS;
    const base = { object: 'cost_estimate' as const, provider, model, input_tokens: inputTokens, input_tokens_source: body.input_tokens === undefined ? ('counted' as const) : ('given' as const), max_output_tokens: maxOutputTokens };
    if (!price) return { ...base, price_status: 'unpriced', price_version: null, input_usd: null, max_output_usd: null, max_usd: null };
    const estimate = estimateMaxCost({ inputTokens, maxOutputTokens }, price, { batch: body.batch });
    return { ...base, price_status: 'priced', price_version: estimate.priceVersion, input_usd: estimate.inputUsd, max_output_usd: estimate.maxOutputUsd, max_usd: estimate.maxUsd };
  }
}
