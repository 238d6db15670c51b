import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Budgets (one per tenant, scope and period) and the alerts already sent (once per budget, period and threshold). */
export class CreateBudgets1763740500000 implements MigrationInterface {
  name = 'CreateBudgets1763740500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE budgets (
        id text PRIMARY KEY,
        tenant_id text NOT NULL,
        scope_type text NOT NULL CHECK (scope_type IN ('tenant', 'user', 'api_key', 'agent')),
        scope_id text NOT NULL,
        period text NOT NULL CHECK (period IN ('day', 'month')),
        soft_limit_usd numeric(18, 6) CHECK (soft_limit_usd >= 0),
        hard_limit_usd numeric(18, 6) CHECK (hard_limit_usd >= 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT budgets_scope_key UNIQUE (tenant_id, scope_type, scope_id, period),
        CONSTRAINT budgets_has_a_limit CHECK (soft_limit_usd IS NOT NULL OR hard_limit_usd IS NOT NULL),
        CONSTRAINT budgets_tenant_scope_has_no_id CHECK ((scope_type = 'tenant') = (scope_id = ''))
      )`);
    await queryRunner.query(`
      CREATE TABLE budget_alerts (
        budget_id text NOT NULL REFERENCES budgets (id) ON DELETE CASCADE,
        period_start timestamptz NOT NULL,
        threshold text NOT NULL CHECK (threshold IN ('soft', 'hard')),
        spent_usd numeric(30, 12) NOT NULL,
        sent_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (budget_id, period_start, threshold)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE budget_alerts`);
    await queryRunner.query(`DROP TABLE budgets`);
  }
}
