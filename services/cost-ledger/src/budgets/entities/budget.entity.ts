import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A spending limit for a tenant or one user, API key or agent of it, per UTC day or month. `scope_id` is '' for the tenant scope. */
@Entity({ name: 'budgets' })
export class Budget {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ name: 'scope_type', type: 'text' })
  scopeType!: 'tenant' | 'user' | 'api_key' | 'agent';

  @Column({ name: 'scope_id', type: 'text' })
  scopeId!: string;

  @Column({ type: 'text' })
  period!: 'day' | 'month';

  @Column({ name: 'soft_limit_usd', type: 'numeric', precision: 18, scale: 6, nullable: true })
  softLimitUsd!: string | null;

  @Column({ name: 'hard_limit_usd', type: 'numeric', precision: 18, scale: 6, nullable: true })
  hardLimitUsd!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
