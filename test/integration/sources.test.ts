/**
 * Sources that survive the real world: a real RTSP server (GStreamer) killed, restarted and
 * paused under a running segcam; unreachable URLs; files that end; runtime source switches.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { StatusMessage } from '../../shared/protocol.js';
import { clipPath } from '../helpers/fixtures.js';
import { RtspServer, freePort } from '../helpers/rtsp.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { connectViewer, type TestViewer } from '../helpers/viewer.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
});

async function segcam(args: string[]): Promise<ServerHandle> {
  const s = await startServer({ args });
  cleanups.push(() => s.stop());
  return s;
}
async function rtsp(): Promise<RtspServer> {
  const r = new RtspServer(await freePort());
  await r.start();
  cleanups.push(() => r.kill());
  return r;
}
const isStatus = (state: string) => (m: { type: string }) => m.type === 'status' && (m as StatusMessage).status.state === state;
const health = async (s: ServerHandle): Promise<number> => (await fetch(`${s.base}/healthz`)).status;
const liveFrame = (v: TestViewer, after = -1, timeoutMs = 15_000) => v.nextFrame((f) => !f.placeholder && f.seq > after, timeoutMs);

describe('RTSP source', () => {
  it('streams, and survives the RTSP server dying and coming back, five times in a row', async () => {
    const cam = await rtsp();
    const s = await segcam(['--source', cam.url, '--retry-min', '0.2', '--retry-max', '1', '--stall-timeout', '3']);
    const v = await connectViewer(s);
    const first = await liveFrame(v);
    expect([first.width, first.height]).toEqual([320, 240]);
    const recoveries: number[] = [];
    for (let cycle = 1; cycle <= 5; cycle++) {
      await cam.kill();
      const down = await v.next(isStatus('reconnecting'), 15_000);
      expect((down as StatusMessage).status.error).toBeTruthy();
      const placeholder = await v.nextFrame((f) => f.placeholder === true, 10_000);
      expect(placeholder.width).toBe(320);
      expect(await health(s)).toBe(200); // the server keeps answering while the source is gone
      const last = v.frames[v.frames.length - 1]!.seq;
      await cam.start();
      const back = Date.now();
      await liveFrame(v, last, 20_000);
      recoveries.push(Date.now() - back);
    }
    console.log(`RTSP return → first new frame at the viewer (ms): ${recoveries.join(', ')}`);
    expect(Math.max(...recoveries)).toBeLessThan(10_000);
    const status = await (await fetch(`${s.base}/api/status`, { headers: { authorization: `Bearer ${s.token}` } })).json();
    expect(status.reconnects).toBeGreaterThanOrEqual(5);
    expect(status.source.state).toBe('live');
  });

  it('an unreachable URL is retried with growing delays, and says why', async () => {
    const port = await freePort(); // nothing listens there
    const s = await segcam(['--source', `rtsp://127.0.0.1:${port}/none`, '--retry-min', '0.2', '--retry-max', '5']);
    const v = await connectViewer(s);
    // from the status in hello on: the first attempt may have failed before this viewer came
    const attemptsSeen = () => {
      const out: { attempt: number; delay: number; error: string }[] = [];
      for (const m of v.messages) {
        const st = m.type === 'hello' || m.type === 'status' ? m.status : null;
        if (st?.state === 'reconnecting' && st.attempt && st.retryAt && !out.some((a) => a.attempt === st.attempt))
          out.push({ attempt: st.attempt, delay: st.retryAt - st.since, error: st.error ?? '' });
      }
      return out;
    };
    const attempts = (
      await waitFor(
        () => {
          const seen = attemptsSeen();
          return seen.length >= 4 && seen;
        },
        20_000,
        'four failed attempts',
      )
    ).slice(0, 4);
    const first = attempts[0]!.attempt;
    expect(first).toBeLessThanOrEqual(2); // hello may come after the first attempt has passed
    expect(attempts.map((a) => a.attempt)).toEqual([first, first + 1, first + 2, first + 3]);
    // attempt n waits 0.2 s × 2^(n-1) (0.2, 0.4, 0.8, 1.6, 3.2 s), jittered down by at most a quarter
    for (const a of attempts) {
      expect(a.delay).toBeGreaterThanOrEqual(200 * 2 ** (a.attempt - 1) * 0.75 - 5);
      expect(a.delay).toBeLessThanOrEqual(200 * 2 ** (a.attempt - 1) + 5);
    }
    expect(attempts[0]!.error).toMatch(/^rtsp:\/\/127\.0\.0\.1:\d+\/none: connection refused$/);
    expect(((await v.next(isStatus('reconnecting'))) as StatusMessage).status.reason).toBe('REFUSED');
    const ph = await v.nextFrame((f) => f.placeholder === true);
    expect(ph.placeholder).toBe(true);
    expect(await health(s)).toBe(200);
    expect((await fetch(`${s.base}/readyz`)).status).toBe(401); // behind auth
    expect((await fetch(`${s.base}/readyz`, { headers: { authorization: `Bearer ${s.token}` } })).status).toBe(503);
  });

  it('a stalled stream (server paused, connection open) is detected by the watchdog and recovered', async () => {
    const cam = await rtsp();
    const s = await segcam(['--source', cam.url, '--stall-timeout', '2', '--open-timeout', '10', '--retry-min', '0.2', '--retry-max', '1']);
    const v = await connectViewer(s);
    await liveFrame(v);
    cam.pause();
    const t0 = Date.now();
    const stalled = (await v.next((m) => isStatus('reconnecting')(m) && /stalled/.test((m as StatusMessage).status.error ?? ''), 15_000)) as StatusMessage;
    const detectedAfter = Date.now() - t0;
    expect(stalled.status.error).toMatch(/stalled: no frame for 2\.0 s/);
    expect(detectedAfter).toBeLessThan(8000);
    expect(await health(s)).toBe(200);
    const last = v.frames[v.frames.length - 1]!.seq;
    cam.resume();
    await liveFrame(v, last, 30_000);
  });
});

describe('file and demo sources', () => {
  it('a file with --no-loop plays once, then says it ended', async () => {
    const s = await segcam(['--source', clipPath('small'), '--no-loop']);
    const v = await connectViewer(s);
    const ended = (await v.next(isStatus('ended'), 15_000)) as StatusMessage;
    expect(ended.status.error).toBe('end of file');
    const ph = await v.nextFrame((f) => f.placeholder === true);
    expect(ph.placeholder).toBe(true);
  });

  it('a missing file is a clear startup error', async () => {
    const { runCli } = await import('../helpers/server.js');
    const r = await runCli(['--source', '/nonexistent/clip.mp4', '--no-auth']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--source: file not found: \/nonexistent\/clip\.mp4/);
  });

  it('switches source at run time; a bad source leaves the old one running with a clear error', async () => {
    const s = await segcam(['--source', 'demo', '--width', '320', '--height', '180']);
    const v = await connectViewer(s);
    v.send({ type: 'view', view: 'original' });
    await v.nextFrame((f) => f.width === 320 && f.height === 180 && !f.placeholder);
    v.send({ type: 'source', source: '/nonexistent/clip.mp4' });
    const err = await v.next((m) => m.type === 'error');
    expect(err).toMatchObject({ code: 'SOURCE_FAILED', ref: 'source' });
    const port = await freePort();
    v.send({ type: 'source', source: `rtsp://127.0.0.1:${port}/nothing` });
    const err2 = await v.next((m) => m.type === 'error' && m.ref === 'source', 20_000);
    expect(err2).toMatchObject({ code: 'SOURCE_FAILED' });
    const still = await v.nextFrame((f) => !f.placeholder);
    expect([still.width, still.height]).toEqual([320, 180]); // the demo still runs
    // a good switch, through the HTTP API
    const res = await fetch(`${s.base}/api/source`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ source: clipPath('small') }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ state: 'live', kind: 'file' });
    await v.nextFrame((f) => f.width === 320 && f.height === 240 && !f.placeholder);
  });

  it('with no viewers the source stays open but nothing is segmented or encoded', async () => {
    const s = await segcam(['--source', clipPath('small')]);
    const auth = { headers: { authorization: `Bearer ${s.token}` } };
    await new Promise((r) => setTimeout(r, 1500));
    const a = await (await fetch(`${s.base}/api/status`, auth)).json();
    await new Promise((r) => setTimeout(r, 1000));
    const b = await (await fetch(`${s.base}/api/status`, auth)).json();
    expect(b.source.state).toBe('live');
    expect(b.frames.captured).toBeGreaterThan(a.frames.captured); // still reading (connected)
    expect(b.frames.processed).toBe(0);
    expect(b.frames.encodes).toBe(0);
    const v = await connectViewer(s);
    await v.nextFrame();
    v.close();
  });
});
