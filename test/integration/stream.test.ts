/**
 * The spine, end to end: real server process, real OpenCV, real WebSocket clients.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FrameMessage, SettingsMessage } from '../../shared/protocol.js';
import { cv } from '../../server/cv.js';
import { rangeMask, toSpace } from '../../server/segment/mask.js';
import { clipPath } from '../helpers/fixtures.js';
import { decode, fractionOf } from '../helpers/images.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { connectViewer, type TestViewer, wsRefusal } from '../helpers/viewer.js';
import { waitFor } from '../helpers/wait.js';
import { colourOf } from '../helpers/settings.js';

/** sameFrame waits for one frame that viewer `a` got in `viewA` and viewer `b` in `viewB`. */
function sameFrame(a: TestViewer, viewA: string, b: TestViewer, viewB: string): Promise<[FrameMessage, FrameMessage]> {
  const pair = (): [FrameMessage, FrameMessage] | null => {
    for (const x of a.frames) {
      if (x.view !== viewA || x.placeholder) continue;
      const y = b.frames.find((f) => f.seq === x.seq && f.view === viewB && !f.placeholder);
      if (y) return [x, y];
    }
    return null;
  };
  return waitFor(pair, 10_000, () => `a frame in both ${viewA} and ${viewB} (${a.frames.length} and ${b.frames.length} frames)`);
}

