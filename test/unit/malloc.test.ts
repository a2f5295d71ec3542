/**
 * The allocator tunables a camera process is spawned with (server/malloc.ts).
 */
import { describe, expect, it } from 'vitest';
import { MALLOC_TUNABLES, tunedEnv } from '../../server/malloc.js';

describe('tunedEnv', () => {
  it('adds the tunables after any the user set, keeping the rest of the environment', () => {
    expect(tunedEnv({ PATH: '/bin' })).toEqual({ PATH: '/bin', GLIBC_TUNABLES: MALLOC_TUNABLES });
    expect(tunedEnv({ GLIBC_TUNABLES: 'glibc.pthread.rseq=0' }).GLIBC_TUNABLES).toBe(`glibc.pthread.rseq=0:${MALLOC_TUNABLES}`);
    // both thresholds: either one alone makes glibc stop adapting the other
    expect(MALLOC_TUNABLES).toMatch(/glibc\.malloc\.mmap_threshold=\d+/);
    expect(MALLOC_TUNABLES).toMatch(/glibc\.malloc\.trim_threshold=\d+/);
  });

  it("leaves alone the user's own malloc tunables, and SEGCAM_MALLOC_TUNING=off", () => {
    expect(tunedEnv({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' })).toEqual({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' });
    expect(tunedEnv({ SEGCAM_MALLOC_TUNING: 'off' }).GLIBC_TUNABLES).toBeUndefined();
  });
});
