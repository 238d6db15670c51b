import { z } from 'zod';
import { RuntimeEnvSchema, env, loadConfig } from '@tollgate/platform';

/** Default of TOLLGATE_LEDGER_CONCURRENCY. */
export const DEFAULT_LEDGER_CONCURRENCY = 2048;

/** Cost-ledger's own settings, validated at start-up (in its own process and in the all-in-one). */
export const CostLedgerEnvSchema = z.looseObject({
  /** Most call events written by one multi-row insert. */
  TOLLGATE_LEDGER_BATCH_SIZE: env.positiveInt(500).pipe(z.number().max(5000, 'must be at most 5000')),
  /**
   * Most llm.call.v1 messages the ledger's consumer handles at once (per process; in no particular
   * order: rows are exactly-once by call_id, aggregates add up in any order). The batcher groups what is in flight into one insert, and a
   * message is acknowledged only after its row commits, so this bounds the batch size in practice.
   */
  TOLLGATE_LEDGER_CONCURRENCY: env.positiveInt(DEFAULT_LEDGER_CONCURRENCY).pipe(z.number().max(100_000, 'must be at most 100000')),
  /** How often budget.state.v1 is refreshed for tenants whose spend moved (a status change is published at once). */
  TOLLGATE_BUDGET_STATE_INTERVAL_MS: env.positiveInt(1000),
});

export const CostLedgerServiceEnvSchema = RuntimeEnvSchema.extend({ PORT: env.port(8082) }).extend(CostLedgerEnvSchema.shape);

/**
 * What CostLedgerModule.register() takes: the validated env, in which TOLLGATE_LEDGER_CONCURRENCY
 * may be left out by callers that build the config by hand (tests, benches): it then defaults to
 * DEFAULT_LEDGER_CONCURRENCY, as the env schema does.
 */
export type CostLedgerConfig = z.infer<ReturnType<typeof CostLedgerEnvSchema.partial<{ TOLLGATE_LEDGER_CONCURRENCY: true }>>>;

/** The consumer concurrency a config asks for. */
export function ledgerConcurrency(config: CostLedgerConfig): number {
  return config.TOLLGATE_LEDGER_CONCURRENCY ?? DEFAULT_LEDGER_CONCURRENCY;
}
export type CostLedgerServiceEnv = z.infer<typeof CostLedgerServiceEnvSchema>;

export function loadCostLedgerEnv(source: NodeJS.ProcessEnv = process.env): CostLedgerServiceEnv {
  return loadConfig(CostLedgerServiceEnvSchema, source);
}

/** DI token of the validated CostLedgerConfig. */
export const COST_LEDGER_CONFIG = Symbol('COST_LEDGER_CONFIG');
