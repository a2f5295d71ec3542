/**
 * The allocator settings video frames need, given to each camera process in its environment
 * when the front spawns it (glibc reads its tunables only when a process starts). With glibc's
 * defaults, the big per-frame buffers (a 1280x720 BGR frame is 2.7 MB, and a frame makes
 * several) are handed back to the kernel after every frame and page-faulted in again on the
 * next, which costs several times the CPU per frame. Raising the mmap and trim thresholds keeps
 * them in the heap.
 */

/** MALLOC_TUNABLES: buffers below 32 MiB come from the heap; up to 64 MiB of free heap is kept. */
export const MALLOC_TUNABLES = 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=67108864';

/**
 * tunedEnv returns `env` with segcam's malloc tunables added to any other GLIBC_TUNABLES,
 * unless the user set malloc tunables of their own or `SEGCAM_MALLOC_TUNING=off` (for measuring).
 */
export function tunedEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (env.SEGCAM_MALLOC_TUNING === 'off' || (env.GLIBC_TUNABLES ?? '').includes('glibc.malloc.')) return { ...env };
  return { ...env, GLIBC_TUNABLES: [env.GLIBC_TUNABLES, MALLOC_TUNABLES].filter(Boolean).join(':') };
}
