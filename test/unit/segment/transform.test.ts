/**
 * Input transforms against OpenCV's own flip, rotate and crop of the whole frame, pixel by
 * pixel, for every flip, turn and a set of crops; analysis downscaling, mask upscaling, and
 * targets found on a downscaled copy scaled back to the picture.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blank, cv, type Mat } from '../../../server/cv.js';
import { findTargets } from '../../../server/segment/targets.js';
import { downscaleForAnalysis, scaleFactors, scaleTarget, transformFrame, upscaleMask } from '../../../server/segment/transform.js';
import { DEFAULT_TARGET_SETTINGS } from '../../../shared/targets.js';
import {
  DEFAULT_TRANSFORM,
  FLIPS,
  ROTATIONS,
  analysisSize,
  cropPixels,
  isIdentity,
  transformProblem,
  transformSchema,
  type Crop,
  type Transform,
} from '../../../shared/transform.js';
import { expectSameMask, releaseAll, syntheticFrame } from '../../helpers/frames.js';

/** the plain way: flip, then rotate, then crop the result */
function direct(frame: Mat, t: Pick<Transform, 'flip' | 'rotate' | 'crop'>): Mat {
  let m = frame.copy();
  if (t.flip !== 'none') {
    const n = m.flip({ h: 1, v: 0, both: -1 }[t.flip]);
    m.release();
    m = n;
  }
  if (t.rotate !== 0) {
    const n = m.rotate({ 90: cv.ROTATE_90_CLOCKWISE, 180: cv.ROTATE_180, 270: cv.ROTATE_90_COUNTERCLOCKWISE }[t.rotate]);
    m.release();
    m = n;
  }
  if (t.crop) {
    const r = cropPixels(t.crop, m.cols, m.rows);
    const roi = m.getRegion(new cv.Rect(r.x, r.y, r.w, r.h));
    const n = roi.copy();
    roi.release();
    m.release();
    m = n;
  }
  return m;
}

const CROPS: (Crop | null)[] = [
  null,
  { x: 0.1, y: 0.2, w: 0.5, h: 0.3 },
  { x: 0, y: 0, w: 1, h: 1 },
  { x: 0.55, y: 0.05, w: 0.45, h: 0.9 },
  { x: 0.333, y: 0.5, w: 0.01, h: 0.01 },
];

let frame: Mat;
beforeAll(() => {
  frame = syntheticFrame(161, 97, 11); // odd sizes: every rounding shows
});
afterAll(() => frame.release());

