import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Daily totals per tenant and per user, API key, agent, model and workflow of it, updated in the
 * same statement that inserts the cost rows (so they are exactly as idempotent as the rows), and
 * by deltas when rows are re-priced. `key` is '' where the call had no such attribute.
 */
export class CreateDailyCostAggregates1763740300000 implements MigrationInterface {
  name = 'CreateDailyCostAggregates1763740300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE daily_cost_aggregates (
        tenant_id text NOT NULL,
        dimension text NOT NULL CHECK (dimension IN ('tenant', 'user', 'api_key', 'agent', 'model', 'workflow')),
        key text NOT NULL,
        day date NOT NULL,
        calls bigint NOT NULL DEFAULT 0,
        unpriced_calls bigint NOT NULL DEFAULT 0,
        cost_mismatch_calls bigint NOT NULL DEFAULT 0,
        input_tokens bigint NOT NULL DEFAULT 0,
        output_tokens bigint NOT NULL DEFAULT 0,
        cached_read_tokens bigint NOT NULL DEFAULT 0,
        cache_write_tokens bigint NOT NULL DEFAULT 0,
        reasoning_tokens bigint NOT NULL DEFAULT 0,
        usd_cost numeric(30, 12) NOT NULL DEFAULT 0,
        provider_cost_usd numeric(30, 12) NOT NULL DEFAULT 0,
        PRIMARY KEY (tenant_id, dimension, key, day)
      )`);
    // Summaries by day across keys (group_by=model etc. over a date range).
    await queryRunner.query(`CREATE INDEX daily_cost_aggregates_tenant_day_idx ON daily_cost_aggregates (tenant_id, dimension, day)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE daily_cost_aggregates`);
  }
}
