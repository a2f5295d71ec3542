/**
 * The segmentation methods through the whole server, on a still image (every frame the same
 * picture, so what the server makes can be checked against OpenCV run here on that picture):
 * a settings file of version 1 loads as the colour method and gives the mask it always gave;
 * switching the method over the API changes the mask to the threshold's; targets reach the
 * frames, the status and the metrics; zones measure their part; a horizontal flip mirrors the
 * targets.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Analysis } from '../../shared/protocol.js';
import { cv, type Mat } from '../../server/cv.js';
import { decode } from '../helpers/images.js';
import { authHeaders, jsonHeaders, removeTempDirs, startServer, tempDir, type ServerHandle } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { connectViewer } from '../helpers/viewer.js';

// 320x240: grey, a red box 60x40 at (200, 100), a green box 40x40 at (40, 40), a dark band
const W = 320;
const H = 240;
let still: string;
let stillDir: string;
beforeAll(() => {
  stillDir = mkdtempSync(join(tmpdir(), 'segcam-still-'));
  still = join(stillDir, 'scene.png');
  execFileSync('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `color=c=0x8c8c8c:size=${W}x${H},drawbox=x=200:y=100:w=60:h=40:color=0xe01010:t=fill,drawbox=x=40:y=40:w=40:h=40:color=0x10c010:t=fill,drawbox=x=0:y=200:w=320:h=40:color=0x202020:t=fill`,
    '-frames:v',
    '1',
    still,
  ]);
});
afterAll(() => rmSync(stillDir, { recursive: true, force: true }));
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
  removeTempDirs();
});

const RED_V1 = { name: 'red', color: '#ff3b30', lower: [170, 120, 80], upper: [10, 255, 255] };

async function snapshot(s: ServerHandle, view: string): Promise<{ mat: Mat; rev: number }> {
  const res = await fetch(`${s.base}/snapshot.jpg?view=${view}`, { headers: authHeaders(s) });
  expect(res.status).toBe(200);
  return { mat: decode(new Uint8Array(await res.arrayBuffer()), view === 'mask'), rev: Number(res.headers.get('x-settings-revision')) };
}

/** agreement is the fraction of pixels where a (lossy) received mask and an exact one agree, at 128. */
function agreement(got: Mat, want: Mat): number {
  const g = got.getData();
  const w = want.getData();
  let same = 0;
  for (let i = 0; i < w.length; i++) if (g[i]! >= 128 === w[i]! >= 128) same++;
  return same / w.length;
}

const patch = (s: ServerHandle, body: unknown) => fetch(`${s.base}/api/settings`, { method: 'PATCH', headers: jsonHeaders(s), body: JSON.stringify(body) });
const status = async (s: ServerHandle) =>
  (await (await fetch(`${s.base}/api/status`, { headers: authHeaders(s) })).json()) as { analysis: (Analysis & { ts: number; rev: number }) | null; revision: number };
/** analysisAt waits for an analysis made with the current settings revision (or later). */
async function analysisAt(s: ServerHandle): Promise<Analysis> {
  const rev = (await status(s)).revision;
  return waitFor(
    async () => {
      const a = (await status(s)).analysis;
      return a && a.rev >= rev ? a : null;
    },
    10_000,
    'an analysis with the current settings',
  );
}

