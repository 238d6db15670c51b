export { createProvider, OPENAI_DEFAULT_BASE_URL, AZURE_OPENAI_DEFAULT_API_VERSION } from './create-provider';
export { DeploymentSchema, type Deployment, type DeploymentInput } from './deployment';
export { ProviderError } from './provider';
export type {
  ChatProvider,
  ChatMessage,
  ChatToolCall,
  FinishReason,
  ProviderCallContext,
  ProviderChatRequest,
  ProviderChatResponse,
  ProviderEmbeddingRequest,
  ProviderEmbeddingResponse,
  ProviderErrorClass,
  ProviderStreamEvent,
  ProviderUsage,
} from './provider';
export { parseRetryAfter } from './http/retry-after';
export { errorClassForStatus } from './http/upstream-errors';
export { roughTokenCount, roughPromptTokens } from './token-estimate';
export { ANTHROPIC_DEFAULT_MAX_TOKENS } from './anthropic/anthropic-translation';
export { ANTHROPIC_DEFAULT_BASE_URL } from './anthropic/anthropic.provider';
export { MOCK_EMBEDDING_DIMENSIONS } from './mock/mock.provider';
