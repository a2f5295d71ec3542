/**
 * Range arithmetic shared by server and viewer: conversions between spaces, widening, backoff.
 */
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../server/capture/backoff.js';
import { convertRange, hsvBox, rangeProblem, widenRange, type ColorRange } from '../../shared/settings.js';

describe('settings', () => {
  it('rangeProblem explains impossible ranges and accepts a wrapped hue', () => {
    const r = (lower: number[], upper: number[]): ColorRange => ({ name: 'r', color: '#000000', lower: lower as never, upper: upper as never });
    expect(rangeProblem('hsv', r([170, 0, 0], [10, 255, 255]))).toBeNull();
    expect(rangeProblem('hsv', r([0, 200, 0], [10, 100, 255]))).toBe('lower S (200) is above upper S (100)');
    expect(rangeProblem('hsv', r([0, 0, 0], [180, 255, 255]))).toBe('upper H is 180, outside 0..179');
    expect(rangeProblem('bgr', r([170, 0, 0], [10, 255, 255]))).toBe('lower B (170) is above upper B (10)');
  });

  it('converting a wrapped red HSV range to BGR gives a red box, and back gives a wrapped hue again', () => {
    const red: ColorRange = { name: 'red', color: '#ff0000', lower: [170, 150, 150], upper: [10, 255, 255] };
    const bgr = convertRange(red, 'hsv', 'bgr');
    expect(bgr.name).toBe('red');
    expect(bgr.upper[2]).toBe(255); // R reaches the top
    expect(bgr.lower[2]).toBeGreaterThanOrEqual(150);
    expect(bgr.upper[1]).toBeLessThan(200); // less green than red
    expect(bgr.lower[0]).toBeLessThan(bgr.lower[2]);
    const back = convertRange(bgr, 'bgr', 'hsv');
    // a box in one space is not a box in the other: the round trip may widen, never lose, the reds
    expect(rangeProblem('hsv', back)).toBeNull();
    const inHue = (h: number): boolean => (back.lower[0] <= back.upper[0] ? h >= back.lower[0] && h <= back.upper[0] : h >= back.lower[0] || h <= back.upper[0]);
    for (const h of [172, 178, 0, 5]) expect(inHue(h)).toBe(true);
    expect(back.lower[1]).toBeLessThanOrEqual(150);
    expect(back.upper[2]).toBe(255);
  });

  it('hsvBox takes the shortest hue arc', () => {
    expect(hsvBox([[175, 10, 10], [3, 20, 20], [178, 30, 30]])).toEqual({ lower: [175, 10, 10], upper: [3, 30, 30] });
    expect(hsvBox([[40, 0, 0], [60, 0, 0]])).toEqual({ lower: [40, 0, 0], upper: [60, 0, 0] });
  });

  it('widenRange clamps S/V/BGR and wraps hue', () => {
    expect(widenRange('hsv', { lower: [2, 10, 250], upper: [8, 20, 252] }, [5, 20, 20])).toEqual({ lower: [177, 0, 230], upper: [13, 40, 255] });
    expect(widenRange('hsv', { lower: [0, 0, 0], upper: [170, 0, 0] }, [10, 0, 0])).toMatchObject({ lower: [0, 0, 0], upper: [179, 0, 0] });
    expect(widenRange('bgr', { lower: [5, 100, 250], upper: [10, 110, 255] }, [30, 30, 30])).toEqual({ lower: [0, 70, 220], upper: [40, 140, 255] });
  });

  it('backoff doubles from the minimum, is capped, and is jittered downwards only', () => {
    const o = { minMs: 500, maxMs: 8000, jitter: 0.25 };
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, o, () => 0))).toEqual([500, 1000, 2000, 4000, 8000, 8000]);
    expect(backoffDelay(3, o, () => 1)).toBe(1500);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(2, o);
      expect(d).toBeGreaterThanOrEqual(750);
      expect(d).toBeLessThanOrEqual(1000);
    }
  });
});
