import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { ApiKeyDirectoryModule } from '@tollgate/platform';
import { LlmCallRecorder } from './calls/llm-call.recorder';
import { ChatCompletionsController } from './chat/chat-completions.controller';
import { ChatCompletionsService } from './chat/chat-completions.service';
import { GATEWAY_CONFIG } from './config/gateway.config';
import type { GatewayConfig } from './config/gateway.config';
import { ModelsController } from './models/models.controller';
import { PROVIDER_REGISTRY, createProviderRegistry } from './providers/gateway-providers';

/** The OpenAI-compatible front door. Holds nothing durable: keys and policies arrive as snapshots. */
@Module({})
export class GatewayModule {
  static register(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [ApiKeyDirectoryModule],
      controllers: [ChatCompletionsController, ModelsController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: PROVIDER_REGISTRY, useValue: createProviderRegistry(config) },
        ChatCompletionsService,
        LlmCallRecorder,
      ],
    };
  }
}
