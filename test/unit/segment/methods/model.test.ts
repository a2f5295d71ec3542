/**
 * The model method with generated ONNX models (test/helpers/onnx-model.py): loading from the
 * models folder only, pre-processing (size, mean, scale, swapRB), post-processing (argmax,
 * softmax or raw score threshold, labels scaled to the frame) against masks computed by hand,
 * the rate cap, reuse of the newest mask between inferences, and a slow model that does not
 * hold up `apply`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blank, cv, onOneThread, type Mat } from '../../../../server/cv.js';
import { createSegmenter } from '../../../../server/segment/methods/index.js';
import { ModelSegmenter, listModels, resolveModelFile } from '../../../../server/segment/methods/model.js';
import { releaseResult } from '../../../../server/segment/methods/regions.js';
import { offThreadWork } from '../../../../server/segment/methods/threads.js';
import { DEFAULT_MODEL, type ModelMethod } from '../../../../shared/methods.js';
import { expectSameMask, releaseAll, syntheticFrame } from '../../../helpers/frames.js';
import { modelsDir, type ModelsDir } from '../../../helpers/onnx.js';

const W = 64;
const H = 48;
let models: ModelsDir;
let logged: string[] = [];
const log = (m: string): void => void logged.push(m);

beforeAll(() => {
  models = modelsDir();
  models.make('redgreen', 'rg.onnx', W, H);
  models.make('redgreen', 'rg-big.onnx', 160, 120);
  models.make('slow', 'slow.onnx', 256, 256, 10);
  writeFileSync(join(models.dir, 'broken.onnx'), 'not a model');
});
afterAll(() => models.remove());

/** the generated model's method: classes [other, red], class 1 = red > green; no threshold */
const method = (m: Partial<ModelMethod> = {}): ModelMethod => ({
  ...DEFAULT_MODEL,
  file: 'rg.onnx',
  input: { width: W, height: H },
  mean: [0, 0, 0],
  scale: 1 / 255,
  swapRB: false,
  classes: ['other', 'red'],
  foreground: ['red'],
  scores: 'softmax',
  threshold: 0,
  maxFps: 60,
  ...m,
});

/** a manual clock for the rate cap */
function clock(start = 1000) {
  let t = start;
  return { now: () => t, set: (v: number) => void (t = v) };
}

/** the mask computed by hand from 8-bit pixels: `pick(b, g, r)` per pixel of the model's input, scaled back to the frame */
function byHand(frame: Mat, pick: (b: number, g: number, r: number) => boolean, w = W, h = H): Mat {
  const small = frame.cols === w && frame.rows === h ? frame.copy() : frame.resize(h, w, 0, 0, cv.INTER_LINEAR);
  const d = small.getData();
  const out = Buffer.alloc(w * h);
  for (let i = 0; i < w * h; i++) out[i] = pick(d[i * 3]!, d[i * 3 + 1]!, d[i * 3 + 2]!) ? 255 : 0;
  const m = new cv.Mat(out, h, w, cv.CV_8UC1);
  const full = m.resize(frame.rows, frame.cols, 0, 0, cv.INTER_NEAREST);
  releaseAll(small, m);
  return full;
}

/** a frame of the model's input size: every (g, r) pair on a grid, b from a gradient */
function gridFrame(): Mat {
  const buf = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 3;
      buf[i] = (x * 4 + y) % 256;
      buf[i + 1] = Math.round((x * 255) / (W - 1));
      buf[i + 2] = Math.round((y * 255) / (H - 1));
    }
  return new cv.Mat(buf, H, W, cv.CV_8UC3);
}

async function settled(seg: ModelSegmenter, frame: Mat): Promise<ReturnType<ModelSegmenter['apply']>> {
  await seg.whenIdle();
  const first = seg.apply(frame); // starts an inference on this frame, if the cap allows
  releaseResult(first);
  await seg.whenIdle();
  return seg.apply(frame);
}

