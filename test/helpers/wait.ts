/**
 * The one poller of the tests. Prefer `expect.poll(fn).toBe(...)` when a test waits for a value it
 * then asserts; use `waitFor` when it needs the value itself (the message that arrived, the stats
 * line that matched) or waits inside a helper, where there is no assertion to poll.
 */
import { vi } from 'vitest';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Poll `fn` until it gives a truthy value and return it; a throw counts as "not yet". After
 * `timeoutMs` it fails naming `what` and the last error. `everyMs` is the polling interval: raise it
 * when each check costs something (an InfluxQL query, an HTTP round trip).
 */
export async function waitFor<T>(
  what: string,
  fn: () => T | Promise<T>,
  timeoutMs = 10_000,
  everyMs = 25,
): Promise<NonNullable<T>> {
  const started = Date.now();
  try {
    return await vi.waitFor(
      async () => {
        const v = await fn();
        if (!v) throw new Error(`not yet: ${what}`);
        return v;
      },
      { timeout: timeoutMs, interval: everyMs },
    );
  } catch (e) {
    const last =
      e instanceof Error && !e.message.startsWith('not yet: ') ? ` (last error: ${e.message})` : '';
    throw new Error(`timed out after ${Date.now() - started} ms waiting for ${what}${last}`, { cause: e });
  }
}
