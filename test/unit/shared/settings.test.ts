/**
 * Range arithmetic shared by server and viewer: limits, widening, names and colours filled in,
 * names that must differ.
 */
import { describe, expect, it } from 'vitest';
import { completeRanges, hsvBox, rangeNamesProblem, rangeProblem, widenRange, RANGE_COLORS, type ColorRange } from '../../../shared/settings.js';

const r = (lower: number[], upper: number[], name = 'r'): ColorRange => ({ name, color: '#000000', lower: lower as never, upper: upper as never });

describe('settings', () => {
  it('rangeProblem explains impossible ranges and accepts a wrapped hue', () => {
    expect(rangeProblem('hsv', r([170, 0, 0], [10, 255, 255]))).toBeNull();
    expect(rangeProblem('hsv', r([0, 200, 0], [10, 100, 255]))).toBe('lower S (200) is above upper S (100)');
    expect(rangeProblem('hsv', r([0, 0, 0], [180, 255, 255]))).toBe('upper H is 180, outside 0..179');
    expect(rangeProblem('hsv', r([0, 0, 0], [10, 300, 255]))).toBe('upper S is 300, outside 0..255');
    expect(rangeProblem('bgr', r([170, 0, 0], [10, 255, 255]))).toBe('lower B (170) is above upper B (10)');
    expect(rangeProblem('bgr', r([-1, 0, 0], [10, 255, 255]))).toBe('lower B is -1, outside 0..255');
  });

  it('hsvBox takes the shortest hue arc', () => {
    expect(
      hsvBox([
        [175, 10, 10],
        [3, 20, 20],
        [178, 30, 30],
      ]),
    ).toEqual({ lower: [175, 10, 10], upper: [3, 30, 30] });
    expect(
      hsvBox([
        [40, 0, 0],
        [60, 0, 0],
      ]),
    ).toEqual({ lower: [40, 0, 0], upper: [60, 0, 0] });
  });

  it('widenRange clamps S/V/BGR and wraps hue', () => {
    expect(widenRange('hsv', { lower: [2, 10, 250], upper: [8, 20, 252] }, [5, 20, 20])).toEqual({ lower: [177, 0, 230], upper: [13, 40, 255] });
    expect(widenRange('hsv', { lower: [0, 0, 0], upper: [170, 0, 0] }, [10, 0, 0])).toMatchObject({ lower: [0, 0, 0], upper: [179, 0, 0] });
    expect(widenRange('bgr', { lower: [5, 100, 250], upper: [10, 110, 255] }, [30, 30, 30])).toEqual({ lower: [0, 70, 220], upper: [40, 140, 255] });
  });

  it('completeRanges names ranges by position (skipping names in use) and colours them from the palette', () => {
    const done = completeRanges([
      { lower: [0, 0, 0], upper: [1, 1, 1] },
      { name: 'range1', lower: [0, 0, 0], upper: [1, 1, 1] },
      { color: '#123456', lower: [0, 0, 0], upper: [1, 1, 1] },
    ]);
    expect(done.map((x) => x.name)).toEqual(['range2', 'range1', 'range3']);
    expect(done.map((x) => x.color)).toEqual([RANGE_COLORS[0], RANGE_COLORS[1], '#123456']);
  });

  it('rangeNamesProblem refuses duplicate names and the reserved ones', () => {
    expect(rangeNamesProblem([r([0, 0, 0], [1, 1, 1], 'a'), r([0, 0, 0], [1, 1, 1], 'b')])).toBeNull();
    expect(rangeNamesProblem([r([0, 0, 0], [1, 1, 1], 'obj'), r([0, 0, 0], [1, 1, 1], 'obj')])).toMatch(/two ranges are named "obj"/);
    expect(rangeNamesProblem([r([0, 0, 0], [1, 1, 1], 'all')])).toMatch(/may not be named "all"/);
    expect(rangeNamesProblem([r([0, 0, 0], [1, 1, 1], 'motion')])).toMatch(/may not be named "motion"/);
  });
});
