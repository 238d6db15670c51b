export {
  RoutingEnvSchema,
  routingConfigFromEnv,
  loadRoutingConfig,
  ROUTING_CONFIG,
  DEFAULT_LONG_CONTEXT_TOKENS,
  type RoutingEnv,
  type RoutingConfig,
  type RoutingStrategy,
} from './routing.config';
export { DEFAULT_DEPLOYMENTS, DEFAULT_MODEL_ALIASES } from './default-deployments';
export { DeploymentCatalog, type ModelGroup, type ResolvedModel } from './deployment-catalog';
export { Router, RoutingError, type RouteRequest, type RoutePlan } from './router';
export { estimatePromptTokens, DEFAULT_EXACT_COUNT_FROM_TOKENS, type PromptMessage } from './prompt-tokens';
export { GatewayAdminController, type GatewayRoutesDto, type DeploymentRouteDto, type CircuitBreakerDto } from './gateway-admin.controller';
export { RoutingModule } from './routing.module';
