import type { Server } from 'node:http';
import { Logger } from '@nestjs/common';
import type { DynamicModule, LogLevel, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { startEventConsumers } from '@tollgate/messaging';
import { getTelemetry } from '@tollgate/telemetry';
import { OpenAiExceptionFilter } from '../errors/openai-exception.filter';
import { ReadinessRegistry } from '../health/readiness.registry';
import { assignRequestId } from '../http/request-id';

export interface HttpServiceOptions {
  name: string;
  module: DynamicModule | Type;
  host: string;
  port: number;
  maxBodyBytes: number;
  /** Idle keep-alive connections close after this long (TOLLGATE_HTTP_KEEP_ALIVE_TIMEOUT_MS). */
  keepAliveTimeoutMs: number;
  shutdownTimeoutMs: number;
  logLevel: LogLevel;
  /** Runs after the app has closed (e.g. stopping an embedded database). */
  afterClose?: () => Promise<void>;
  /** Install SIGTERM/SIGINT handlers (off in tests that start several apps in one process). */
  handleSignals?: boolean;
}

export interface RunningHttpService {
  app: NestExpressApplication;
  url: string;
  stop(): Promise<void>;
}

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** Every response names its request (see assignRequestId). */
function requestId(req: Request, res: Response, next: NextFunction): void {
  assignRequestId(req, res);
  next();
}

/**
 * Starts a Tollgate HTTP process: body limits, OpenAI-shaped errors, event consumers, and a
 * graceful stop that first turns /readyz to 503, stops accepting connections, lets in-flight
 * requests finish, drains consumers, closes storage and flushes telemetry.
 */
export async function startHttpService(options: HttpServiceOptions): Promise<RunningHttpService> {
  const logger = new Logger(options.name);
  const app = await NestFactory.create<NestExpressApplication>(options.module, {
    bodyParser: false,
    logger: LEVELS.slice(0, LEVELS.indexOf(options.logLevel) + 1),
  });
  app.disable('x-powered-by');
  // API responses are never revalidated: hashing every JSON body for an ETag is wasted CPU.
  app.set('etag', false);
  app.use(requestId);
  app.useBodyParser('json', { limit: options.maxBodyBytes });
  app.useGlobalFilters(new OpenAiExceptionFilter());
  await startEventConsumers(app);
  const server = app.getHttpServer() as Server;
  server.keepAliveTimeout = options.keepAliveTimeoutMs;
  // A request's headers may take as long as before, but never less than an idle connection lives.
  server.headersTimeout = Math.max(server.headersTimeout, options.keepAliveTimeoutMs + 1_000);
  await app.listen(options.port, options.host);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const url = `http://${options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}`;
  logger.log(`listening on ${url}`);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      logger.log('stopping: no new requests; finishing in-flight work');
      app.get(ReadinessRegistry).markStopping();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections turn idle as their last response ends; close each as soon as it does.
      server.closeIdleConnections();
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      const timer = setTimeout(() => server.closeAllConnections(), options.shutdownTimeoutMs);
      await closed;
      clearInterval(sweep);
      clearTimeout(timer);
      await app.close();
      await options.afterClose?.();
      await getTelemetry()?.shutdown();
      logger.log('stopped');
    })();
    return stopping;
  };

  if (options.handleSignals ?? true) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        stop().then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error(`failed to stop cleanly: ${error instanceof Error ? error.stack : String(error)}`);
            process.exit(1);
          },
        );
      });
    }
  }
  return { app, url, stop };
}
