import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { ApiKeyDirectoryModule } from '@tollgate/platform';
import { BudgetsModule } from './budgets';
import { CallSettlement } from './calls/call-settlement';
import { LlmCallRecorder } from './calls/llm-call.recorder';
import { ChatCompletionsController } from './chat/chat-completions.controller';
import { ChatCompletionsEndpoint } from './chat/chat-completions.endpoint';
import { ChatCompletionsFastPath } from './chat/chat-completions.fast-path';
import { ChatCompletionsService } from './chat/chat-completions.service';
import { GATEWAY_CONFIG } from './config/gateway.config';
import type { GatewayConfig } from './config/gateway.config';
import { EmbeddingsController } from './embeddings/embeddings.controller';
import { EmbeddingsService } from './embeddings/embeddings.service';
import { ModelsController } from './models/models.controller';
import { PROVIDER_FACTORY, ProviderClients, providerFactoryFor } from './providers/gateway-providers';
import type { ProviderFactory } from './providers/gateway-providers';
import { RoutingModule, loadRoutingConfig } from './routing';

/** The OpenAI-compatible front door. Holds nothing durable: keys and policies arrive as snapshots. */
@Module({})
export class GatewayModule {
  static register(config: GatewayConfig, options: { providerFactory?: ProviderFactory } = {}): DynamicModule {
    return {
      module: GatewayModule,
      imports: [ApiKeyDirectoryModule, RoutingModule.register(loadRoutingConfig(config)), BudgetsModule.register(config)],
      controllers: [ChatCompletionsController, EmbeddingsController, ModelsController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: PROVIDER_FACTORY, useValue: options.providerFactory ?? providerFactoryFor(config) },
        ProviderClients,
        ChatCompletionsService,
        ChatCompletionsEndpoint,
        ChatCompletionsFastPath,
        EmbeddingsService,
        LlmCallRecorder,
        CallSettlement,
      ],
    };
  }
}
