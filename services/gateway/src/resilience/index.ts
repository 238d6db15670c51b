export {
  ResilienceEnvSchema,
  resilienceConfigFromEnv,
  RESILIENCE_CONFIG,
  type ResilienceEnv,
  type ResilienceConfig,
} from './resilience.config';
export {
  CircuitBreakers,
  BreakerOpenError,
  countsAsBreakerFailure,
  ATTR_TOLLGATE_DEPLOYMENT_ID,
  type BreakerState,
  type BreakerStatus,
  type BreakerFailure,
  type BreakerTarget,
} from './circuit-breakers';
export {
  InlineRecovery,
  RecoveryExhaustedError,
  recoveryAttemptsOf,
  type RecoveryOptions,
  type RecoveryResult,
  type RecoveryFailureReason,
} from './inline-recovery';
export { ResilienceModule } from './resilience.module';
