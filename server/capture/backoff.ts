/**
 * Backoff: capped, jittered exponential delays between reconnect attempts.
 */

/** BackoffOptions in ms. */
export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  /** 0..1: each delay is drawn from [d·(1-jitter), d]. */
  jitter?: number;
}

/**
 * backoffDelay returns the delay before reconnect attempt `attempt` (1 = first retry):
 * min·2^(attempt-1), capped at max, less up to `jitter` of itself at random so that many
 * servers behind one restarted camera do not retry in lockstep.
 */
export function backoffDelay(attempt: number, { minMs, maxMs, jitter = 0.25 }: BackoffOptions, random = Math.random): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.round(base * (1 - jitter * random()));
}
