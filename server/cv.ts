/**
 * The OpenCV binding, loaded once per thread with its build-info chatter kept out of
 * segcam's output. Only worker threads (and tests) import this: the main thread never
 * loads OpenCV, so its event loop stays free for sockets.
 */
import { createRequire } from 'node:module';

type Cv = typeof import('@u4/opencv4nodejs').default;

function loadQuietly(): Cv {
  const require = createRequire(import.meta.url);
  const saved = { log: console.log, info: console.info, warn: console.warn, error: console.error };
  const quiet = (): void => undefined;
  console.log = console.info = console.warn = console.error = quiet;
  try {
    const mod = require('@u4/opencv4nodejs') as { cv: Cv };
    return mod.cv;
  } finally {
    Object.assign(console, saved);
  }
}

/** cv is the loaded binding. */
export const cv: Cv = loadQuietly();
export type { Mat } from '@u4/opencv4nodejs';

/**
 * blank returns a new Mat filled with one value. The binding's fill constructor
 * (`new Mat(rows, cols, type, fill)`) fills element by element from JavaScript: 200 ms for a
 * 1280x720 BGR frame. Allocating without a fill and calling setTo costs 0.05 ms.
 */
export function blank(rows: number, cols: number, type: number, value: number | [number, number, number]): import('@u4/opencv4nodejs').Mat {
  const m = new cv.Mat(rows, cols, type);
  // setTo returns another header on the same pixels: released now, or the pixels' count waits for the GC
  if (typeof value !== 'number') m.setTo(new cv.Vec3(...value)).release();
  else m.setTo(m.channels === 3 ? new cv.Vec3(value, value, value) : value).release();
  return m;
}

/**
 * onOneThread runs OpenCV calls without splitting them over OpenCV's thread pool. In the
 * pipeline the other core is busy decoding the next frame, so a split operation waits for its
 * half that is queued behind the decoder: colour conversion and inRange, which split only to
 * halve their wall time (same CPU), run faster on the OpenCV thread alone (measured at 1280x720
 * with blobs, A/B: 3-15% more frames for 1-11% less CPU per frame). Operations whose parallel
 * version is a cheaper algorithm keep the pool: connected components take 2.9 ms of CPU on two
 * threads and 6.3 ms on one.
 */
export function onOneThread<T>(f: () => T): T {
  if (offThread > 0) return f(); // see runOffThread: the pool must not change under work in flight
  const threads = cv.getNumThreads();
  cv.setNumThreads(1);
  try {
    return f();
  } finally {
    cv.setNumThreads(threads);
  }
}

let offThread = 0;

/**
 * runOffThread runs OpenCV work that goes on off this thread (an `*Async` call on libuv's pool,
 * such as a model's forward pass). While any is in flight, onOneThread leaves OpenCV's thread
 * count alone: this build's parallel framework is TBB, and setNumThreads rebuilds the TBB arena
 * that the off-thread work runs in (a forward pass racing onOneThread's calls crashed the
 * process in a probe here). Calls made meanwhile run on the default pool, with the same results.
 */
export async function runOffThread<T>(start: () => Promise<T>): Promise<T> {
  offThread++;
  try {
    return await start();
  } finally {
    offThread--;
  }
}

/** offThreadWork counts the off-thread OpenCV calls in flight. */
export function offThreadWork(): number {
  return offThread;
}
