import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenants' custom prices (history kept: each PUT adds entries, the one in effect at a call's time
 * wins) and the record of re-pricing jobs (one per distinct request and price fingerprint).
 */
export class CreateTenantPricesAndRepriceJobs1763740400000 implements MigrationInterface {
  name = 'CreateTenantPricesAndRepriceJobs1763740400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE tenant_prices (
        id text PRIMARY KEY,
        tenant_id text NOT NULL,
        provider text NOT NULL,
        model text NOT NULL,
        effective_from timestamptz NOT NULL,
        input numeric(18, 6) NOT NULL CHECK (input >= 0),
        output numeric(18, 6) NOT NULL CHECK (output >= 0),
        cached_read numeric(18, 6) CHECK (cached_read >= 0),
        cache_write numeric(18, 6) CHECK (cache_write >= 0),
        reasoning numeric(18, 6) CHECK (reasoning >= 0),
        batch_input numeric(18, 6) CHECK (batch_input >= 0),
        batch_output numeric(18, 6) CHECK (batch_output >= 0),
        context_window integer CHECK (context_window > 0),
        max_output_tokens integer CHECK (max_output_tokens >= 0),
        note text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX tenant_prices_lookup_idx ON tenant_prices (tenant_id, provider, model, effective_from)`);
    await queryRunner.query(`
      CREATE TABLE reprice_jobs (
        id text PRIMARY KEY,
        tenant_id text NOT NULL,
        idempotency_key text NOT NULL UNIQUE,
        provider text,
        model text,
        from_time timestamptz NOT NULL,
        to_time timestamptz NOT NULL,
        price_fingerprint text NOT NULL,
        status text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
        rows_examined integer NOT NULL DEFAULT 0,
        rows_changed integer NOT NULL DEFAULT 0,
        usd_delta numeric(30, 12) NOT NULL DEFAULT 0,
        error text,
        requested_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX reprice_jobs_tenant_idx ON reprice_jobs (tenant_id, requested_at DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE reprice_jobs`);
    await queryRunner.query(`DROP TABLE tenant_prices`);
  }
}
