/**
 * Every Kafka topic Tollgate uses. No service writes a topic string literal: import from here.
 * Versioned names: a breaking schema change gets a new topic (`.v2`), consumers migrate, `.v1` retires.
 */
export const TOPICS = {
  llmCall: 'tollgate.llm.call.v1',
  governanceApiKey: 'tollgate.governance.apikey.v1',
  deadLetter: 'tollgate.dlq.v1',
  costRecorded: 'tollgate.cost.recorded.v1',
  budgetState: 'tollgate.budget.state.v1',
  budgetAlert: 'tollgate.budget.alert.v1',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];
