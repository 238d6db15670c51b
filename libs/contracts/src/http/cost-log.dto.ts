/** One row of `GET /api/v1/cost-logs`. Money is a decimal string in USD. */
export interface CostLogDto {
  id: string;
  callId: string;
  tenantId: string;
  userId: string | null;
  apiKeyId: string;
  agentId: string | null;
  workflowId: string | null;
  nodeId: string | null;
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cachedReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  usageSource: 'provider' | 'estimated';
  usdCost: string | null;
  priceStatus: 'priced' | 'unpriced';
  priceVersion: string | null;
  outcome: string;
  occurredAt: string;
  createdAt: string;
}

export interface CostLogPageDto {
  object: 'list';
  data: CostLogDto[];
  nextCursor: string | null;
}
