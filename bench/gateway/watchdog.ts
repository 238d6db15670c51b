/**
 * Ends the process groups it guards (the gateway and its Postgres) when the orchestrator dies
 * without stopping them (SIGKILL, a crash): forked children exit with their parent on their own,
 * but the gateway runs in its own process group and would otherwise outlive the run.
 */
const guarded = new Set<number>();

function signalAll(signal: NodeJS.Signals): void {
  for (const group of guarded) {
    try {
      process.kill(-group, signal);
    } catch {
      guarded.delete(group); // already gone
    }
  }
}

process.on('message', (message: { guard?: number; release?: number }) => {
  if (message.guard !== undefined) guarded.add(message.guard);
  if (message.release !== undefined) guarded.delete(message.release);
});
// Ctrl-C reaches the whole terminal group: the orchestrator stops everything itself; stay to watch it do so.
process.on('SIGINT', () => undefined);
process.on('disconnect', () => {
  if (guarded.size === 0) process.exit(0);
  signalAll('SIGTERM');
  setTimeout(() => {
    signalAll('SIGKILL');
    process.exit(0);
  }, 10_000);
});
