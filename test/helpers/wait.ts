/**
 * Waiting in tests for what a test claims, with a deadline, instead of for a fixed time.
 */

type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

/**
 * waitFor polls `f` every `everyMs` until it returns a truthy value (which it returns), or
 * throws after `timeoutMs`, naming `what` (a function: worked out at the deadline, to say what
 * was seen by then).
 */
export async function waitFor<T>(f: () => Promise<T> | T, timeoutMs = 15_000, what: string | (() => string) = 'a condition', everyMs = 50): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v as Truthy<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
