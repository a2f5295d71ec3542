/**
 * The HTTP API as scripts and other tools use it: mjpg-streamer URLs served directly with their
 * ?token=, HEAD and the viewer cap on streams, clear errors (415, 405, one code per kind of
 * range problem, sentences without repeated or blank names), a change that changes nothing,
 * snapshots made with the settings asked for, space changes that convert, ranges without names,
 * flags that patch over what is loaded, camera controls, analysis with nobody watching, and an
 * HTTP video file played at its own rate.
 */
import { execFile } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import { promisify } from 'node:util';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SettingsMessage } from '../../shared/protocol.js';
import { FIXTURES, clipPath, makeClip } from '../helpers/fixtures.js';
import { decode } from '../helpers/images.js';
import { authHeaders, jsonHeaders, removeTempDirs, runCli, startServer, tempDir, type ServerHandle } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { connectViewer } from '../helpers/viewer.js';
import { colourOf } from '../helpers/settings.js';

const run = promisify(execFile);
afterAll(removeTempDirs);

describe('streams and snapshots for other tools', () => {
  let s: ServerHandle;
  beforeAll(async () => {
    s = await startServer({ args: ['--source', 'demo', '--width', '320', '--height', '240', '--max-viewers', '3'] });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('mjpg-streamer URLs with ?token= are served directly (curl without a cookie jar works)', async () => {
    const { stdout } = await run('curl', ['-sf', `${s.base}/?action=snapshot&token=${s.token}`], { encoding: 'buffer', timeout: 15_000 } as never);
    const img = decode(stdout as unknown as Uint8Array);
    expect([img.cols, img.rows]).toEqual([320, 240]);
    img.release();
    const res = await fetch(`${s.base}/?action=stream&token=${s.token}`, { redirect: 'manual' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^multipart\/x-mixed-replace/);
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    await res.body?.cancel();
    // the viewer page still moves the token into a cookie
    const page = await fetch(`${s.base}/?token=${s.token}`, { redirect: 'manual' });
    expect(page.status).toBe(303);
  });

  it('HEAD of a stream answers at once and holds no slot; over the viewer cap, a stream is 503 with Retry-After', async () => {
    const head = await fetch(`${s.base}/stream.mjpg`, { method: 'HEAD', headers: authHeaders(s) });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toMatch(/^multipart\/x-mixed-replace/);
    expect((await (await fetch(`${s.base}/api/status`, { headers: authHeaders(s) })).json()).viewers.mjpeg).toBe(0);
    const held = [0, 1, 2].map(() => {
      const req = request(`${s.base}/stream.mjpg`, { headers: authHeaders(s) });
      req.on('error', () => undefined); // destroyed below
      req.end();
      return req;
    });
    await waitFor(async () => (await (await fetch(`${s.base}/api/status`, { headers: authHeaders(s) })).json()).viewers.mjpeg === 3, 5000, 'three streams');
    const over = await fetch(`${s.base}/stream.mjpg`, { headers: authHeaders(s) });
    expect(over.status).toBe(503);
    expect(over.headers.get('retry-after')).toBe('5');
    expect(await over.json()).toMatchObject({ code: 'TOO_MANY_VIEWERS', message: expect.stringMatching(/the most is 3/) });
    held.forEach((r) => r.destroy());
  });

  it('a snapshot asked for right after a change is made with the new settings', async () => {
    const v = await connectViewer(s); // someone watches: the kept frame is fresh
    await v.nextFrame((f) => !f.placeholder);
    for (let i = 0; i < 3; i++) {
      const everything = i % 2 === 0;
      const res = await fetch(`${s.base}/api/settings`, {
        method: 'PATCH',
        headers: jsonHeaders(s),
        body: JSON.stringify({ ranges: everything ? [{ lower: [0, 0, 0], upper: [179, 255, 255] }] : [] }),
      });
      const { revision } = await res.json();
      const snap = await fetch(`${s.base}/snapshot.jpg?view=mask`, { headers: authHeaders(s) });
      expect(Number(snap.headers.get('x-settings-revision'))).toBeGreaterThanOrEqual(revision);
      const mask = decode(new Uint8Array(await snap.arrayBuffer()), true);
      const lit = mask.countNonZero() / (mask.rows * mask.cols);
      mask.release();
      if (everything) expect(lit).toBeGreaterThan(0.95);
      else expect(lit).toBeLessThan(0.05);
    }
    await fetch(`${s.base}/api/settings`, {
      method: 'PATCH',
      headers: jsonHeaders(s),
      body: JSON.stringify({ ranges: [{ name: 'red', color: '#ff3b30', lower: [170, 100, 80], upper: [10, 255, 255] }] }),
    });
    v.close();
  });
});

describe('errors and settings over the API', () => {
  let s: ServerHandle;
  beforeAll(async () => {
    s = await startServer({ args: ['--source', 'demo', '--width', '320', '--height', '240'] });
  });
  afterAll(async () => {
    await s?.stop();
  });
  const patch = (body: unknown, headers = jsonHeaders(s)) =>
    fetch(`${s.base}/api/settings`, { method: 'PATCH', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

  it('a PATCH without a JSON content type is 415 with a sentence; a wrong method is 405 with Allow', async () => {
    const r = await patch('{"quality":5}', authHeaders(s));
    expect(r.status).toBe(415);
    expect(await r.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', message: expect.stringMatching(/^send Content-Type: application\/json/) });
    for (const [method, path, allow] of [
      ['DELETE', '/api/settings', 'GET, HEAD, PATCH'],
      ['POST', '/api/status', 'GET, HEAD'],
      ['GET', '/api/presets/x/save', 'POST'],
      ['PUT', '/api/cameras', 'GET, HEAD'],
    ] as const) {
      const m = await fetch(`${s.base}${path}`, { method, headers: jsonHeaders(s), body: method === 'GET' ? undefined : '{}' });
      expect(m.status, `${method} ${path}`).toBe(405);
      expect(m.headers.get('allow')).toBe(allow);
      expect(await m.json()).toMatchObject({ code: 'METHOD_NOT_ALLOWED' });
    }
  });

  it('one code per kind of range problem, and sentences that name each field once', async () => {
    const bad = async (body: unknown) => (await patch(body)).json();
    expect(await bad({ ranges: [{ lower: [0, 0, 0], upper: [200, 255, 255] }] })).toMatchObject({
      code: 'IMPOSSIBLE_RANGE',
      message: 'ranges.0 (range1): upper H is 200, outside 0..179',
    });
    expect(await bad({ ranges: [{ lower: [0, 0, 0], upper: [10, 300, 255] }] })).toMatchObject({
      code: 'IMPOSSIBLE_RANGE',
      message: 'ranges.0 (range1): upper S is 300, outside 0..255',
    });
    expect(await bad({ ranges: new Array(9).fill({ lower: [0, 0, 0], upper: [1, 1, 1] }) })).toMatchObject({ code: 'INVALID', message: 'ranges: at most 8 ranges are allowed' });
    const source = await (await fetch(`${s.base}/api/source`, { method: 'POST', headers: jsonHeaders(s), body: JSON.stringify({ source: 'x'.repeat(3000) }) })).json();
    expect(source).toEqual({ code: 'INVALID', message: 'source may be at most 2048 characters' });
    const empty = await (await fetch(`${s.base}/api/source`, { method: 'POST', headers: jsonHeaders(s), body: '{}' })).json();
    expect(empty).toEqual({ code: 'INVALID', message: 'source is missing' });
  });

  it('a PATCH that changes nothing keeps the revision and tells no viewer', async () => {
    const v = await connectViewer(s);
    const before = (await (await fetch(`${s.base}/api/settings`, { headers: authHeaders(s) })).json()).revision;
    const mark = v.mark();
    const same = await (await patch({ quality: 80 })).json();
    expect(same.revision).toBe(before);
    await new Promise((r) => setTimeout(r, 300));
    expect(v.messages.slice(mark).some((m) => m.type === 'settings')).toBe(false);
    v.close();
  });

  it('ranges without a name or colour get them; duplicate and reserved names are refused', async () => {
    const ok = await (
      await patch({
        ranges: [
          { lower: [0, 100, 100], upper: [10, 255, 255] },
          { lower: [40, 100, 100], upper: [80, 255, 255] },
        ],
      })
    ).json();
    expect(ok.settings.method.ranges.map((r: { name: string; color: string }) => [r.name, r.color])).toEqual([
      ['range1', '#ff3b30'],
      ['range2', '#34c759'],
    ]);
    expect(
      await (
        await patch({
          ranges: [
            { name: 'obj', lower: [0, 0, 0], upper: [1, 1, 1] },
            { name: 'obj', lower: [0, 0, 0], upper: [2, 2, 2] },
          ],
        })
      ).json(),
    ).toMatchObject({ code: 'INVALID', message: expect.stringMatching(/two ranges are named "obj"/) });
    expect((await patch({ ranges: [{ name: 'all', lower: [0, 0, 0], upper: [1, 1, 1] }] })).status).toBe(400);
  });

  it('changing only the space converts the ranges, and every viewer is told', async () => {
    await patch({ space: 'hsv', ranges: [{ name: 'red', color: '#ff3b30', lower: [170, 100, 80], upper: [10, 255, 255] }] });
    const v = await connectViewer(s);
    const before = await v.nextFrame((f) => !f.placeholder && f.analysis!.ranges[0]?.name === 'red');
    const told = v.next((m): m is SettingsMessage => m.type === 'settings' && colourOf(m.settings).space === 'bgr');
    const res = await patch({ space: 'bgr' });
    expect(res.status).toBe(200);
    const msg = await told;
    expect(colourOf(msg.settings).ranges[0]).toMatchObject({ name: 'red' });
    const after = await v.nextFrame((f) => !f.placeholder && f.rev >= msg.revision);
    // the red disc is still what is selected: about the same coverage
    expect(after.analysis!.coverage).toBeGreaterThan(before.analysis!.coverage * 0.5);
    expect(after.analysis!.coverage).toBeLessThan(before.analysis!.coverage * 2 + 0.5);
    await patch({ space: 'hsv', ranges: [{ name: 'red', color: '#ff3b30', lower: [170, 100, 80], upper: [10, 255, 255] }] });
    v.close();
  });

  it('camera controls: asked for over the API, refused by a source that is not a camera, and said so', async () => {
    const res = await fetch(`${s.base}/cam/main/api/controls`, { method: 'PATCH', headers: jsonHeaders(s), body: JSON.stringify({ exposure: 120, auto_wb: 0 }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ requested: { exposure: 120, auto_wb: 0 }, report: { exposure: { requested: 120, accepted: false }, auto_wb: { accepted: false } } });
    await waitFor(async () => (await (await fetch(`${s.base}/api/source`, { headers: authHeaders(s) })).json()).controls?.exposure, 5000, 'the status to carry the controls');
    const bad = await fetch(`${s.base}/cam/main/api/controls`, { method: 'PATCH', headers: jsonHeaders(s), body: JSON.stringify({ shutter: 1 }) });
    expect(await bad.json()).toMatchObject({ code: 'INVALID', message: 'controls has unknown field "shutter"' });
  });
});

describe('settings at start', () => {
  it('--space bgr alone converts the default range; --quality patches over --preset instead of replacing it', async () => {
    const dataDir = tempDir();
    const a = await startServer({ args: ['--source', 'demo', '--space', 'bgr'], dataDir });
    const sa = (await (await fetch(`${a.base}/api/settings`, { headers: authHeaders(a) })).json()).settings;
    expect(sa.method.space).toBe('bgr');
    expect(sa.method.ranges[0]).toMatchObject({ name: 'red' });
    expect(sa.method.ranges[0].upper[2]).toBe(255);
    await fetch(`${a.base}/api/settings`, {
      method: 'PATCH',
      headers: jsonHeaders(a),
      body: JSON.stringify({ space: 'hsv', ranges: [{ name: 'ball', lower: [5, 120, 120], upper: [20, 255, 255] }], blur: 5 }),
    });
    await fetch(`${a.base}/api/presets/day/save`, { method: 'POST', headers: jsonHeaders(a) });
    await a.stop();
    const b = await startServer({ args: ['--source', 'demo', '--preset', 'day', '--quality', '50'], dataDir });
    const sb = (await (await fetch(`${b.base}/api/settings`, { headers: authHeaders(b) })).json()).settings;
    expect(sb).toMatchObject({ output: { quality: 50 }, blur: 5, method: { ranges: [{ name: 'ball' }] } });
    expect(await (await fetch(`${b.base}/api/presets`, { headers: authHeaders(b) })).json()).toMatchObject({ active: 'day' });
    await b.stop();
    const missing = await runCli(['--source', 'demo', '--no-auth', '--port', '0', '--data-dir', dataDir, '--preset', 'night']);
    expect(missing.code).toBe(2);
  });
});

describe('cameras that analyse with nobody watching', () => {
  it('analyse: always keeps /api/status and /metrics current, with the capture time, and encodes nothing', async () => {
    const s = await startServer({ args: ['--camera', 'a=demo', '--camera', 'w=demo', '--analyse', 'watched', '--width', '320', '--height', '240'] });
    const t = await startServer({ args: ['--source', 'demo', '--analyse', 'always', '--width', '320', '--height', '240'] });
    try {
      const st = async (srv: ServerHandle, path = '/api/status') => (await fetch(`${srv.base}${path}`, { headers: authHeaders(srv) })).json();
      await waitFor(async () => (await st(t)).analysis, 10_000, 'an analysis');
      const a1 = await st(t);
      await new Promise((r) => setTimeout(r, 1000));
      const a2 = await st(t);
      expect(a2.analysis.ts).toBeGreaterThan(a1.analysis.ts); // it moves
      expect(a2.analysis.ageMs).toBeLessThan(1000);
      expect(a2.analysis.coverage).toBeGreaterThan(0);
      expect(a2.frames.processed).toBeGreaterThan(a1.frames.processed);
      expect(a2.frames.encodes).toBe(0);
      const metrics = await (await fetch(`${t.base}/metrics`, { headers: authHeaders(t) })).text();
      expect(metrics).toMatch(/segcam_mask_coverage_percent\{camera="main",range="red"\} [\d.]+/);
      expect(Number(/segcam_analysis_age_seconds\{camera="main"\} ([\d.]+)/.exec(metrics)?.[1])).toBeLessThan(1);
      expect((await t.cameras())[0]!.analysedAt).toBeGreaterThan(Date.now() - 2000);
      // a camera that analyses only when watched has none
      expect((await st(s, '/cam/w/api/status')).analysis).toBeNull();
    } finally {
      await s.stop();
      await t.stop();
    }
  });
});

describe('a video file on a web server', () => {
  let web: Server;
  let port = 0;
  beforeAll(async () => {
    await makeClip('testsrc2-320x240-faststart.mp4', 'testsrc2=size=320x240:rate=30', 4); // moov first: playable while downloading
    const app = express();
    app.use(express.static(FIXTURES)); // with Range requests, as any web server
    web = createServer(app);
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    port = (web.address() as { port: number }).port;
  });
  afterAll(() => web?.close());

  it('plays at its own frame rate, not as fast as it downloads, and loops', async () => {
    const s = await startServer({ args: ['--source', `http://127.0.0.1:${port}/${clipPath('small').split('/').pop()}`] });
    try {
      const v = await connectViewer(s);
      const first = await v.nextFrame((f) => !f.placeholder, 20_000);
      const t0 = Date.now();
      const n0 = v.frameCount;
      await new Promise((r) => setTimeout(r, 3000));
      const fps = ((v.frameCount - n0) * 1000) / (Date.now() - t0);
      expect(fps).toBeGreaterThan(24);
      expect(fps).toBeLessThan(36); // a 30 fps clip, paced
      expect(first.width).toBe(320);
      expect(await (await fetch(`${s.base}/api/source`, { headers: authHeaders(s) })).json()).toMatchObject({ state: 'live', kind: 'url' });
      v.close();
    } finally {
      await s.stop();
    }
  });
});
