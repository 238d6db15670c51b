export type { ChatProvider, ChatMessage, ProviderChatRequest, ProviderChatResponse, ProviderUsage } from './provider';
export { MockProvider, mockTokenCount, type MockProviderOptions } from './mock/mock.provider';
export { ProviderRegistry } from './registry';
