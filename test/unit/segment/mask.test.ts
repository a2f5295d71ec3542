/**
 * Colour ranges against OpenCV itself, pixel by pixel.
 */
import { describe, expect, it } from 'vitest';
import { cv } from '../../../server/cv.js';
import { applyMask, rangeMask, toSpace } from '../../../server/segment/mask.js';
import { bgrToHsv, channelMax, type ColorRange, type Space, type Triple } from '../../../shared/settings.js';

/** every combination of channel values on a grid, as one image (in the range's own space) */
function gridImage(space: Space): { mat: ReturnType<typeof newMat>; pixels: Triple[] } {
  const pixels: Triple[] = [];
  const steps = (max: number, n: number): number[] => Array.from({ length: n }, (_, i) => Math.round((i * max) / (n - 1)));
  const first = space === 'hsv' ? Array.from({ length: 180 }, (_, i) => i) : steps(255, 52);
  for (const a of first) for (const b of steps(255, 18)) for (const c of steps(255, 18)) pixels.push([a, b, c]);
  return { mat: newMat(pixels), pixels };
}
function newMat(pixels: Triple[]) {
  const buf = Buffer.alloc(pixels.length * 3);
  pixels.forEach((p, i) => buf.set(p, i * 3));
  return new cv.Mat(buf, 1, pixels.length, cv.CV_8UC3);
}

/** the rule, written plainly: inclusive bounds, hue wraps when lower > upper */
function selects(space: Space, r: ColorRange, p: Triple): boolean {
  for (let i = 0; i < 3; i++) {
    const lo = r.lower[i]!;
    const hi = r.upper[i]!;
    const v = p[i]!;
    const ok = space === 'hsv' && i === 0 && lo > hi ? v >= lo || v <= hi : v >= lo && v <= hi;
    if (!ok) return false;
  }
  return true;
}

const cases: [Space, ColorRange][] = [
  ['hsv', { name: 'red wraps', color: '#ff0000', lower: [170, 100, 80], upper: [10, 255, 255] }],
  ['hsv', { name: 'green', color: '#00ff00', lower: [35, 50, 50], upper: [85, 255, 255] }],
  ['hsv', { name: 'narrow wrap', color: '#ff0000', lower: [179, 0, 0], upper: [0, 255, 255] }],
  ['hsv', { name: 'all', color: '#ffffff', lower: [0, 0, 0], upper: [179, 255, 255] }],
  ['bgr', { name: 'blueish', color: '#0000ff', lower: [100, 0, 0], upper: [255, 120, 90] }],
];

describe('rangeMask', () => {
  for (const [space, range] of cases) {
    it(`${space} ${range.name}: ${range.lower} .. ${range.upper} agrees with the rule on every pixel`, () => {
      const { mat, pixels } = gridImage(space);
      const mask = rangeMask(mat, space, range);
      const got = mask.getData();
      let selected = 0;
      pixels.forEach((p, i) => {
        const want = selects(space, range, p);
        if (want) selected++;
        if ((got[i] === 255) !== want) throw new Error(`pixel ${p} in ${space}: OpenCV says ${got[i]}, rule says ${want}`);
      });
      expect(selected).toBeGreaterThan(0);
      mat.release();
      mask.release();
    });
  }

  it('the wrapped red range selects BGR red and not green, through the real HSV conversion', () => {
    const bgr = newMat([
      [0, 0, 255], // red: hue 0
      [40, 0, 230], // red leaning magenta: hue ~175
      [0, 60, 255], // red leaning orange: hue ~7
      [0, 255, 0], // green
      [255, 0, 0], // blue
      [0, 0, 60], // dark red: V too low
    ]);
    const hsv = toSpace(bgr, 'hsv');
    const mask = rangeMask(hsv, 'hsv', cases[0]![1]);
    expect([...mask.getData()]).toEqual([255, 255, 255, 0, 0, 0]);
    // the JS conversion the viewer uses matches OpenCV's
    const ours = [
      [0, 0, 255],
      [40, 0, 230],
      [0, 60, 255],
    ].map((p) => bgrToHsv(p as Triple));
    const theirs = [...hsv.getData()];
    ours.forEach((p, i) => p.forEach((v, c) => expect(Math.abs(v - theirs[i * 3 + c]!)).toBeLessThanOrEqual(1)));
    for (const m of [bgr, hsv, mask]) m.release();
  });

  it('applyMask keeps the frame where the mask is set and blacks out the rest', () => {
    const frame = newMat([
      [10, 20, 30],
      [40, 50, 60],
      [70, 80, 90],
    ]);
    const mask = new cv.Mat(Buffer.from([255, 0, 255]), 1, 3, cv.CV_8UC1);
    const dst = new cv.Mat(1, 3, cv.CV_8UC3, [9, 9, 9]); // stale content must be cleared
    applyMask(frame, mask, dst);
    expect([...dst.getData()]).toEqual([10, 20, 30, 0, 0, 0, 70, 80, 90]);
    for (const m of [frame, mask, dst]) m.release();
  });

  it('channel limits: hue stops at 179, the rest at 255', () => {
    expect(channelMax('hsv', 0)).toBe(179);
    expect(channelMax('hsv', 1)).toBe(255);
    expect(channelMax('bgr', 0)).toBe(255);
  });
});
