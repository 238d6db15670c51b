import { Injectable } from '@nestjs/common';

export type ReadinessCheck = () => Promise<void> | void;

/**
 * What must hold before this process takes traffic (database reachable, snapshots loaded...).
 * Components register their own checks; a check signals "not ready" by throwing.
 */
@Injectable()
export class ReadinessRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();
  private stopping = false;

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  /** From now on /readyz answers 503, so load balancers stop sending work before we close. */
  markStopping(): void {
    this.stopping = true;
  }

  async evaluate(timeoutMs = 2000): Promise<{ ready: boolean; checks: Record<string, string> }> {
    const results: Record<string, string> = {};
    if (this.stopping) results.shutdown = 'stopping';
    await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            Promise.resolve().then(check),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
            }),
          ]);
          results[name] = 'ok';
        } catch (error) {
          results[name] = error instanceof Error ? error.message : String(error);
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    return { ready: Object.values(results).every((r) => r === 'ok'), checks: results };
  }
}
