/**
 * Converting a range to another colour space keeps what it selects: checked on the demo scene
 * with OpenCV's own conversion and inRange (the faithful-conversion regression: a red HSV range
 * selecting 2% of the scene once became a BGR box selecting 76% of it).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DemoScene } from '../../../server/capture/demo.js';
import { rangeMask, toSpace } from '../../../server/segment/mask.js';
import { convertRange, overlap } from '../../../shared/convert.js';
import type { ColorRange, Space } from '../../../shared/settings.js';

const scene = new DemoScene(640, 480);
const frames = [0, 3, 7].map((t) => scene.draw(t));
afterAll(() => {
  for (const f of frames) f.release();
  scene.release();
});

/** coverage is the percent of the demo frames a range selects, by OpenCV. */
function coverage(range: ColorRange, space: Space): number {
  let on = 0;
  let all = 0;
  for (const f of frames) {
    const converted = toSpace(f, space);
    const m = rangeMask(converted, space, range);
    on += m.countNonZero();
    all += m.rows * m.cols;
    m.release();
    if (converted !== f) converted.release();
  }
  return (100 * on) / all;
}

/** agreement is the intersection over union of what two ranges select on the demo frames. */
function agreement(a: ColorRange, as: Space, b: ColorRange, bs: Space): number {
  let inter = 0;
  let union = 0;
  for (const f of frames) {
    const ca = toSpace(f, as);
    const cb = toSpace(f, bs);
    const ma = rangeMask(ca, as, a);
    const mb = rangeMask(cb, bs, b);
    const i = ma.bitwiseAnd(mb);
    const u = ma.bitwiseOr(mb);
    inter += i.countNonZero();
    union += u.countNonZero();
    for (const m of [ma, mb, i, u]) m.release();
    if (ca !== f) ca.release();
    if (cb !== f) cb.release();
  }
  return union ? inter / union : 1;
}

const RANGES: [string, ColorRange][] = [
  ['the default red (hue wraps)', { name: 'red', color: '#ff3b30', lower: [170, 100, 80], upper: [10, 255, 255] }],
  ['green', { name: 'green', color: '#34c759', lower: [45, 120, 100], upper: [70, 255, 255] }],
  ['blue', { name: 'blue', color: '#0a84ff', lower: [95, 120, 100], upper: [125, 255, 255] }],
];

describe('convertRange', () => {
  for (const [what, hsv] of RANGES) {
    it(`${what}: HSV → BGR selects nearly the same pixels of the demo, and the round trip returns`, () => {
      const bgr = convertRange(hsv, 'hsv', 'bgr');
      const back = convertRange(bgr, 'bgr', 'hsv');
      const c0 = coverage(hsv, 'hsv');
      const c1 = coverage(bgr, 'bgr');
      const c2 = coverage(back, 'hsv');
      console.log(
        `${what}: HSV ${c0.toFixed(2)}% → BGR ${c1.toFixed(2)}% → HSV ${c2.toFixed(2)}%; agreement ${agreement(hsv, 'hsv', bgr, 'bgr').toFixed(2)} / ${agreement(hsv, 'hsv', back, 'hsv').toFixed(2)}`,
      );
      expect(c0).toBeGreaterThan(0.5); // the shape is in the scene
      expect(c1).toBeGreaterThan(c0 * 0.8);
      expect(c1).toBeLessThan(c0 * 1.25);
      expect(c2).toBeGreaterThan(c0 * 0.8);
      expect(c2).toBeLessThan(c0 * 1.25);
      expect(agreement(hsv, 'hsv', bgr, 'bgr')).toBeGreaterThan(0.9);
      expect(agreement(hsv, 'hsv', back, 'hsv')).toBeGreaterThan(0.9);
      expect({ name: bgr.name, color: bgr.color }).toEqual({ name: hsv.name, color: hsv.color });
    });
  }

  it('over the whole colour cube, a converted range overlaps the original more than its corner box did', () => {
    const red = RANGES[0]![1];
    const bgr = convertRange(red, 'hsv', 'bgr');
    expect(overlap(red, 'hsv', bgr, 'bgr')).toBeGreaterThan(0.5);
    // the corner-to-corner box: every HSV corner converted, bounding box taken
    const corners = { ...red, lower: [0, 0, 49] as [number, number, number], upper: [155, 170, 255] as [number, number, number] };
    expect(overlap(red, 'hsv', corners, 'bgr')).toBeLessThan(overlap(red, 'hsv', bgr, 'bgr'));
  });

  it('the same space is a copy, and a range too thin to hit the sampled cube still converts', () => {
    const r = RANGES[1]![1];
    const same = convertRange(r, 'hsv', 'hsv');
    expect(same).toEqual(r);
    expect(same.lower).not.toBe(r.lower);
    const thin: ColorRange = { name: 't', color: '#000000', lower: [5, 5, 5], upper: [6, 6, 6] };
    expect(convertRange(thin, 'bgr', 'hsv').lower.length).toBe(3);
  });
});
