/**
 * OpenCV work that runs off the main thread (a model's forward pass on libuv's pool) must not
 * meet a change of OpenCV's thread count: this build's parallel framework is TBB, and
 * `cv.setNumThreads` tears down and rebuilds the one TBB arena that the off-thread work is
 * running in (a forward pass racing `onOneThread`'s two calls crashed the process within
 * seconds in a probe here). While such work is in flight, thread-count changes are held back
 * and the last one is applied when the work is done. Calls made meanwhile run on the default
 * pool, and give the same results (only their timing differs).
 */
import { cv } from '../../cv.js';

let inFlight = 0;
let held: number | null = null;
let original: ((n: number) => void) | null = null;

/**
 * guardThreadCount makes `cv.setNumThreads` hold its changes back while off-thread work is in
 * flight (idempotent). It patches the binding object that every module of this thread shares,
 * so cv.ts's onOneThread is guarded too.
 */
export function guardThreadCount(): void {
  if (original) return;
  const set = cv.setNumThreads.bind(cv);
  original = set;
  (cv as { setNumThreads: (n: number) => void }).setNumThreads = (n: number): void => {
    if (inFlight > 0) held = n;
    else set(n);
  };
}

/** offThreadWork counts how many off-thread OpenCV calls are in flight. */
export function offThreadWork(): number {
  return inFlight;
}

/**
 * runOffThread starts off-thread OpenCV work (`start` calls an `*Async` binding method) with
 * thread-count changes held back until it settles.
 */
export async function runOffThread<T>(start: () => Promise<T>): Promise<T> {
  guardThreadCount();
  inFlight++;
  try {
    return await start();
  } finally {
    inFlight--;
    if (inFlight === 0 && held !== null) {
      const n = held;
      held = null;
      if (n !== cv.getNumThreads()) original!(n);
    }
  }
}
