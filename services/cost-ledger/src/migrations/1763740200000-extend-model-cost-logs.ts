import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ledger columns issue 4 asks for: workflow_execution_id (the x-tollgate-workflow-id of the
 * call), operation, the model the response named, where the price came from, when a row was re-priced, and a flag for a
 * provider-reported cost more than 1% away from Tollgate's.
 */
export class ExtendModelCostLogs1763740200000 implements MigrationInterface {
  name = 'ExtendModelCostLogs1763740200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE model_cost_logs RENAME COLUMN workflow_id TO workflow_execution_id`);
    await queryRunner.query(`ALTER TABLE model_cost_logs ADD COLUMN operation text NOT NULL DEFAULT 'chat' CHECK (operation IN ('chat', 'embeddings'))`);
    await queryRunner.query(`ALTER TABLE model_cost_logs ADD COLUMN price_source text CHECK (price_source IN ('default', 'tenant'))`);
    // Azure calls are routed by deployment name; the model the response names is what a price correction re-prices by.
    await queryRunner.query(`ALTER TABLE model_cost_logs ADD COLUMN response_model text`);
    await queryRunner.query(`ALTER TABLE model_cost_logs ADD COLUMN repriced_at timestamptz`);
    // Generated, so that re-pricing (which changes usd_cost) keeps the flag right without a second write.
    // Relative to Tollgate's figure; a provider charging for a call Tollgate priced at $0 is flagged too.
    await queryRunner.query(`
      ALTER TABLE model_cost_logs ADD COLUMN cost_mismatch boolean GENERATED ALWAYS AS (
        provider_cost_usd IS NOT NULL AND usd_cost IS NOT NULL AND abs(provider_cost_usd - usd_cost) > usd_cost * 0.01
      ) STORED`);
    // GET /api/v1/costs/unpriced reads only the (few) unpriced rows of a tenant.
    await queryRunner.query(`CREATE INDEX model_cost_logs_unpriced_idx ON model_cost_logs (tenant_id, occurred_at) WHERE price_status = 'unpriced'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX model_cost_logs_unpriced_idx`);
    await queryRunner.query(`ALTER TABLE model_cost_logs DROP COLUMN cost_mismatch`);
    await queryRunner.query(`ALTER TABLE model_cost_logs DROP COLUMN repriced_at`);
    await queryRunner.query(`ALTER TABLE model_cost_logs DROP COLUMN response_model`);
    await queryRunner.query(`ALTER TABLE model_cost_logs DROP COLUMN price_source`);
    await queryRunner.query(`ALTER TABLE model_cost_logs DROP COLUMN operation`);
    await queryRunner.query(`ALTER TABLE model_cost_logs RENAME COLUMN workflow_execution_id TO workflow_id`);
  }
}
