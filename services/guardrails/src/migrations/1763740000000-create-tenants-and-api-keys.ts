import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateTenantsAndApiKeys1763740000000 implements MigrationInterface {
  name = 'CreateTenantsAndApiKeys1763740000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE tenants (
        id text PRIMARY KEY,
        name text NOT NULL UNIQUE,
        plan text NOT NULL CHECK (plan IN ('free', 'pro', 'enterprise')),
        region text NOT NULL CHECK (region IN ('us', 'eu', 'global')),
        privacy_mode text NOT NULL DEFAULT 'metadata' CHECK (privacy_mode IN ('none', 'metadata', 'full')),
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE api_keys (
        id text PRIMARY KEY,
        tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        hash char(64) NOT NULL UNIQUE,
        prefix text NOT NULL,
        name text NOT NULL,
        user_id text,
        active boolean NOT NULL DEFAULT true,
        expires_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX api_keys_tenant_id_idx ON api_keys (tenant_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE api_keys`);
    await queryRunner.query(`DROP TABLE tenants`);
  }
}
