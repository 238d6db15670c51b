import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A tenant's own price for a model from `effective_from` on (USD per million tokens, numeric). Rows are never updated: a new price is a new row. */
@Entity({ name: 'tenant_prices' })
export class TenantPrice {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ type: 'text' })
  provider!: string;

  @Column({ type: 'text' })
  model!: string;

  @Column({ name: 'effective_from', type: 'timestamptz' })
  effectiveFrom!: Date;

  @Column({ type: 'numeric', precision: 18, scale: 6 })
  input!: string;

  @Column({ type: 'numeric', precision: 18, scale: 6 })
  output!: string;

  @Column({ name: 'cached_read', type: 'numeric', precision: 18, scale: 6, nullable: true })
  cachedRead!: string | null;

  @Column({ name: 'cache_write', type: 'numeric', precision: 18, scale: 6, nullable: true })
  cacheWrite!: string | null;

  @Column({ type: 'numeric', precision: 18, scale: 6, nullable: true })
  reasoning!: string | null;

  @Column({ name: 'batch_input', type: 'numeric', precision: 18, scale: 6, nullable: true })
  batchInput!: string | null;

  @Column({ name: 'batch_output', type: 'numeric', precision: 18, scale: 6, nullable: true })
  batchOutput!: string | null;

  @Column({ name: 'context_window', type: 'integer', nullable: true })
  contextWindow!: number | null;

  @Column({ name: 'max_output_tokens', type: 'integer', nullable: true })
  maxOutputTokens!: number | null;

  @Column({ type: 'text', nullable: true })
  note!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
