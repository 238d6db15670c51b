/**
 * Every span/metric attribute and metric name Tollgate emits, in one place.
 *
 * GenAI names follow the OpenTelemetry GenAI semantic conventions (now maintained in
 * open-telemetry/semantic-conventions-genai). `@opentelemetry/semantic-conventions/incubating`
 * still carries them but marks them deprecated, so we pin our own copies here: a rename upstream
 * becomes one deliberate edit in this file, not a silent change in a dependency bump.
 */

// ---------------------------------------------------------------------------------------------
// GenAI attributes
// ---------------------------------------------------------------------------------------------

export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name' as const;
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name' as const;
export const ATTR_GEN_AI_CONVERSATION_ID = 'gen_ai.conversation.id' as const;

export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model' as const;
export const ATTR_GEN_AI_REQUEST_MAX_TOKENS = 'gen_ai.request.max_tokens' as const;
export const ATTR_GEN_AI_REQUEST_TEMPERATURE = 'gen_ai.request.temperature' as const;
export const ATTR_GEN_AI_REQUEST_TOP_P = 'gen_ai.request.top_p' as const;
/** Whether the request asked for a streamed (SSE) response. */
export const ATTR_GEN_AI_REQUEST_STREAM = 'gen_ai.request.stream' as const;

export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model' as const;
export const ATTR_GEN_AI_RESPONSE_ID = 'gen_ai.response.id' as const;
/** string[] */
export const ATTR_GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons' as const;
/** Seconds from sending the request to the first streamed chunk (spec unit; see also ATTR_TOLLGATE_TIME_TO_FIRST_CHUNK_MS). */
export const ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = 'gen_ai.response.time_to_first_chunk' as const;

/** Includes cached input tokens (spec: cache read/creation SHOULD be counted in input_tokens). */
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens' as const;
/** Includes reasoning tokens. */
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens' as const;
export const ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = 'gen_ai.usage.cache_read.input_tokens' as const;
export const ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = 'gen_ai.usage.cache_creation.input_tokens' as const;
export const ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = 'gen_ai.usage.reasoning.output_tokens' as const;

/** Metric attribute of gen_ai.client.token.usage. */
export const ATTR_GEN_AI_TOKEN_TYPE = 'gen_ai.token.type' as const;

/** Prompt/completion content: only when the tenant's privacy mode is `full`. */
export const ATTR_GEN_AI_INPUT_MESSAGES = 'gen_ai.input.messages' as const;
export const ATTR_GEN_AI_OUTPUT_MESSAGES = 'gen_ai.output.messages' as const;

export const GEN_AI_OPERATION_NAME_VALUE_CHAT = 'chat' as const;
export const GEN_AI_OPERATION_NAME_VALUE_EMBEDDINGS = 'embeddings' as const;

export const GEN_AI_PROVIDER_NAME_VALUE_OPENAI = 'openai' as const;
export const GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC = 'anthropic' as const;
export const GEN_AI_PROVIDER_NAME_VALUE_AZURE_AI_OPENAI = 'azure.ai.openai' as const;

export const GEN_AI_TOKEN_TYPE_VALUE_INPUT = 'input' as const;
export const GEN_AI_TOKEN_TYPE_VALUE_OUTPUT = 'output' as const;

// ---------------------------------------------------------------------------------------------
// General attributes (stable OpenTelemetry conventions)
// ---------------------------------------------------------------------------------------------

/** Low-cardinality error class (e.g. `timeout`, `rate_limited`, or an exception type). */
export const ATTR_ERROR_TYPE = 'error.type' as const;
export const ATTR_SERVER_ADDRESS = 'server.address' as const;
export const ATTR_SERVER_PORT = 'server.port' as const;

// ---------------------------------------------------------------------------------------------
// Messaging attributes (event consumers and producers)
// ---------------------------------------------------------------------------------------------

export const ATTR_MESSAGING_SYSTEM = 'messaging.system' as const;
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name' as const;
export const ATTR_MESSAGING_CONSUMER_GROUP_NAME = 'messaging.consumer.group.name' as const;
export const ATTR_MESSAGING_MESSAGE_ID = 'messaging.message.id' as const;
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type' as const;

export const MESSAGING_SYSTEM_VALUE_KAFKA = 'kafka' as const;
export const MESSAGING_OPERATION_TYPE_VALUE_SEND = 'send' as const;
export const MESSAGING_OPERATION_TYPE_VALUE_PROCESS = 'process' as const;

// ---------------------------------------------------------------------------------------------
// Tollgate attributes
// ---------------------------------------------------------------------------------------------