describe('transform', () => {
  it('every flip x turn x crop gives exactly flip, then rotate, then crop of the whole frame', () => {
    let n = 0;
    for (const flip of FLIPS)
      for (const rotate of ROTATIONS)
        for (const crop of CROPS) {
          const t = { flip, rotate, crop };
          const got = transformFrame(frame, t);
          if (flip === 'none' && rotate === 0 && crop === null) {
            expect(got).toBeNull();
            continue;
          }
          const want = direct(frame, t);
          expectSameMask(got!, want, JSON.stringify(t));
          releaseAll(got, want);
          n++;
        }
    expect(n).toBe(4 * 4 * 5 - 1);
  });

  it('a crop owns its pixels: releasing the frame leaves it intact', () => {
    const f = frame.copy();
    const got = transformFrame(f, { flip: 'none', rotate: 0, crop: { x: 0.5, y: 0.5, w: 0.5, h: 0.5 } })!;
    const want = direct(f, { flip: 'none', rotate: 0, crop: { x: 0.5, y: 0.5, w: 0.5, h: 0.5 } });
    f.release();
    expectSameMask(got, want);
    releaseAll(got, want);
  });

  it('turns swap the sides: 90 and 270 make a portrait of a landscape', () => {
    const t = transformFrame(frame, { flip: 'none', rotate: 90, crop: null })!;
    expect([t.cols, t.rows]).toEqual([97, 161]);
    // the top-left pixel of the turned picture is the source's bottom-left
    expect(t.at(0, 0)).toEqual(frame.at(96, 0));
    t.release();
  });

  it("analysis scaling: a narrower copy, never a wider one; masks come back at the picture's size", () => {
    expect(analysisSize(1280, 720, 320)).toEqual({ cols: 320, rows: 180 });
    expect(analysisSize(1280, 720, null)).toEqual({ cols: 1280, rows: 720 });
    expect(analysisSize(320, 240, 640)).toEqual({ cols: 320, rows: 240 });
    expect(downscaleForAnalysis(frame, null)).toBeNull();
    expect(downscaleForAnalysis(frame, 161)).toBeNull();
    const small = downscaleForAnalysis(frame, 80)!;
    expect([small.cols, small.rows]).toEqual([80, 48]);
    const gray = small.cvtColor(cv.COLOR_BGR2GRAY);
    const mask = gray.threshold(128, 255, cv.THRESH_BINARY);
    const up = upscaleMask(mask, 161, 97);
    expect([up.cols, up.rows, up.type]).toEqual([161, 97, cv.CV_8UC1]);
    const values = new Set(up.getData());
    for (const v of values) expect([0, 255]).toContain(v);
    releaseAll(small, gray, mask, up);
  });

  it('targets found on a half-size copy, scaled back, match those found at full size', () => {
    const full = blank(360, 640, cv.CV_8UC1, 0);
    full.drawRectangle(new cv.Point2(100, 60), new cv.Point2(299, 159), new cv.Vec3(255, 255, 255), -1, cv.LINE_8);
    full.drawCircle(new cv.Point2(480, 250), 60, new cv.Vec3(255, 255, 255), -1, cv.LINE_8);
    const half = full.resize(180, 320, 0, 0, cv.INTER_NEAREST);
    const settings = { ...DEFAULT_TARGET_SETTINGS, crosshair: { x: 0.4, y: 0.6 } };
    const want = findTargets(full, settings).targets;
    const { sx, sy } = scaleFactors({ cols: 640, rows: 360 }, { cols: 320, rows: 180 });
    expect([sx, sy]).toEqual([2, 2]);
    const got = findTargets(half, settings).targets.map((t) => scaleTarget(t, sx, sy));
    expect(got.length).toBe(2);
    got.forEach((g, i) => {
      const w = want[i]!;
      expect(Math.abs(g.cx - w.cx)).toBeLessThanOrEqual(1.5);
      expect(Math.abs(g.cy - w.cy)).toBeLessThanOrEqual(1.5);
      expect(Math.abs(g.box.x - w.box.x)).toBeLessThanOrEqual(2);
      expect(Math.abs(g.box.w - w.box.w)).toBeLessThanOrEqual(2);
      expect(Math.abs(g.area - w.area) / w.area).toBeLessThan(0.03);
      expect(Math.abs(g.offset.x - w.offset.x)).toBeLessThanOrEqual(1.5);
      expect(Math.abs(g.offset.nx - w.offset.nx)).toBeLessThan(0.01);
      expect(g.percent).toBe(findTargets(half, settings).targets[i]!.percent); // shares are unchanged
    });
    releaseAll(full, half);
  });

  it('schema and checks', () => {
    expect(transformSchema.parse(DEFAULT_TRANSFORM)).toEqual(DEFAULT_TRANSFORM);
    expect(isIdentity(DEFAULT_TRANSFORM)).toBe(true);
    expect(isIdentity({ ...DEFAULT_TRANSFORM, analysisWidth: 320 })).toBe(false);
    expect(transformSchema.safeParse({ ...DEFAULT_TRANSFORM, rotate: 45 }).success).toBe(false);
    expect(transformSchema.safeParse({ ...DEFAULT_TRANSFORM, flip: 'x' }).success).toBe(false);
    expect(transformSchema.safeParse({ ...DEFAULT_TRANSFORM, analysisWidth: 8 }).success).toBe(false);
    expect(transformProblem({ ...DEFAULT_TRANSFORM, crop: { x: 0.5, y: 0, w: 0.6, h: 1 } })).toMatch(/inside the picture/);
    expect(transformProblem({ ...DEFAULT_TRANSFORM, crop: { x: 0.5, y: 0, w: 0, h: 1 } })).toMatch(/width and a height/);
    expect(transformProblem({ ...DEFAULT_TRANSFORM, crop: { x: 0.5, y: 0, w: 0.5, h: 1 } })).toBeNull();
    expect(cropPixels({ x: 0.999, y: 0.999, w: 0.0001, h: 0.0001 }, 100, 50)).toEqual({ x: 99, y: 49, w: 1, h: 1 });
  });
});
