import type { EventContract } from './events/define-event';
import { DeadLetterV1 } from './events/dead-letter.v1';
import { GovernanceApiKeySnapshotV1 } from './events/governance-apikey.v1';
import { LlmCallV1 } from './events/llm-call.v1';
import { CostRecordedV1 } from './events/cost-recorded.v1';
import { BudgetStateV1 } from './events/budget-state.v1';
import { BudgetAlertV1 } from './events/budget-alert.v1';
import type { TopicName } from './topics';

/** Every contract by topic: transports use it to validate what they receive. */
export const CONTRACTS: ReadonlyMap<TopicName, EventContract> = new Map<TopicName, EventContract>(
  [LlmCallV1, GovernanceApiKeySnapshotV1, DeadLetterV1, CostRecordedV1, BudgetStateV1, BudgetAlertV1].map((contract) => [contract.topic, contract]),
);

export function contractForTopic(topic: string): EventContract | undefined {
  return CONTRACTS.get(topic as TopicName);
}
