import Decimal from 'decimal.js';
import type { ModelPrice, PriceCatalog, TokenUsage } from '@tollgate/pricing';
import { costOf, estimateMaxCost } from '@tollgate/pricing';
import type { Deployment } from '@tollgate/providers';

/** The names a deployment may be priced under: its upstream model, then the model part of its public name (as the ledger tries the routed, then the response model). */
function namesOf(deployment: Pick<Deployment, 'model' | 'publicModel'>): string[] {
  const slash = deployment.publicModel.indexOf('/');
  return [deployment.model, slash >= 0 ? deployment.publicModel.slice(slash + 1) : deployment.publicModel];
}

export function priceOfDeployment(catalog: PriceCatalog, deployment: Pick<Deployment, 'provider' | 'model' | 'publicModel'>, at: Date): ModelPrice | undefined {
  return catalog.findAny(deployment.provider, namesOf(deployment), at);
}

export interface MaxCostInput {
  catalog: PriceCatalog;
  /** The route's fallback chain: the call may end up on any of them. */
  candidates: ReadonlyArray<Pick<Deployment, 'id' | 'provider' | 'model' | 'publicModel'>>;
  promptTokens: number;
  /** The request's max_tokens / max_completion_tokens; undefined when it set none. 0 for embeddings. */
  maxOutputTokens: number | undefined;
  /** Output allowance when the request sets none and the catalog gives no max output for the model. */
  defaultMaxOutputTokens: number;
  at: Date;
}

export interface MaxCost {
  /** The dearest candidate's maximum cost, decimal USD ("0" when no candidate is priced). */
  estimateUsd: string;
  /** Candidates without a price: they add nothing to the estimate (the ledger records them as unpriced). */
  unpriced: string[];
}

/**
 * The most a call can cost, over every deployment it may be served by (fallback can move it to a
 * dearer one): prompt tokens all uncached at the input rate, plus the output allowance at the
 * dearest output rate (estimateMaxCost, the same arithmetic as POST /api/v1/costs/estimate). The
 * allowance is the request's max_tokens, else the model's max output from the catalog, else
 * `defaultMaxOutputTokens`.
 */
export function maxCostOf(input: MaxCostInput): MaxCost {
  let dearest = new Decimal(0);
  const unpriced: string[] = [];
  for (const deployment of input.candidates) {
    const price = priceOfDeployment(input.catalog, deployment, input.at);
    if (!price) {
      unpriced.push(deployment.id);
      continue;
    }
    const maxOutputTokens = input.maxOutputTokens ?? price.maxOutputTokens ?? input.defaultMaxOutputTokens;
    const estimate = new Decimal(estimateMaxCost({ inputTokens: input.promptTokens, maxOutputTokens }, price).maxUsd);
    if (estimate.greaterThan(dearest)) dearest = estimate;
  }
  return { estimateUsd: dearest.toFixed(), unpriced };
}

/** What the call cost, exactly, at the price of the deployment that served it; "0" when it is unpriced (the ledger records it as unpriced, not free). */
export function actualCostOf(catalog: PriceCatalog, served: { provider: string; model: string; responseModel: string | null }, usage: TokenUsage, at: Date): string {
  const price = catalog.findAny(served.provider, [served.model, served.responseModel], at);
  return price ? costOf(usage, price).usd : '0';
}
