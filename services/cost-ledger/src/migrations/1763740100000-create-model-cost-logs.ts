import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateModelCostLogs1763740100000 implements MigrationInterface {
  name = 'CreateModelCostLogs1763740100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE model_cost_logs (
        id text PRIMARY KEY,
        call_id text NOT NULL,
        event_id text NOT NULL,
        tenant_id text NOT NULL,
        user_id text,
        api_key_id text NOT NULL,
        agent_id text,
        workflow_id text,
        node_id text,
        session_id text,
        provider text NOT NULL,
        model text NOT NULL,
        requested_model text NOT NULL,
        input_tokens integer NOT NULL CHECK (input_tokens >= 0),
        output_tokens integer NOT NULL CHECK (output_tokens >= 0),
        cached_read_tokens integer NOT NULL CHECK (cached_read_tokens >= 0),
        cache_write_tokens integer NOT NULL CHECK (cache_write_tokens >= 0),
        reasoning_tokens integer NOT NULL CHECK (reasoning_tokens >= 0),
        usage_source text NOT NULL CHECK (usage_source IN ('provider', 'estimated')),
        usd_cost numeric(24, 12),
        price_status text NOT NULL CHECK (price_status IN ('priced', 'unpriced')),
        price_version text,
        provider_cost_usd numeric(24, 12),
        outcome text NOT NULL,
        stream boolean NOT NULL,
        occurred_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT model_cost_logs_call_id_key UNIQUE (call_id),
        CONSTRAINT model_cost_logs_priced_has_cost CHECK ((price_status = 'priced') = (usd_cost IS NOT NULL))
      )`);
    // Serves the tenant-scoped, newest-first cursor pagination of GET /api/v1/cost-logs.
    await queryRunner.query(`CREATE INDEX model_cost_logs_tenant_time_idx ON model_cost_logs (tenant_id, occurred_at DESC, id DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE model_cost_logs`);
  }
}
