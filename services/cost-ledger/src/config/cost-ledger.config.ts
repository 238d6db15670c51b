import { z } from 'zod';
import { RuntimeEnvSchema, env, loadConfig } from '@tollgate/platform';

/** Cost-ledger's own settings (none yet beyond the runtime's; prices and budgets come later). */
export const CostLedgerEnvSchema = z.looseObject({});

export const CostLedgerServiceEnvSchema = RuntimeEnvSchema.extend({ PORT: env.port(8082) }).extend(CostLedgerEnvSchema.shape);

export type CostLedgerConfig = z.infer<typeof CostLedgerEnvSchema>;
export type CostLedgerServiceEnv = z.infer<typeof CostLedgerServiceEnvSchema>;

export function loadCostLedgerEnv(source: NodeJS.ProcessEnv = process.env): CostLedgerServiceEnv {
  return loadConfig(CostLedgerServiceEnvSchema, source);
}