describe('model files', () => {
  it('resolves only plain .onnx names inside the models folder', () => {
    expect(resolveModelFile(models.dir, 'rg.onnx')).toBe(join(models.dir, 'rg.onnx'));
    expect(() => resolveModelFile(null, 'rg.onnx')).toThrow('no models folder is configured');
    expect(() => resolveModelFile(models.dir, 'missing.onnx')).toThrow('model file missing.onnx is not in the models folder');
    for (const bad of ['../rg.onnx', `${models.dir}/rg.onnx`, 'sub/rg.onnx', 'rg.onnx/..', 'rg'])
      expect(() => resolveModelFile(models.dir, bad), bad).toThrow(/is not the name of an .onnx file|is not a file of the models folder/);
    expect(listModels(models.dir)).toEqual(['broken.onnx', 'rg-big.onnx', 'rg.onnx', 'slow.onnx']);
    expect(listModels(null)).toEqual([]);
  });

  it('createSegmenter throws for a missing file; a broken file is logged and gives empty masks', async () => {
    expect(() => createSegmenter(method({ file: 'missing.onnx' }), { modelsDir: models.dir, log })).toThrow(/not in the models folder/);
    logged = [];
    const seg = new ModelSegmenter(method({ file: 'broken.onnx' }), { modelsDir: models.dir, log });
    await seg.whenIdle();
    const frame = gridFrame();
    const r = seg.apply(frame);
    expect(r.mask.countNonZero()).toBe(0);
    expect(r.regions.map((x) => x.name)).toEqual(['red']);
    expect(r.info!.model).toEqual({ fps: 0, age: -1 });
    expect(logged.length).toBe(1);
    expect(logged[0]).toMatch(/^model broken.onnx could not be loaded: /);
    expect(seg.problem()).toBe(logged[0]);
    releaseResult(r);
    seg.release();
    frame.release();
  });
});

