import { MockProvider, ProviderRegistry } from '@tollgate/providers';
import type { GatewayConfig } from '../config/gateway.config';

export const PROVIDER_REGISTRY = Symbol('PROVIDER_REGISTRY');

/** The providers this gateway can reach. Real provider adapters join here with the gateway issue. */
export function createProviderRegistry(config: GatewayConfig): ProviderRegistry {
  return new ProviderRegistry([new MockProvider({ latencyMs: config.TOLLGATE_MOCK_LATENCY_MS })]);
}
