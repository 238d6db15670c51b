/**
 * One row of `GET /api/v1/cost-logs`. Tollgate's HTTP APIs use snake_case like OpenAI's.
 * Money is a decimal string in USD; `usd_cost` is null for an unpriced model.
 */
export interface CostLogDto {
  id: string;
  call_id: string;
  user_id: string | null;
  api_key_id: string;
  agent_id: string | null;
  /** The call's x-tollgate-workflow-id (stored as workflow_execution_id). */
  workflow_id: string | null;
  node_id: string | null;
  session_id: string | null;
  provider: string;
  model: string;
  requested_model: string;
  input_tokens: number;
  output_tokens: number;
  cached_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  usage_source: 'provider' | 'estimated';
  usd_cost: string | null;
  price_status: 'priced' | 'unpriced';
  price_version: string | null;
  provider_cost_usd: string | null;
  /** provider_cost_usd is more than 1% away from usd_cost. */
  cost_mismatch: boolean;
  /** `default` catalog or the tenant's `tenant` custom price; null when unpriced. */
  price_source: 'default' | 'tenant' | null;
  operation: 'chat' | 'embeddings';
  /** Set when a price correction re-priced the row. */
  repriced_at: string | null;
  outcome: string;
  stream: boolean;
  occurred_at: string;
  created_at: string;
}

export interface CostLogPageDto {
  object: 'list';
  data: CostLogDto[];
  /** Pass as `cursor` to get the next (older) page; null on the last page. */
  next_cursor: string | null;
}
