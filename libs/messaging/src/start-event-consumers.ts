import type { INestApplication } from '@nestjs/common';
import type { CustomStrategy } from '@nestjs/microservices';
import { MessagingRuntime } from './messaging.runtime';

/**
 * Connects the transport strategy for the configured bus to the app and subscribes every
 * @ConsumeEvent handler. Call after NestFactory.create() and before app.listen()/app.init():
 * deliveries begin once the app is initialised (after every onModuleInit), and app.close() stops
 * consuming, waits for handlers in flight, then flushes and disconnects the producer.
 */
export async function startEventConsumers(app: INestApplication): Promise<void> {
  let runtime: MessagingRuntime;
  try {
    runtime = app.get(MessagingRuntime, { strict: false });
  } catch {
    throw new Error('startEventConsumers: MessagingModule.forRoot(...) is not imported by this application');
  }
  // Concurrencies from concurrencyFrom(token, ...) are read from the app's providers, wherever they are declared.
  const server = runtime.createServer((token) => app.get(token, { strict: false }));
  // Not inheriting the HTTP app's global filters/pipes: those are written for HTTP requests.
  const microservice = app.connectMicroservice<CustomStrategy>({ strategy: server }, { inheritAppConfig: false });
  await microservice.listen();
  await runtime.attach(server);
}
