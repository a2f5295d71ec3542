/**
 * The allocator set-up (server/malloc.ts), in real processes: each camera process is spawned
 * with glibc's malloc tunables in its environment (no relaunch, no launcher process), the user's
 * own tunables or SEGCAM_MALLOC_TUNING=off win, and the effect that matters: at 1280x720 a camera
 * no longer page-faults its frames in anew.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { clipPath } from '../helpers/fixtures.js';
import { minorFaults } from '../helpers/proc.js';
import { startServer } from '../helpers/server.js';
import { connectViewer } from '../helpers/viewer.js';

const UNTUNED = { GLIBC_TUNABLES: undefined, SEGCAM_MALLOC_TUNING: undefined };
const envOf = (pid: number): string => readFileSync(`/proc/${pid}/environ`, 'utf8');
const childrenOf = (pid: number): string[] => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);

describe('malloc tuning', () => {
  it('camera processes get the tunables; the front runs as started, with no launcher in between', async () => {
    const s = await startServer({ args: ['--camera', 'a=demo', '--camera', 'b=demo'], env: UNTUNED });
    try {
      const cams = [await s.cameraPid('a'), await s.cameraPid('b')];
      for (const pid of cams) expect(envOf(pid)).toContain('GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432'); // glibc rewrites the rest of the string in place at start;
      expect(envOf(s.pid)).not.toContain('GLIBC_TUNABLES='); // the front keeps the environment it was given
      expect(childrenOf(s.pid).map(Number).sort()).toEqual(cams.sort()); // the camera processes are the front's own children
      const v = await connectViewer(s, { camera: 'a' });
      await v.nextFrame();
      v.close();
    } finally {
      expect(await s.stop('SIGTERM')).toBe(0);
    }
  });

  it('SEGCAM_MALLOC_TUNING=off, or malloc tunables of your own: the camera gets exactly those', async () => {
    const off = await startServer({ args: ['--source', 'demo'], env: { ...UNTUNED, SEGCAM_MALLOC_TUNING: 'off' } });
    expect(envOf(await off.cameraPid())).not.toContain('GLIBC_TUNABLES=');
    await off.stop();
    const own = await startServer({ args: ['--source', 'demo'], env: { GLIBC_TUNABLES: 'glibc.malloc.arena_max=4' } });
    expect(envOf(await own.cameraPid())).toMatch(/GLIBC_TUNABLES=glibc\.malloc\.arena_max=4\0/);
    await own.stop();
  });

  it('at 1280x720 a camera process does not page-fault its frames in again every frame', async () => {
    const s = await startServer({ args: ['--source', clipPath('hd'), '--fps', '0'], env: UNTUNED });
    try {
      const v = await connectViewer(s);
      v.keepFrames = 5;
      const pid = await s.cameraPid();
      const first = await v.nextFrame((f) => f.seq >= 30, 30_000); // past warm-up
      const faults0 = minorFaults(pid);
      const last = await v.nextFrame((f) => f.seq >= first.seq + 100, 60_000);
      const perFrame = (minorFaults(pid) - faults0) / (last.seq - first.seq);
      // one 1280x720 BGR frame is 675 pages, and a frame allocates several such buffers: with
      // glibc's default thresholds every frame faults thousands of them in anew
      expect(perFrame).toBeLessThan(300);
      v.close();
    } finally {
      await s.stop();
    }
  });
});