export const ATTR_TOLLGATE_TENANT_ID = 'tollgate.tenant.id' as const;
export const ATTR_TOLLGATE_API_KEY_ID = 'tollgate.api_key.id' as const;
export const ATTR_TOLLGATE_USER_ID = 'tollgate.user.id' as const;
export const ATTR_TOLLGATE_PLAN = 'tollgate.plan' as const;
export const ATTR_TOLLGATE_REGION = 'tollgate.region' as const;
export const ATTR_TOLLGATE_AGENT_ID = 'tollgate.agent.id' as const;
export const ATTR_TOLLGATE_WORKFLOW_ID = 'tollgate.workflow.id' as const;
export const ATTR_TOLLGATE_NODE_ID = 'tollgate.node.id' as const;
export const ATTR_TOLLGATE_SESSION_ID = 'tollgate.session.id' as const;
export const ATTR_TOLLGATE_CALL_ID = 'tollgate.call.id' as const;
/** Decimal string (exact), not a float: money is never a float in Tollgate. */
export const ATTR_TOLLGATE_COST_USD = 'tollgate.cost.usd' as const;
export const ATTR_TOLLGATE_ROUTE_RULE = 'tollgate.route.rule' as const;
export const ATTR_TOLLGATE_ROUTE_REASON = 'tollgate.route.reason' as const;
export const ATTR_TOLLGATE_POLICY_VERSION = 'tollgate.policy.version' as const;
export const ATTR_TOLLGATE_SIMILARITY_SCORE = 'tollgate.similarity.score' as const;
/** Number of provider attempts for one call (1 = no retry). */
export const ATTR_TOLLGATE_ATTEMPTS = 'tollgate.attempts' as const;
/** ok | failed | blocked */
export const ATTR_TOLLGATE_OUTCOME = 'tollgate.outcome' as const;
/** none | metadata | full */
export const ATTR_TOLLGATE_PRIVACY_MODE = 'tollgate.privacy_mode' as const;
/** Milliseconds, for dashboards that want integers; the spec attribute is in seconds. */
export const ATTR_TOLLGATE_TIME_TO_FIRST_CHUNK_MS = 'tollgate.time_to_first_chunk_ms' as const;
/** provider | estimated: whether token counts came from the provider or our own count. */
export const ATTR_TOLLGATE_USAGE_SOURCE = 'tollgate.usage.source' as const;

export const TOLLGATE_OUTCOME_VALUE_OK = 'ok' as const;
export const TOLLGATE_OUTCOME_VALUE_FAILED = 'failed' as const;
export const TOLLGATE_OUTCOME_VALUE_BLOCKED = 'blocked' as const;

export const TOLLGATE_USAGE_SOURCE_VALUE_PROVIDER = 'provider' as const;
export const TOLLGATE_USAGE_SOURCE_VALUE_ESTIMATED = 'estimated' as const;

// ---------------------------------------------------------------------------------------------
// Metric names
// ---------------------------------------------------------------------------------------------

/** Histogram, unit `{token}`, attribute gen_ai.token.type. */
export const METRIC_GEN_AI_CLIENT_TOKEN_USAGE = 'gen_ai.client.token.usage' as const;
/** Histogram, unit `s`. */
export const METRIC_GEN_AI_CLIENT_OPERATION_DURATION = 'gen_ai.client.operation.duration' as const;

/** Counter, unit `USD`: spend as observed by the gateway (monitoring only; the ledger is exact). */
export const METRIC_TOLLGATE_COST = 'tollgate.cost' as const;
/** Counter, unit `{call}`: calls refused by policy, budget or abuse checks. */
export const METRIC_TOLLGATE_CALLS_BLOCKED = 'tollgate.calls.blocked' as const;
/** Gauge: circuit breaker state per provider (0 closed, 1 half-open, 2 open). */
export const METRIC_TOLLGATE_BREAKER_STATE = 'tollgate.breaker.state' as const;
/** Gauge, unit `{message}`: consumer lag per topic and group. */
export const METRIC_TOLLGATE_BUS_LAG = 'tollgate.bus.lag' as const;

// ---------------------------------------------------------------------------------------------
// Resource
// ---------------------------------------------------------------------------------------------

export const ATTR_SERVICE_NAME = 'service.name' as const;
export const ATTR_SERVICE_NAMESPACE = 'service.namespace' as const;
export const ATTR_SERVICE_VERSION = 'service.version' as const;
export const TOLLGATE_SERVICE_NAMESPACE = 'tollgate' as const;

/** Instrumentation scope of Tollgate's own tracers and meters. */
export const TOLLGATE_INSTRUMENTATION_SCOPE = 'tollgate' as const;

// --- Tollgate's event bus (libs/messaging) -----------------------------------------------------

/** The in-process bus of the all-in-one mode, in place of Kafka. */
export const MESSAGING_SYSTEM_VALUE_TOLLGATE_IN_PROCESS = 'tollgate-in-process' as const;
export type MessagingSystem = typeof MESSAGING_SYSTEM_VALUE_KAFKA | typeof MESSAGING_SYSTEM_VALUE_TOLLGATE_IN_PROCESS;
/** How many times the handler ran for this message, and how the delivery ended. */
export const ATTR_TOLLGATE_DELIVERY_ATTEMPTS = 'tollgate.messaging.delivery.attempts' as const;
export const ATTR_TOLLGATE_DELIVERY_OUTCOME = 'tollgate.messaging.delivery.outcome' as const;
