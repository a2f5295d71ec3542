/**
 * Generated frames and mask comparisons for the segmentation tests: a BGR frame of gradients,
 * deterministic noise and shapes drawn by OpenCV, frames of the generated clip, and exact
 * comparisons of masks.
 */
import { expect } from 'vitest';
import { cv, type Mat } from '../../server/cv.js';
import { clipPath } from './fixtures.js';

/**
 * syntheticFrame is a cols x rows BGR frame with something for every method: B a horizontal
 * gradient, G a vertical one, R a diagonal ripple, deterministic noise (seeded by `seed`), and
 * solid shapes (a red disc, a blue box, a green triangle, a white bar, a black ring).
 */
export function syntheticFrame(cols = 320, rows = 240, seed = 1): Mat {
  const buf = Buffer.alloc(cols * rows * 3);
  let s = seed >>> 0 || 1;
  const noise = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return ((s >>> 24) % 17) - 8;
  };
  const clamp = (v: number): number => Math.max(0, Math.min(255, Math.round(v)));
  for (let y = 0; y < rows; y++)
    for (let x = 0; x < cols; x++) {
      const i = (y * cols + x) * 3;
      buf[i] = clamp((255 * x) / (cols - 1) + noise());
      buf[i + 1] = clamp((255 * y) / (rows - 1) + noise());
      buf[i + 2] = clamp(128 + 100 * Math.sin((x + y) / 17) + noise());
    }
  const m = new cv.Mat(buf, rows, cols, cv.CV_8UC3);
  const sx = cols / 320;
  const sy = rows / 240;
  const p = (x: number, y: number) => new cv.Point2(Math.round(x * sx), Math.round(y * sy));
  m.drawCircle(p(70, 60), Math.round(35 * Math.min(sx, sy)), new cv.Vec3(20, 30, 230), -1, cv.LINE_8);
  m.drawRectangle(p(180, 30), p(260, 90), new cv.Vec3(220, 60, 20), -1, cv.LINE_8);
  m.drawFillPoly([[p(40, 200), p(120, 130), p(150, 220)]], new cv.Vec3(30, 200, 40), cv.LINE_8);
  m.drawRectangle(p(190, 150), p(300, 165), new cv.Vec3(250, 250, 250), -1, cv.LINE_8);
  m.drawCircle(p(250, 200), Math.round(25 * Math.min(sx, sy)), new cv.Vec3(5, 5, 5), Math.max(2, Math.round(6 * sx)), cv.LINE_8);
  return m;
}

/** clipFrames decodes the first `n` frames of a generated clip (BGR); the caller releases them. */
export function clipFrames(n: number, clip: 'small' | 'hd' = 'small'): Mat[] {
  const cap = new cv.VideoCapture(clipPath(clip));
  const frames: Mat[] = [];
  for (let i = 0; i < n; i++) {
    const f = cap.read();
    if (f.empty) {
      f.release();
      break;
    }
    frames.push(f);
  }
  cap.release();
  return frames;
}

/** differingPixels counts the elements (pixel channels) where two Mats of one size and type differ. */
export function differingPixels(a: Mat, b: Mat): number {
  const diff = a.absdiff(b);
  const planes = diff.channels > 1 ? diff.splitChannels() : [diff];
  let n = 0;
  for (const p of planes) {
    n += p.countNonZero();
    if (p !== diff) p.release();
  }
  diff.release();
  return n;
}

/** expectSameMask asserts that two masks are identical: size, type and every pixel. */
export function expectSameMask(got: Mat, want: Mat, what = 'mask'): void {
  expect({ rows: got.rows, cols: got.cols, type: got.type }, `${what}: shape`).toEqual({ rows: want.rows, cols: want.cols, type: want.type });
  expect(differingPixels(got, want), `${what}: differing pixels`).toBe(0);
}

/** releaseAll releases Mats (and nulls are skipped). */
export function releaseAll(...mats: (Mat | null | undefined)[]): void {
  for (const m of mats) m?.release();
}

/** orMasks is the plain OR of masks (a new Mat). */
export function orMasks(masks: Mat[]): Mat {
  let u = masks[0]!.copy();
  for (const m of masks.slice(1)) {
    const n = u.bitwiseOr(m);
    u.release();
    u = n;
  }
  return u;
}