describe('methods through the server', () => {
  it('a version 1 settings file loads as the colour method and gives the mask OpenCV gives; the threshold method over the API gives its own', async () => {
    const dataDir = tempDir();
    mkdirSync(join(dataDir, 'cameras', 'main'), { recursive: true });
    writeFileSync(
      join(dataDir, 'cameras', 'main', 'settings.json'),
      JSON.stringify({
        space: 'hsv',
        ranges: [RED_V1],
        quality: 90,
        blur: 0,
        open: 0,
        close: 0,
        minArea: 0,
        motion: { mode: 'off', algorithm: 'mog2', history: 500, learningRate: -1, shadows: true },
      }),
    );
    const s = await startServer({ dataDir, args: ['--source', still, '--fps', '10', '--analyse', 'always'] });
    cleanups.push(() => s.stop());
    const settings = (await (await fetch(`${s.base}/api/settings`, { headers: authHeaders(s) })).json()) as {
      settings: { method: { kind: string; space: string; ranges: unknown[] }; output: { quality: number } };
    };
    expect(settings.settings.method).toMatchObject({ kind: 'colour', space: 'hsv', ranges: [{ name: 'red', lower: [170, 120, 80], upper: [10, 255, 255] }] });
    expect(settings.settings.output.quality).toBe(90);

    // the mask, against OpenCV's inRange on the same picture (hue wraps: two ranges OR-ed)
    const image = cv.imread(still);
    const hsv = image.cvtColor(cv.COLOR_BGR2HSV);
    const a = hsv.inRange(new cv.Vec3(170, 120, 80), new cv.Vec3(179, 255, 255));
    const b = hsv.inRange(new cv.Vec3(0, 120, 80), new cv.Vec3(10, 255, 255));
    const want = a.bitwiseOr(b);
    const { mat: mask } = await snapshot(s, 'mask');
    expect(mask.cols).toBe(W);
    expect(agreement(mask, want)).toBeGreaterThan(0.995);
    expect(cv.countNonZero(want)).toBe(60 * 40); // the red box, and nothing else

    // threshold at 100 on grey: everything but the dark band and the boxes darker than 100
    expect((await patch(s, { method: { kind: 'threshold', channel: 'gray', mode: 'fixed', value: 100 } })).status).toBe(200);
    const grey = image.cvtColor(cv.COLOR_BGR2GRAY);
    const thr = grey.threshold(100, 255, cv.THRESH_BINARY);
    const { mat: mask2, rev } = await snapshot(s, 'mask');
    expect(rev).toBeGreaterThanOrEqual(2);
    expect(agreement(mask2, thr)).toBeGreaterThan(0.995);
    expect(agreement(mask2, want)).toBeLessThan(0.5); // not the colour mask any more
    const an = await analysisAt(s);
    expect(an.method).toBe('threshold');
    expect(an.coverage).toBeCloseTo((cv.countNonZero(thr) / (W * H)) * 100, 0);
    // a method that cannot be: one sentence, nothing changed
    const bad = await patch(s, { method: { kind: 'threshold', value: 300 } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/value/);
    expect((await status(s)).revision).toBe(rev);
    for (const m of [image, hsv, a, b, want, mask, grey, thr, mask2]) m.release();
  }, 60_000);

  it('targets reach the status, the frames and the metrics; a zone measures its part; a flip mirrors the targets', async () => {
    const s = await startServer({ args: ['--source', still, '--fps', '10', '--analyse', 'always'] });
    cleanups.push(() => s.stop());
    const ZONE = {
      name: 'right',
      kind: 'include',
      points: [
        [0.5, 0],
        [1, 0],
        [1, 1],
        [0.5, 1],
      ],
    };
    expect(
      (
        await patch(s, {
          method: { kind: 'colour', space: 'hsv', ranges: [RED_V1, { name: 'green', lower: [45, 120, 80], upper: [75, 255, 255] }] },
          blur: 0,
          open: 0,
          close: 0,
          zones: [ZONE],
        })
      ).status,
    ).toBe(200);
    const an = await analysisAt(s);
    const red = an.targets!.find((t) => t.name === 'red')!.targets;
    expect(red).toHaveLength(1);
    expect(red[0]!.box).toEqual({ x: 200, y: 100, w: 60, h: 40 });
    expect(red[0]!.cx).toBeCloseTo(229.5, 0);
    // the crosshair at the centre: right of it and below it, normalised by the distance to that edge
    expect(red[0]!.offset.nx).toBeCloseTo((229.5 - 160) / 160, 1);
    expect(red[0]!.offset.ny).toBeCloseTo((119.5 - 120) / 120, 1);
    // the zone: the red box is wholly inside the right half (60x40 of its 160x240 px), the green one outside
    const zone = an.zones!.find((z) => z.name === 'right')!;
    expect(zone.area).toBeCloseTo(50, 0);
    expect(zone.regions.find((r) => r.name === 'red')!.coverage).toBeCloseTo((2400 / (160 * 240)) * 100, 1);
    expect(zone.regions.find((r) => r.name === 'green')!.coverage).toBe(0);

    const metrics = await (await fetch(`${s.base}/metrics`, { headers: authHeaders(s) })).text();
    expect(metrics).toMatch(/segcam_targets\{camera="main",range="red"\} 1/);
    expect(metrics).toMatch(/segcam_target_offset\{camera="main",range="red",axis="x"\} 0\.4/);

    // a flip: the picture is mirrored before the method, so the targets are too
    expect((await patch(s, { transform: { flip: 'h' } })).status).toBe(200);
    const flipped = await analysisAt(s);
    const box = flipped.targets!.find((t) => t.name === 'red')!.targets[0]!.box;
    expect(box).toEqual({ x: W - 200 - 60, y: 100, w: 60, h: 40 });
    // and the zone on the right now holds the green box, not the red one
    const z2 = flipped.zones!.find((z) => z.name === 'right')!;
    expect(z2.regions.find((r) => r.name === 'red')!.coverage).toBe(0);
    expect(z2.regions.find((r) => r.name === 'green')!.coverage).toBeGreaterThan(3);
    const { mat } = await snapshot(s, 'original');
    const px = mat.at(120, W - 1 - 229) as unknown as { z: number; y: number; x: number };
    expect(px.z).toBeGreaterThan(150); // red (BGR: z is red) where the box now is
    mat.release();
  }, 60_000);

  it('a model file that is not there is refused with one sentence; one that cannot load is in the status; a saved method that cannot run shows viewers why and recovers when fixed', async () => {
    const dataDir = tempDir();
    const models = tempDir('segcam-models-');
    writeFileSync(join(models, 'broken.onnx'), 'this is not an ONNX file');
    const cam = join(dataDir, 'cameras', 'main');
    mkdirSync(cam, { recursive: true });
    const s0 = await startServer({ dataDir, args: ['--source', still, '--fps', '10', '--models-dir', models] });
    const missing = await patch(s0, { method: { kind: 'model', file: 'missing.onnx', classes: ['bg', 'thing'], foreground: ['thing'] } });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { message: string }).message).toBe(
      'method.file: model file missing.onnx is not in the models folder (GET /api/models lists the files there)',
    );
    expect((await status(s0)).revision).toBe(1);
    // a file that is there but does not load: frames go on (an empty mask), the status says why
    expect((await patch(s0, { method: { kind: 'model', file: 'broken.onnx', classes: ['bg', 'thing'], foreground: ['thing'] } })).status).toBe(200);
    const v0 = await connectViewer(s0);
    await v0.nextFrame((f) => !f.placeholder);
    await waitFor(
      async () => ((await (await fetch(`${s0.base}/api/status`, { headers: authHeaders(s0) })).json()) as { segmentError: string | null }).segmentError?.includes('broken.onnx'),
      10_000,
      'the load failure in the status',
    );
    v0.close();
    await s0.stop();

    // saved settings name a model whose file went away since: every frame fails
    const saved = JSON.parse(readFileSync(join(cam, 'settings.json'), 'utf8')) as { method: { file: string } };
    saved.method.file = 'gone.onnx';
    writeFileSync(join(cam, 'settings.json'), JSON.stringify(saved));
    const s = await startServer({ dataDir, args: ['--source', still, '--fps', '10', '--models-dir', models] });
    cleanups.push(() => s.stop());
    const v = await connectViewer(s);
    cleanups.push(async () => v.close());
    // the picture does not freeze: placeholders that say why, twice a second
    const first = await v.nextFrame((f) => f.placeholder === true, 5000);
    const second = await v.nextFrame((f) => f.placeholder === true && f.seq > first.seq, 5000);
    expect(second.ts - first.ts).toBeLessThan(1500);
    const st = (await (await fetch(`${s.base}/api/status`, { headers: authHeaders(s) })).json()) as { segmentError: string | null; source: { state: string } };
    expect(st.segmentError).toBe('segmentation failed: model file gone.onnx is not in the models folder');
    expect(st.source.state).toBe('live'); // the source is fine; the method is not
    const snap = await fetch(`${s.base}/snapshot.jpg`, { headers: authHeaders(s) });
    expect(snap.status).toBe(503);
    expect(((await snap.json()) as { message: string }).message).toMatch(/no picture: segmentation failed: model file gone\.onnx/);
    // fixed: camera frames again, and the status says nothing is wrong
    expect((await patch(s, { method: { kind: 'colour' } })).status).toBe(200);
    await v.nextFrame((f) => !f.placeholder, 5000);
    await waitFor(
      async () => ((await (await fetch(`${s.base}/api/status`, { headers: authHeaders(s) })).json()) as { segmentError: string | null }).segmentError === null,
      5000,
      'the error to clear',
    );
  }, 60_000);
});
