/**
 * Polls `assertion` until it stops throwing or `timeoutMs` passes, then rethrows its last error.
 * For asynchronous delivery in tests: no fixed sleeps.
 */
export async function expectEventually(assertion: () => void | Promise<void>, timeoutMs = 5000, intervalMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await assertion();
      return;
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
