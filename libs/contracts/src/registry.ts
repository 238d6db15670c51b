import type { EventContract } from './events/define-event';
import { DeadLetterV1 } from './events/dead-letter.v1';
import { GovernanceApiKeySnapshotV1 } from './events/governance-apikey.v1';
import { LlmCallV1 } from './events/llm-call.v1';
import type { TopicName } from './topics';

/** Every contract by topic: transports use it to validate what they receive. */
export const CONTRACTS: Readonly<Record<TopicName, EventContract>> = {
  [LlmCallV1.topic]: LlmCallV1,
  [GovernanceApiKeySnapshotV1.topic]: GovernanceApiKeySnapshotV1,
  [DeadLetterV1.topic]: DeadLetterV1,
};

export function contractForTopic(topic: string): EventContract | undefined {
  return (CONTRACTS as Record<string, EventContract | undefined>)[topic];
}
