import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * One row per LLM call (unique `call_id`), whatever its outcome. Money is `numeric`, read and
 * written as decimal strings; `usd_cost` is null when the model has no price (`unpriced`).
 */
@Entity({ name: 'model_cost_logs' })
export class ModelCostLog {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ name: 'call_id', type: 'text', unique: true })
  callId!: string;

  @Column({ name: 'event_id', type: 'text' })
  eventId!: string;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ name: 'user_id', type: 'text', nullable: true })
  userId!: string | null;

  @Column({ name: 'api_key_id', type: 'text' })
  apiKeyId!: string;

  @Column({ name: 'agent_id', type: 'text', nullable: true })
  agentId!: string | null;

  @Column({ name: 'workflow_id', type: 'text', nullable: true })
  workflowId!: string | null;

  @Column({ name: 'node_id', type: 'text', nullable: true })
  nodeId!: string | null;

  @Column({ name: 'session_id', type: 'text', nullable: true })
  sessionId!: string | null;

  @Column({ type: 'text' })
  provider!: string;

  @Column({ type: 'text' })
  model!: string;

  @Column({ name: 'requested_model', type: 'text' })
  requestedModel!: string;

  @Column({ name: 'input_tokens', type: 'integer' })
  inputTokens!: number;

  @Column({ name: 'output_tokens', type: 'integer' })
  outputTokens!: number;

  @Column({ name: 'cached_read_tokens', type: 'integer' })
  cachedReadTokens!: number;

  @Column({ name: 'cache_write_tokens', type: 'integer' })
  cacheWriteTokens!: number;

  @Column({ name: 'reasoning_tokens', type: 'integer' })
  reasoningTokens!: number;

  @Column({ name: 'usage_source', type: 'text' })
  usageSource!: 'provider' | 'estimated';

  @Column({ name: 'usd_cost', type: 'numeric', precision: 24, scale: 12, nullable: true })
  usdCost!: string | null;

  @Column({ name: 'price_status', type: 'text' })
  priceStatus!: 'priced' | 'unpriced';

  @Column({ name: 'price_version', type: 'text', nullable: true })
  priceVersion!: string | null;

  @Column({ name: 'provider_cost_usd', type: 'numeric', precision: 24, scale: 12, nullable: true })
  providerCostUsd!: string | null;

  @Column({ type: 'text' })
  outcome!: string;

  @Column({ type: 'boolean' })
  stream!: boolean;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
