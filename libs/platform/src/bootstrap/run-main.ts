import { Logger } from '@nestjs/common';
import { ConfigError } from '../config/load-config';
import type { RuntimeEnv } from '../config/runtime.config';
import type { HttpServiceOptions } from './http-service';

/**
 * Runs a process entry point: configuration problems print the variables to fix and exit 1
 * without a stack trace; anything else prints its stack.
 */
export function runMain(main: () => Promise<unknown>): void {
  main().catch((error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`\n${error.message}\n\nFix the variables above and start again.\n`);
    } else {
      new Logger('startup').error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    }
    process.exit(1);
  });
}

/** The HTTP settings of a process, from its validated environment. */
export function httpSettings(runtime: RuntimeEnv & { PORT: number }): Pick<HttpServiceOptions, 'host' | 'port' | 'maxBodyBytes' | 'keepAliveTimeoutMs' | 'shutdownTimeoutMs' | 'logLevel'> {
  return {
    host: runtime.HOST,
    port: runtime.PORT,
    maxBodyBytes: runtime.TOLLGATE_MAX_BODY_BYTES,
    keepAliveTimeoutMs: runtime.TOLLGATE_HTTP_KEEP_ALIVE_TIMEOUT_MS,
    shutdownTimeoutMs: runtime.TOLLGATE_SHUTDOWN_TIMEOUT_MS,
    logLevel: runtime.LOG_LEVEL,
  };
}
