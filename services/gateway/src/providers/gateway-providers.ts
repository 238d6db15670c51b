import { Inject, Injectable } from '@nestjs/common';
import type { OnApplicationShutdown } from '@nestjs/common';
import { createProvider } from '@tollgate/providers';
import type { ChatProvider, Deployment } from '@tollgate/providers';

export type ProviderFactory = (deployment: Deployment) => ChatProvider;

export const PROVIDER_FACTORY = Symbol('PROVIDER_FACTORY');

/**
 * Builds adapters from the process environment (API keys are read from env by name).
 * TOLLGATE_PROVIDER_TIMEOUT_MS caps every deployment's timeout; TOLLGATE_MOCK_LATENCY_MS gives
 * mock deployments without their own latency one (demos, shutdown tests, benchmarks).
 */
export function providerFactoryFor(config: { TOLLGATE_PROVIDER_TIMEOUT_MS: number; TOLLGATE_MOCK_LATENCY_MS: number }): ProviderFactory {
  return (deployment) => {
    const timeoutMs = Math.min(deployment.timeoutMs, config.TOLLGATE_PROVIDER_TIMEOUT_MS);
    const mock =
      deployment.provider === 'mock' && config.TOLLGATE_MOCK_LATENCY_MS > 0 && !deployment.mock?.latencyMs
        ? { chunkDelayMs: 0, hang: false, ...deployment.mock, latencyMs: config.TOLLGATE_MOCK_LATENCY_MS }
        : deployment.mock;
    return createProvider({ ...deployment, timeoutMs, mock }, process.env);
  };
}

/** One adapter (and its connection pool) per deployment, created on first use, closed at shutdown. */
@Injectable()
export class ProviderClients implements OnApplicationShutdown {
  private readonly clients = new Map<string, ChatProvider>();

  constructor(@Inject(PROVIDER_FACTORY) private readonly factory: ProviderFactory) {}

  for(deployment: Deployment): ChatProvider {
    let client = this.clients.get(deployment.id);
    if (!client) {
      client = this.factory(deployment);
      this.clients.set(deployment.id, client);
    }
    return client;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.close?.()));
    this.clients.clear();
  }
}
