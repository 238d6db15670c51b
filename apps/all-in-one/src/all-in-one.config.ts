import type { z } from 'zod';
import { RuntimeEnvSchema, env, loadConfig } from '@tollgate/platform';
import { CostLedgerEnvSchema } from '../../../services/cost-ledger/src/config/cost-ledger.config';
import { GatewayEnvSchema } from '../../../services/gateway/src/config/gateway.config';
import { GuardrailsEnvSchema } from '../../../services/guardrails/src/config/guardrails.config';
import { RecoveryEnvSchema } from '../../../services/recovery/src/config/recovery.config';
import { SimilarityEnvSchema } from '../../../services/similarity/src/config/similarity.config';
import { TraceApiEnvSchema } from '../../../services/trace-api/src/config/trace-api.config';

/** One process, one port, every service's settings validated together at start-up. */
export const AllInOneEnvSchema = RuntimeEnvSchema.extend({ PORT: env.port(8080) })
  .extend(GatewayEnvSchema.shape)
  .extend(GuardrailsEnvSchema.shape)
  .extend(CostLedgerEnvSchema.shape)
  .extend(SimilarityEnvSchema.shape)
  .extend(TraceApiEnvSchema.shape)
  .extend(RecoveryEnvSchema.shape);

export type AllInOneEnv = z.infer<typeof AllInOneEnvSchema>;

export function loadAllInOneEnv(source: NodeJS.ProcessEnv = process.env): AllInOneEnv {
  return loadConfig(AllInOneEnvSchema, source);
}
