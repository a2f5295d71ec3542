/**
 * The mechanisms behind the speed (not timed): a stalled viewer loses frames, counted, while
 * the others get every frame; Mats are released (the binding's live-Mat count stays flat).
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer } from '../helpers/server.js';
import { connectViewer } from '../helpers/viewer.js';

describe('pipeline mechanisms', () => {
  it('a viewer that never reads skips frames (counted); the others receive every frame', async () => {
    const s = await startServer({ args: ['--source', 'demo', '--width', '640', '--height', '480', '--fps', '30', '--quality', '95', '--max-buffered', '64'] });
    try {
      const good = await connectViewer(s);
      // a stalled viewer: its TCP socket is never read from
      const stalled = new WebSocket(`ws://127.0.0.1:${s.port}/ws?token=${s.token}`);
      await new Promise((r) => stalled.once('open', r));
      (stalled as unknown as { _socket: import('node:net').Socket })._socket.pause();
      const auth = { headers: { authorization: `Bearer ${s.token}` } };
      const deadline = Date.now() + 30_000;
      while ((await (await fetch(`${s.base}/api/status`, auth)).json()).frames.dropped.viewers < 30 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
      const first = good.frames[good.frames.length - 1]!.seq;
      await new Promise((r) => setTimeout(r, 3000));
      const last = good.frames[good.frames.length - 1]!.seq;
      const seqs = good.frames.filter((f) => f.seq > first && f.seq <= last).map((f) => f.seq);
      expect(seqs.length).toBe(last - first); // no gap: every frame reached the good viewer
      const st = await (await fetch(`${s.base}/api/status`, auth)).json();
      expect(st.frames.dropped.viewers).toBeGreaterThan(30);
      stalled.terminate();
    } finally {
      await s.stop();
    }
  });

  it('every per-frame Mat is released: the live Mat count stays flat over many frames', async () => {
    const s = await startServer({ args: ['--source', 'demo', '--width', '320', '--height', '240', '--fps', '0'] });
    try {
      const v = await connectViewer(s);
      v.keepFrames = 10;
      v.send({ type: 'set', settings: { blur: 5, open: 3, close: 3, minArea: 20, motion: { mode: 'and' } } });
      const auth = { headers: { authorization: `Bearer ${s.token}` } };
      const views = ['side', 'mask', 'original', 'masked'] as const;
      const sample = async () => {
        const m = await (await fetch(`${s.base}/metrics`, auth)).text();
        const st = await (await fetch(`${s.base}/api/status`, auth)).json();
        return { mats: st.liveMats as number, frames: st.frames.processed as number, m };
      };
      await v.nextFrame((f) => f.seq > 50, 20_000);
      let a = await sample();
      for (let i = 0; i < 20 && a.mats === null; i++) {
        await new Promise((r) => setTimeout(r, 100)); // the worker's counters arrive every 250 ms
        a = await sample();
      }
      for (const view of views) {
        v.send({ type: 'view', view });
        await v.nextFrame((f) => f.view === view, 10_000);
        await new Promise((r) => setTimeout(r, 700));
      }
      v.send({ type: 'view', view: 'masked' });
      await new Promise((r) => setTimeout(r, 1000));
      const b = await sample();
      expect(a.mats).toBeGreaterThan(0);
      expect(b.frames - a.frames).toBeGreaterThan(200); // unpaced: many frames went through
      expect(Math.abs(b.mats - a.mats)).toBeLessThanOrEqual(20); // a few in flight, not one per frame (200+)
    } finally {
      await s.stop();
    }
  });
});
