import { Global, Module } from '@nestjs/common';
import type { DynamicModule, Provider } from '@nestjs/common';
import { InProcessBroker } from './in-process/in-process.broker';
import { EVENT_PUBLISHER } from './messaging.constants';
import type { MessagingOptions } from './messaging.options';
import { MessagingRuntime } from './messaging.runtime';

/**
 * The event bus for a Nest application: provides EVENT_PUBLISHER everywhere (global), and with
 * startEventConsumers(app) runs the app's @ConsumeEvent handlers. Import once, in the root module.
 */
@Global()
@Module({})
export class MessagingModule {
  static forRoot(options: MessagingOptions): DynamicModule {
    const providers: Provider[] = [
      { provide: MessagingRuntime, useFactory: () => new MessagingRuntime(options) },
      { provide: EVENT_PUBLISHER, useFactory: (runtime: MessagingRuntime) => runtime.publisher, inject: [MessagingRuntime] },
    ];
    if (options.transport.kind === 'in-process') {
      providers.push({ provide: InProcessBroker, useFactory: (runtime: MessagingRuntime) => runtime.broker, inject: [MessagingRuntime] });
    }
    return { module: MessagingModule, providers, exports: providers.map((provider) => (provider as { provide: unknown }).provide as never) };
  }
}
