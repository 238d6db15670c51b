import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiKeyGuard } from '@tollgate/platform';
import { CircuitBreakers } from '../resilience';
import type { BreakerState } from '../resilience';
import { Router } from './router';
import type { RoutingConfig } from './routing.config';

/** A deployment as operators may see it: no base URL, key variable or API version. */
export interface DeploymentRouteDto {
  id: string;
  provider: string;
  public_model: string;
  model: string;
  region: string;
  price_tier: string;
  weight: number;
  context_window: number;
  supports_embeddings: boolean;
  timeout_ms: number;
  breaker_state: BreakerState;
}

export interface GatewayRoutesDto {
  object: 'gateway.routes';
  source: RoutingConfig['deploymentsSource'];
  strategy: RoutingConfig['strategy'];
  long_context_threshold_tokens: number;
  deployments: DeploymentRouteDto[];
  aliases: Record<string, string[]>;
}

export interface CircuitBreakerDto {
  deployment_id: string;
  provider: string;
  region: string;
  public_model: string;
  state: BreakerState;
  since: string;
  consecutive_failures: number;
  recent_failures: Array<{ at: string; error_class: string; status: number | null }>;
}

/** Operators' view of routing: what the gateway can route to, and which deployments are tripped. */
@Controller('api/v1/gateway')
@UseGuards(ApiKeyGuard)
export class GatewayAdminController {
  constructor(
    private readonly router: Router,
    private readonly breakers: CircuitBreakers,
  ) {}

  @Get('circuit-breakers')
  circuitBreakers(): { object: 'list'; data: CircuitBreakerDto[] } {
    const deployments = this.router.catalog.deployments;
    return {
      object: 'list',
      data: this.breakers.snapshot(deployments).map((status, i) => ({
        deployment_id: status.deploymentId,
        provider: status.provider,
        region: status.region,
        public_model: deployments[i].publicModel,
        state: status.state,
        since: status.since,
        consecutive_failures: status.consecutiveFailures,
        recent_failures: status.recentFailures.map((f) => ({ at: f.at, error_class: f.errorClass, status: f.status })),
      })),
    };
  }

  @Get('routes')
  routes(): GatewayRoutesDto {
    const { catalog, settings } = this.router;
    return {
      object: 'gateway.routes',
      source: settings.deploymentsSource,
      strategy: settings.strategy,
      long_context_threshold_tokens: settings.longContextThresholdTokens,
      deployments: catalog.deployments.map((d) => ({
        id: d.id,
        provider: d.provider,
        public_model: d.publicModel,
        model: d.model,
        region: d.region,
        price_tier: d.priceTier,
        weight: d.weight,
        context_window: d.contextWindow,
        supports_embeddings: d.supportsEmbeddings,
        timeout_ms: d.timeoutMs,
        breaker_state: this.breakers.stateOf(d.id),
      })),
      aliases: Object.fromEntries(Object.entries(catalog.aliases).map(([alias, models]) => [alias, [...models]])),
    };
  }
}