describe('model method', () => {
  it('forwardAsync exists in this binding, so inference is off the main thread', () => {
    expect(typeof cv.Net.prototype.forwardAsync).toBe('function');
    const seg = new ModelSegmenter(method(), { modelsDir: models.dir, log });
    expect(seg.async).toBe(true);
    seg.release();
  });

  it("the mask is the pixels where red > green, at the model's own size (no resize)", async () => {
    const frame = gridFrame();
    const seg = new ModelSegmenter(method(), { modelsDir: models.dir, log });
    const r = await settled(seg, frame);
    const want = byHand(frame, (_b, g, r) => r > g);
    expect(want.countNonZero()).toBeGreaterThan(100);
    expectSameMask(r.regions[0]!.mask, want, 'red > green');
    expectSameMask(r.mask, want, 'union');
    releaseResult(r);
    releaseAll(want, frame);
    seg.release();
  });

  it("a bigger frame: blobFromImage's resize in, nearest-neighbour labels out", async () => {
    const frame = syntheticFrame(320, 240, 5);
    const seg = new ModelSegmenter(method(), { modelsDir: models.dir, log });
    const r = await settled(seg, frame);
    const want = byHand(frame, (_b, g, r) => r > g);
    expectSameMask(r.mask, want);
    releaseResult(r);
    releaseAll(want, frame);
    seg.release();
  });

  it('both classes as foreground, and the foreground changed without a new inference', async () => {
    const frame = gridFrame();
    const seg = new ModelSegmenter(method({ foreground: ['other', 'red'] }), { modelsDir: models.dir, log });
    const r = await settled(seg, frame);
    const red = byHand(frame, (_b, g, r) => r > g);
    const other = byHand(frame, (_b, g, r) => !(r > g));
    expect(r.regions.map((x) => [x.name, x.color])).toEqual([
      ['other', '#ff3b30'],
      ['red', '#34c759'],
    ]);
    expectSameMask(r.regions[0]!.mask, other, 'other');
    expectSameMask(r.regions[1]!.mask, red, 'red');
    expect(r.mask.countNonZero()).toBe(W * H);
    seg.update(method({ foreground: ['other'], maxFps: 0.1 })); // no inference for 10 s: labels reused
    const again = seg.apply(frame);
    expectSameMask(again.mask, other, 'other only');
    for (const x of [r, again]) releaseResult(x);
    releaseAll(frame, red, other);
    seg.release();
  });

  it('mean is B, G, R whatever swapRB says, and swapRB feeds the model R, G, B', async () => {
    const frame = gridFrame();
    const cases: [Partial<ModelMethod>, (b: number, g: number, r: number) => boolean][] = [
      [{ mean: [0, 0, 100] }, (_b, g, r) => r - 100 > g], // red lowered by 100
      [{ mean: [0, 60, 0] }, (_b, g, r) => r > g - 60],
      [{ swapRB: true }, (b, g) => b > g], // the model's "red" input is now the frame's blue
      [{ swapRB: true, mean: [50, 0, 0] }, (b, g) => b - 50 > g], // mean[0] is still blue's
    ];
    for (const [m, pick] of cases) {
      const seg = new ModelSegmenter(method(m), { modelsDir: models.dir, log });
      const r = await settled(seg, frame);
      const want = byHand(frame, pick);
      expectSameMask(r.mask, want, JSON.stringify(m));
      releaseResult(r);
      want.release();
      seg.release();
    }
    frame.release();
  });

  it('scale multiplies the input; the score threshold uses softmax or the raw output', async () => {
    const frame = gridFrame();
    const cases: [Partial<ModelMethod>, (b: number, g: number, r: number) => boolean][] = [
      // scores are r * scale / 255 and g * scale / 255: the winner's softmax is 1 / (1 + e^-|r - g|s)
      [{ threshold: 0.6, scale: 1 }, (_b, g, r) => r > g && 1 / (1 + Math.exp(-(r - g) / 255)) >= 0.6],
      [{ threshold: 0.6, scale: 4 }, (_b, g, r) => r > g && 1 / (1 + Math.exp((-4 * (r - g)) / 255)) >= 0.6],
      [{ threshold: 0.7, scale: 1, scores: 'raw' }, (_b, g, r) => r > g && r / 255 >= 0.7],
    ];
    for (const [m, pick] of cases) {
      const seg = new ModelSegmenter(method(m), { modelsDir: models.dir, log });
      const r = await settled(seg, frame);
      const want = byHand(frame, pick);
      expect(want.countNonZero()).toBeGreaterThan(50);
      expectSameMask(r.mask, want, JSON.stringify(m));
      releaseResult(r);
      want.release();
      seg.release();
    }
    frame.release();
  });

  it('rate cap: at most maxFps inferences a second; frames in between reuse the newest mask, whose age is reported', async () => {
    const red = blank(H, W, cv.CV_8UC3, [0, 0, 255]);
    const green = blank(H, W, cv.CV_8UC3, [0, 255, 0]);
    const c = clock(1000);
    const seg = new ModelSegmenter(method({ maxFps: 2 }), { modelsDir: models.dir, log, now: c.now });
    await seg.whenIdle(); // loaded
    const counts: number[] = [];
    const step = async (t: number, frame: Mat): Promise<{ fps: number; age: number }> => {
      c.set(t);
      const r = seg.apply(frame);
      counts.push(r.mask.countNonZero());
      const info = r.info!.model!;
      releaseResult(r);
      await seg.whenIdle();
      return info;
    };
    expect(await step(1000, red)).toEqual({ fps: 0, age: -1 }); // inference on red starts; no mask yet
    expect(await step(1100, green)).toEqual({ fps: 0, age: 100 }); // red's mask, 100 ms old; no inference (cap)
    expect(await step(1499, green)).toEqual({ fps: 0, age: 499 }); // still capped
    expect(await step(1500, green)).toEqual({ fps: 0, age: 500 }); // starts on green; red's mask meanwhile
    const after = await step(1600, red);
    expect(after.age).toBe(100); // green's mask, made at 1500
    expect(after.fps).toBe(2); // completions at 1000 and 1500
    expect(counts).toEqual([0, W * H, W * H, W * H, 0]);
    releaseAll(red, green);
    seg.release();
  });

  it('sync mode gives the same mask, at the same capped rate', async () => {
    const frame = syntheticFrame(160, 120, 2);
    const c = clock(0);
    const a = new ModelSegmenter(method(), { modelsDir: models.dir, log });
    const s = new ModelSegmenter(method({ maxFps: 1 }), { modelsDir: models.dir, log, sync: true, now: c.now });
    expect(s.async).toBe(false);
    const ra = await settled(a, frame);
    const rs = s.apply(frame); // inference in apply: the mask at once
    expect(rs.info!.model!.age).toBe(0);
    expectSameMask(rs.mask, ra.mask);
    c.set(500);
    const capped = s.apply(frame);
    expect(capped.info!.model!.age).toBe(500);
    for (const x of [ra, rs, capped]) releaseResult(x);
    a.release();
    s.release();
    frame.release();
  });

  it("a slow model does not hold up apply: frames go on while it infers, and OpenCV's thread count waits", async () => {
    const frame = syntheticFrame(640, 360, 4);
    // one inference only (the cap allows the next in 10 s): the frames in between reuse its mask
    const seg = new ModelSegmenter(method({ file: 'slow.onnx', input: { width: 256, height: 256 }, maxFps: 0.1 }), { modelsDir: models.dir, log });
    await seg.whenIdle();
    const pool = cv.getNumThreads();
    const t0 = performance.now();
    const first = seg.apply(frame); // starts the slow inference
    const applyMs = performance.now() - t0;
    releaseResult(first);
    expect(offThreadWork()).toBe(1);
    let frames = 0;
    let slowest = 0;
    let threadsInside = -1;
    // keep segmenting (and converting colours on "one thread") while it infers
    while (offThreadWork() > 0) {
      const a = performance.now();
      const r = seg.apply(frame);
      threadsInside = onOneThread(() => {
        const hsv = frame.cvtColor(cv.COLOR_BGR2HSV);
        hsv.release();
        return cv.getNumThreads();
      });
      releaseResult(r);
      slowest = Math.max(slowest, performance.now() - a);
      frames++;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const inferMs = performance.now() - t0;
    expect(threadsInside).toBe(pool); // held back while the forward pass runs
    expect(cv.getNumThreads()).toBe(pool);
    expect(frames).toBeGreaterThan(3);
    // apply and the frames in between each took a fraction of the inference
    expect(applyMs).toBeLessThan(inferMs / 3);
    expect(slowest).toBeLessThan(inferMs / 3);
    const r = seg.apply(frame);
    const want = byHand(frame, (_b, g, r) => r > g, 256, 256);
    expectSameMask(r.mask, want, 'slow model = redgreen');
    expect(onOneThread(() => cv.getNumThreads())).toBe(1); // once idle, onOneThread is itself again
    releaseResult(r);
    releaseAll(want, frame);
    seg.release();
  });

  it('a model whose output does not match the classes is reported; a new file replaces the net; release mid-inference is safe', async () => {
    logged = [];
    const frame = gridFrame();
    const seg = new ModelSegmenter(method({ classes: ['a', 'b', 'red'] }), { modelsDir: models.dir, log });
    const r = await settled(seg, frame);
    expect(r.mask.countNonZero()).toBe(0);
    expect(logged).toEqual(['model rg.onnx: the model gives 2 class scores per pixel, but 3 classes are named']);
    releaseResult(r);
    seg.update(method({ file: 'rg-big.onnx', input: { width: 160, height: 120 } }));
    const big = await settled(seg, frame);
    const want = byHand(frame, (_b, g, r) => r > g, 160, 120);
    expectSameMask(big.mask, want, 'after switching file');
    expect(seg.problem()).toBeNull();
    releaseResult(big);
    const started = seg.apply(frame);
    releaseResult(started);
    seg.release(); // while an inference may be in flight
    await seg.whenIdle();
    releaseAll(frame, want);
  });
});
