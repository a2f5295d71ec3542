/**
 * The allocator set-up (server/malloc.ts), in real processes: segcam relaunches itself with
 * glibc's malloc tunables, the launcher relays signals and the exit, an orphaned server stops,
 * and the effect that matters: at 1280x720 the server no longer page-faults its frames in anew.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { clipPath } from '../helpers/fixtures.js';
import { alive, minorFaults, parentPid } from '../helpers/proc.js';
import { startServer } from '../helpers/server.js';
import { connectViewer } from '../helpers/viewer.js';

const UNTUNED = { GLIBC_TUNABLES: undefined, SEGCAM_MALLOC_TUNING: undefined };
async function gone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return !alive(pid);
}

describe('malloc tuning', () => {
  it('relaunches itself once with the tunables; SIGTERM to the launcher stops both, exit 0', async () => {
    const s = await startServer({ args: ['--source', 'demo'], env: UNTUNED });
    expect(s.pid).not.toBe(s.proc.pid);
    expect(parentPid(s.pid)).toBe(s.proc.pid);
    expect(readFileSync(`/proc/${s.pid}/environ`, 'utf8')).toContain('GLIBC_TUNABLES=glibc.malloc.mmap_threshold=');
    expect(readFileSync(`/proc/${s.pid}/task/${s.pid}/children`, 'utf8').trim()).toBe(''); // once, not twice
    const v = await connectViewer(s); // the URL printed is the served one
    await v.nextFrame();
    v.close();
    expect(await s.stop('SIGTERM')).toBe(0);
    expect(await gone(s.pid, 5000)).toBe(true);
    expect(s.output()).toContain('SIGTERM: stopping');
  });

  it('a server whose launcher is SIGKILLed stops instead of running on orphaned', async () => {
    const s = await startServer({ args: ['--source', 'demo'], env: UNTUNED });
    s.proc.kill('SIGKILL');
    expect(await gone(s.pid, 8000)).toBe(true);
    expect(s.output()).toContain('launcher gone: stopping');
  });

  it('the launcher ends the way the server ends (killed by a signal)', async () => {
    const s = await startServer({ args: ['--source', 'demo'], env: UNTUNED });
    const exit = new Promise<NodeJS.Signals | null>((r) => s.proc.once('exit', (_c, sig) => r(sig)));
    process.kill(s.pid, 'SIGKILL');
    expect(await exit).toBe('SIGKILL');
  });

  it('SEGCAM_MALLOC_TUNING=off or malloc tunables of your own: no relaunch', async () => {
    for (const env of [{ ...UNTUNED, SEGCAM_MALLOC_TUNING: 'off' }, { GLIBC_TUNABLES: 'glibc.malloc.arena_max=4' }]) {
      const s = await startServer({ args: ['--source', 'demo'], env });
      expect(s.pid).toBe(s.proc.pid);
      await s.stop();
    }
  });

  it('at 1280x720 the serving process does not page-fault its frames in again every frame', async () => {
    const s = await startServer({ args: ['--source', clipPath('hd'), '--fps', '0'], env: UNTUNED });
    try {
      const v = await connectViewer(s);
      v.keepFrames = 5;
      const first = await v.nextFrame((f) => f.seq >= 30, 30_000); // past warm-up
      const faults0 = minorFaults(s.pid);
      const last = await v.nextFrame((f) => f.seq >= first.seq + 100, 60_000);
      const perFrame = (minorFaults(s.pid) - faults0) / (last.seq - first.seq);
      // one 1280x720 BGR frame is 675 pages, and a frame allocates several such buffers: with
      // glibc's default thresholds this was measured at ~2,140 faults per frame, tuned at ~17
      expect(perFrame).toBeLessThan(300);
      v.close();
    } finally {
      await s.stop();
    }
  });
});
