/**
 * Off-thread OpenCV work: while any runs, onOneThread leaves OpenCV's thread count alone (a
 * change under a forward pass in flight crashed the process); it counts and settles on failure.
 */
import { describe, expect, it } from 'vitest';
import { blank, cv, offThreadWork, onOneThread, runOffThread } from '../../../../server/cv.js';

describe('runOffThread', () => {
  it('while work is in flight, onOneThread does not touch the thread count; after, it does again', async () => {
    const pool = cv.getNumThreads();
    const frame = blank(720, 1280, cv.CV_8UC3, [10, 20, 30]);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = runOffThread(async () => {
      const m = await frame.cvtColorAsync(cv.COLOR_BGR2HSV);
      await gate;
      return m;
    });
    expect(offThreadWork()).toBe(1);
    expect(onOneThread(() => cv.getNumThreads())).toBe(pool); // left alone
    release();
    (await a).release();
    expect(offThreadWork()).toBe(0);
    expect(onOneThread(() => cv.getNumThreads())).toBe(1); // its own rule again
    expect(cv.getNumThreads()).toBe(pool);
    frame.release();
  });

  it('settles on failure too', async () => {
    await expect(runOffThread(() => Promise.reject(new Error('forward failed')))).rejects.toThrow('forward failed');
    expect(offThreadWork()).toBe(0);
  });
});
