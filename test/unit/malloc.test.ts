import { describe, expect, it } from 'vitest';
import { MALLOC_TUNABLES, mallocNeedsTuning, tunedEnv } from '../../server/malloc.js';

describe('malloc tuning decision', () => {
  it('tunes a glibc process that has no malloc tunables of its own', () => {
    expect(mallocNeedsTuning({}, true)).toBe(true);
    expect(mallocNeedsTuning({ GLIBC_TUNABLES: 'glibc.pthread.rseq=0' }, true)).toBe(true);
  });

  it("leaves alone: another libc, the user's own malloc tunables, and SEGCAM_MALLOC_TUNING=off", () => {
    expect(mallocNeedsTuning({}, false)).toBe(false);
    expect(mallocNeedsTuning({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, true)).toBe(false);
    expect(mallocNeedsTuning({ SEGCAM_MALLOC_TUNING: 'off' }, true)).toBe(false);
  });

  it('adds the tunables after any the user set, keeping the rest of the environment', () => {
    expect(tunedEnv({ PATH: '/bin' })).toEqual({ PATH: '/bin', GLIBC_TUNABLES: MALLOC_TUNABLES });
    expect(tunedEnv({ GLIBC_TUNABLES: 'glibc.pthread.rseq=0' }).GLIBC_TUNABLES).toBe(`glibc.pthread.rseq=0:${MALLOC_TUNABLES}`);
    // both thresholds: either one alone makes glibc stop adapting the other (measured: worse)
    expect(MALLOC_TUNABLES).toMatch(/glibc\.malloc\.mmap_threshold=\d+/);
    expect(MALLOC_TUNABLES).toMatch(/glibc\.malloc\.trim_threshold=\d+/);
  });
});