describe('demo source to WebSocket viewers', () => {
  let server: ServerHandle;
  beforeAll(async () => {
    server = await startServer({ args: ['--source', 'demo', '--width', '320', '--height', '240', '--fps', '20', '--quality', '95'] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('sends hello, then frames of the requested size with a capture timestamp', async () => {
    const v = await connectViewer(server);
    const hello = v.messages.find((m) => m.type === 'hello');
    expect(hello).toMatchObject({ type: 'hello', version: 2, role: 'control', camera: 'main', cameras: ['main'] });
    const f = await v.nextFrame((f) => !f.placeholder);
    expect(f).toMatchObject({ view: 'masked', width: 320, height: 240 });
    expect(Math.abs(Date.now() - f.ts)).toBeLessThan(2000);
    const img = decode(f.jpeg);
    expect([img.cols, img.rows]).toEqual([320, 240]);
    img.release();
    const g = await v.nextFrame((g) => g.seq > f.seq + 3);
    expect(g.jpeg).not.toEqual(f.jpeg); // the scene moves
    v.close();
  });

  it('the mask view matches OpenCV inRange of the original frame', async () => {
    const a = await connectViewer(server);
    const b = await connectViewer(server);
    a.send({ type: 'view', view: 'original' });
    b.send({ type: 'view', view: 'mask' });
    // the same frame (same seq) in both views: the two view changes reach the camera at
    // different frames, and either viewer may have a frame dropped, so look for a pair
    const [orig, maskFrame] = await sameFrame(a, 'original', b, 'mask');
    const original = decode(orig.jpeg);
    const got = decode(maskFrame.jpeg, true);
    const hello = a.messages.find((m) => m.type === 'hello')!;
    if (hello.type !== 'hello') throw new Error();
    const s = hello.settings;
    const colour = colourOf(s);
    const hsv = toSpace(original, colour.space);
    const expected = rangeMask(hsv, colour.space, colour.ranges[0]!);
    let agree = 0;
    const e = expected.getData();
    const g = got.getData();
    for (let i = 0; i < e.length; i++) if (e[i]! > 127 === g[i]! > 127) agree++;
    const selected = fractionOf(expected, (v) => v > 127);
    expect(selected).toBeGreaterThan(0.005); // the red disc is in the picture
    expect(agree / e.length).toBeGreaterThan(0.985); // JPEG edges aside, the same pixels
    for (const m of [original, got, hsv, expected]) m.release();
    a.close();
    b.close();
  });

  it('a set from one viewer reaches the other and changes the frames that follow', async () => {
    const a = await connectViewer(server);
    const b = await connectViewer(server);
    const before = await b.nextFrame((f) => !f.placeholder);
    expect(before.analysis!.coverage).toBeGreaterThan(0);
    const settingsAtB = b.next((m): m is SettingsMessage => m.type === 'settings');
    a.send({ type: 'set', settings: { ranges: [] }, id: 7 });
    const s = await settingsAtB;
    expect(colourOf(s.settings).ranges).toEqual([]);
    expect(s.by).toBeGreaterThan(0);
    const after = await b.nextFrame((f) => f.rev >= s.revision && !f.placeholder); // segmented with the change (frames in flight were not)
    expect(after.analysis!.coverage).toBe(0);
    const img = decode(after.jpeg);
    const grey = img.cvtColor(cv.COLOR_BGR2GRAY);
    expect(fractionOf(grey, (v) => v < 24)).toBeGreaterThan(0.99); // all masked out: black
    img.release();
    grey.release();
    // put it back for the other tests
    a.send({ type: 'set', settings: { ranges: [{ name: 'red', color: '#ff3b30', lower: [170, 100, 80], upper: [10, 255, 255] }] } });
    await b.next((m) => m.type === 'settings');
    a.close();
    b.close();
  });

  it('blob finding turned off by one viewer: everyone gets coverage only, and it comes back on', async () => {
    const a = await connectViewer(server);
    const b = await connectViewer(server);
    const auth = { headers: { authorization: `Bearer ${server.token}` } };
    const blobGauge = async () => /segcam_mask_blobs\{camera="main",range="red"\} (\d+)/.exec(await (await fetch(`${server.base}/metrics`, auth)).text())?.[1];
    const on = await b.nextFrame((f) => !f.placeholder && (f.analysis?.ranges[0]?.blobs ?? 0) > 0);
    expect(on.analysis!.ranges[0]!.top!.length).toBeGreaterThan(0);
    expect(Number(await blobGauge())).toBeGreaterThan(0);
    a.send({ type: 'set', settings: { blobs: false } });
    const s = await b.next((m): m is SettingsMessage => m.type === 'settings');
    expect(s.settings).toMatchObject({ blobs: false, method: { ranges: [{ name: 'red' }] } });
    const off = await b.nextFrame((f) => f.rev >= s.revision && !f.placeholder); // segmented with the change (frames in flight were not)
    expect(off.analysis!.ranges[0]).toEqual({ name: 'red', color: '#ff3b30', coverage: expect.any(Number) });
    expect(off.analysis!.coverage).toBeGreaterThan(0); // the disc is still measured
    expect(await blobGauge()).toBeUndefined();
    a.send({ type: 'set', settings: { blobs: true } });
    await b.next((m) => m.type === 'settings' && m.settings.blobs);
    const back = await b.nextFrame((f) => f.analysis?.ranges[0]?.blobs !== undefined);
    expect(back.analysis!.ranges[0]!.top!.length).toBeGreaterThan(0);
    a.close();
    b.close();
  });

  it('a bad set gets an error naming the problem and changes nothing', async () => {
    const a = await connectViewer(server);
    const before = await (await fetch(`${server.base}/api/settings`, { headers: { authorization: `Bearer ${server.token}` } })).json();
    a.send({ type: 'set', settings: { ranges: [{ name: 'x', color: '#ffffff', lower: [0, 0, 0], upper: [200, 255, 255] }] } });
    const err = await a.next((m) => m.type === 'error');
    expect(err).toMatchObject({ type: 'error', code: 'IMPOSSIBLE_RANGE', ref: 'set' });
    if (err.type === 'error') expect(err.message).toMatch(/upper H is 200, outside 0\.\.179/);
    a.sendRaw(new Uint8Array([0x82, 0xa4, 0x74, 0x79, 0x70, 0x65, 0xa3, 0x73, 0x65, 0x74])); // {type:'set'} truncated
    const err0 = await a.next((m) => m.type === 'error' && m.code === 'BAD_MESSAGE');
    expect(err0.type).toBe('error');
    a.send({ type: 'set', settings: { quality: 'high' as unknown as number } });
    const err1 = await a.next((m) => m.type === 'error' && m.code === 'INVALID');
    if (err1.type === 'error') expect(err1.message).toMatch(/settings\.quality/);
    a.send({ type: 'set', settings: { space: 'bgr', ranges: [{ name: 'x', color: '#ffffff', lower: [10, 0, 0], upper: [5, 255, 255] }] } });
    const err2 = await a.next((m) => m.type === 'error' && m.code === 'IMPOSSIBLE_RANGE');
    if (err2.type === 'error') expect(err2.message).toMatch(/lower B \(10\) is above upper B \(5\)/);
    const after = await (await fetch(`${server.base}/api/settings`, { headers: { authorization: `Bearer ${server.token}` } })).json();
    expect(after).toEqual(before);
    expect(a.closed).toBeNull(); // still connected
    await a.nextFrame();
    a.close();
  });

  it('refuses the WebSocket without the token, or with a wrong one', async () => {
    const none = await wsRefusal(`ws://127.0.0.1:${server.port}/ws`);
    expect(none.status).toBe(401);
    expect(none.body).toMatch(/token is required/);
    const wrong = await wsRefusal(`ws://127.0.0.1:${server.port}/ws?token=wrong-token-123`);
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatch(/token is wrong/);
  });
});

describe('file source', () => {
  it('plays a generated H.264 clip to viewers, looping', async () => {
    const server = await startServer({ args: ['--source', clipPath('small'), '--fps', '0'] });
    try {
      const v = await connectViewer(server);
      v.send({ type: 'view', view: 'original' });
      const first = await v.nextFrame((f) => f.view === 'original' && !f.placeholder);
      expect([first.width, first.height]).toEqual([320, 240]);
      // the clip has 60 frames: looping means more than 60 arrive
      await v.nextFrame((f) => f.seq > 80, 20_000);
      const status = await (await fetch(`${server.base}/api/status`, { headers: { authorization: `Bearer ${server.token}` } })).json();
      expect(status.source).toMatchObject({ state: 'live', kind: 'file', width: 320, height: 240 });
      v.close();
    } finally {
      await server.stop();
    }
  });
});
