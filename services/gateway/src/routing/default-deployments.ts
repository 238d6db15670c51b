import type { DeploymentInput } from '@tollgate/providers';

/**
 * What the gateway routes to when TOLLGATE_DEPLOYMENTS(_FILE) is not set: the offline mock in
 * every region, so the all-in-one answers out of the box and shows each routing rule:
 * EU keys land on `mock-echo-eu`, free keys never reach the premium `mock/echo-large`, and long
 * prompts go to its 1M-token window first.
 */
export const DEFAULT_DEPLOYMENTS: readonly DeploymentInput[] = [
  { id: 'mock-echo-global', provider: 'mock', publicModel: 'mock/echo', model: 'echo', region: 'global', priceTier: 'economy', contextWindow: 128_000, supportsEmbeddings: true },
  { id: 'mock-echo-eu', provider: 'mock', publicModel: 'mock/echo', model: 'echo', region: 'eu', priceTier: 'economy', contextWindow: 128_000, supportsEmbeddings: true },
  { id: 'mock-echo-us', provider: 'mock', publicModel: 'mock/echo', model: 'echo', region: 'us', priceTier: 'economy', contextWindow: 128_000, supportsEmbeddings: true },
  { id: 'mock-echo-large-global', provider: 'mock', publicModel: 'mock/echo-large', model: 'echo-large', region: 'global', priceTier: 'premium', contextWindow: 1_000_000 },
];

/** Used only together with DEFAULT_DEPLOYMENTS (or when TOLLGATE_MODEL_ALIASES names them). */
export const DEFAULT_MODEL_ALIASES: Readonly<Record<string, readonly string[]>> = {
  'default-chat': ['mock/echo', 'mock/echo-large'],
};
