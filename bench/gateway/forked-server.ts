import type { Server } from 'node:http';
import type { ListeningMessage } from './protocol';

/**
 * Listens on a free loopback port and tells the parent which. Exits with the parent: a benchmark
 * process must not outlive the run, even when the orchestrator itself is killed.
 */
export function serveForParent(server: Server): void {
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    const message: ListeningMessage = { type: 'listening', port: typeof address === 'object' && address ? address.port : 0 };
    process.send?.(message);
  });
}
