/**
 * The supervisor, with real child processes speaking the camera protocol: a process that exits
 * is restarted with capped backoff (the first retry within a second) and given its state again;
 * one that says nothing for the timeout is killed and restarted; stop ends it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CameraEvent, CameraStart } from '../../../server/camera/messages.js';
import { CameraProcess } from '../../../server/front/supervisor.js';
import { createLogger } from '../../../server/log.js';
import { DEFAULT_SETTINGS } from '../../../shared/settings.js';
import { ROOT } from '../../helpers/server.js';
import { waitFor } from '../../helpers/wait.js';

const ENTRY = `${ROOT}test/helpers/fake-camera.mjs`;
const procs: CameraProcess[] = [];
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop()));
});

function supervise(mode: string, timeoutMs = 5000, views: ('masked' | 'mask')[] = ['mask']) {
  const lines: string[] = [];
  const events: CameraEvent[] = [];
  const downs: { why: string; at: number; retryAt: number }[] = [];
  let revision = 1;
  const start = (): CameraStart => ({ type: 'start', camera: {} as CameraStart['camera'], settings: DEFAULT_SETTINGS, revision: revision++, views });
  const p = new CameraProcess('test', start, { timeoutMs, env: { ...process.env, SEGCAM_FAKE_CAMERA: mode }, log: createLogger(false, (l) => lines.push(l)), entry: ENTRY });
  p.on('event', (e) => events.push(e));
  p.on('down', (why, retryAt) => downs.push({ why, at: Date.now(), retryAt }));
  procs.push(p);
  p.start();
  return { p, lines, events, downs };
}

describe('CameraProcess', () => {
  it('starts the process with its state, and restarts it when it exits, sooner at first and later after', async () => {
    const s = supervise('crash-after-start');
    await waitFor(() => s.downs.length >= 3, 10_000);
    expect(s.downs[0]!.why).toBe('its process ended (exit code 3)');
    const delays = s.downs.map((d) => d.retryAt - d.at);
    expect(delays[0]).toBeLessThanOrEqual(1000); // the first retry within a second
    expect(delays[1]).toBeGreaterThan(delays[0]!);
    expect(delays[2]).toBeGreaterThan(delays[1]!);
    const starts = s.events.filter((e) => e.type === 'log' && /^started/.test(e.message)).map((e) => (e as { message: string }).message);
    expect(starts[0]).toBe('started with 1 views, revision 1');
    expect(starts[1]).toBe('started with 1 views, revision 2'); // the state, again, for each new process
    expect(s.p.restarts).toBeGreaterThanOrEqual(3);
  });

  it('a process that says nothing for the timeout is killed and restarted', async () => {
    const s = supervise('silent', 600);
    const first = s.p.pid;
    await waitFor(() => s.downs.length >= 1, 5000);
    expect(s.downs[0]!.why).toMatch(/SIGKILL/);
    expect(s.lines.join('\n')).toMatch(/camera test: no word from its process \(pid \d+\) for 0\.\d s: killing it/);
    await waitFor(() => s.p.pid !== null && s.p.pid !== first, 5000);
  });

  it('a live process gets commands; stop ends it and no restart follows', async () => {
    const s = supervise('ok');
    await waitFor(() => s.events.some((e) => e.type === 'stats'), 5000);
    s.p.send({ type: 'views', views: [] });
    await waitFor(() => s.events.some((e) => e.type === 'log' && e.message === 'got views'), 5000);
    const pid = s.p.pid!;
    await s.p.stop();
    expect(s.p.pid).toBeNull();
    await new Promise((r) => setTimeout(r, 800));
    expect(s.downs).toHaveLength(0);
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
