/** Polling with a bound: every wait in the tests ends, and says what it waited for when it gives up. */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Resolves with the first truthy value of `fn` (polled every `everyMs`);
 * rejects after `timeoutMs` naming `what`, with `context()` (what was seen so far).
 */
export async function until<T>(
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs: number,
  what: string,
  context: () => string = () => "",
  everyMs = 100,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) {
      const seen = context();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${seen ? `\n${seen}` : ""}`);
    }
    await sleep(everyMs);
  }
}
