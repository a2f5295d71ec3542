/**
 * Zones on known shapes: rasterised polygons, the cache, exclude zones cut out, and per zone
 * the coverage and targets of each region.
 */
import { describe, expect, it } from 'vitest';
import { blank, cv, type Mat } from '../../../server/cv.js';
import { ZoneCache, analyseZones, rasteriseZone, removeExcluded } from '../../../server/segment/zones.js';
import { DEFAULT_TARGET_SETTINGS } from '../../../shared/targets.js';
import { polygonArea, zoneSchema, zonesProblem, zonesSchema, type Zone } from '../../../shared/zones.js';
import { expectSameMask, releaseAll } from '../../helpers/frames.js';

const box = (name: string, kind: Zone['kind'], x0: number, y0: number, x1: number, y1: number): Zone => ({
  name,
  kind,
  points: [
    [x0, y0],
    [x1, y0],
    [x1, y1],
    [x0, y1],
  ],
});
const filled = (cols: number, rows: number, x: number, y: number, w: number, h: number): Mat => {
  const m = blank(rows, cols, cv.CV_8UC1, 0);
  m.drawRectangle(new cv.Point2(x, y), new cv.Point2(x + w - 1, y + h - 1), new cv.Vec3(255, 255, 255), -1, cv.LINE_8);
  return m;
};

describe('zones', () => {
  it('a box zone covers the pixels between its corners, corners on pixel centres (0 = first, 1 = last pixel)', () => {
    // 201 x 101: fractions 0.25 and 0.75 land exactly on pixels 50, 150 and 25, 75
    const m = rasteriseZone(box('z', 'include', 0.25, 0.25, 0.75, 0.75), 201, 101);
    const want = filled(201, 101, 50, 25, 101, 51);
    expectSameMask(m, want);
    const whole = rasteriseZone(box('all', 'include', 0, 0, 1, 1), 200, 100);
    expect(whole.countNonZero()).toBe(200 * 100);
    releaseAll(m, want, whole);
  });

  it('a triangle covers about half its box; polygonArea agrees', () => {
    const tri: Zone = {
      name: 't',
      kind: 'include',
      points: [
        [0, 0],
        [1, 0],
        [0, 1],
      ],
    };
    expect(polygonArea(tri.points)).toBe(0.5);
    const m = rasteriseZone(tri, 200, 200);
    const share = m.countNonZero() / (200 * 200);
    expect(share).toBeGreaterThan(0.5);
    expect(share).toBeLessThan(0.51); // the diagonal's pixels are included
    expect(m.at(10, 10)).toBe(255);
    expect(m.at(190, 190)).toBe(0);
    m.release();
  });

  it('the cache rasterises once per zone list and size, and cuts exclude zones out of include zones', () => {
    const cache = new ZoneCache();
    const zones = [box('left', 'include', 0, 0, 0.5, 1), box('clock', 'exclude', 0.25, 0.25, 0.75, 0.75)];
    const a = cache.get(zones, 201, 101);
    expect(
      cache.get(
        zones.map((z) => ({ ...z })),
        201,
        101,
      ),
    ).toBe(a); // same content: same set
    expect(a.include.map((z) => z.name)).toEqual(['left']);
    const clock = filled(201, 101, 50, 25, 101, 51);
    expectSameMask(a.exclude!, clock, 'exclude');
    // left half (x 0..100) minus the clock (x 50..150, y 25..75)
    expect(a.include[0]!.pixels).toBe(101 * 101 - 51 * 51);
    expect(a.include[0]!.mask.at(50, 75)).toBe(0);
    expect(a.include[0]!.mask.at(10, 75)).toBe(255);
    const b = cache.get(zones, 100, 50); // another size: rebuilt
    expect(b).not.toBe(a);
    expect(b.cols).toBe(100);
    const none = cache.get([], 100, 50);
    expect(none.include).toEqual([]);
    expect(none.exclude).toBeNull();
    cache.release();
    clock.release();
  });

  it('removeExcluded clears the excluded pixels of a mask in place', () => {
    const cache = new ZoneCache();
    const set = cache.get([box('a', 'exclude', 0, 0, 0.5, 1), box('b', 'exclude', 0.9, 0, 1, 1)], 101, 11);
    const m = blank(11, 101, cv.CV_8UC1, 255);
    removeExcluded(m, set);
    // kept: x 51..89
    const want = filled(101, 11, 51, 0, 39, 11);
    expectSameMask(m, want);
    const untouched = blank(11, 101, cv.CV_8UC1, 255);
    removeExcluded(untouched, cache.get([box('i', 'include', 0, 0, 1, 1)], 101, 11));
    expect(untouched.countNonZero()).toBe(101 * 11);
    releaseAll(m, want, untouched);
    cache.release();
  });

  it("per include zone: its area, and each region's coverage and targets inside it", () => {
    const cols = 201;
    const rows = 101;
    const cache = new ZoneCache();
    const set = cache.get([box('left', 'include', 0, 0, 0.5, 1), box('right', 'include', 0.5, 0, 1, 1)], cols, rows);
    // red: a 20 x 20 square in the left half and a 40 x 10 bar across the middle (x 80..119)
    const red = filled(cols, rows, 10, 10, 20, 20);
    red.drawRectangle(new cv.Point2(80, 50), new cv.Point2(119, 59), new cv.Vec3(255, 255, 255), -1, cv.LINE_8);
    const blue = filled(cols, rows, 150, 60, 10, 10);
    const report = analyseZones(
      [
        { name: 'red', mask: red },
        { name: 'blue', mask: blue },
      ],
      set,
      { ...DEFAULT_TARGET_SETTINGS, max: 10 },
    );
    expect(report.map((z) => z.name)).toEqual(['left', 'right']);
    const [left, right] = report as [(typeof report)[0], (typeof report)[0]];
    expect(left.area).toBeCloseTo((100 * 101 * 101) / (cols * rows), 2);
    // left zone: x 0..100 (101 px) -> red's square (400 px) and the bar's x 80..100 (21 x 10)
    expect(left.regions[0]!.coverage).toBeCloseTo((100 * (400 + 210)) / (101 * 101), 2);
    expect(left.regions[0]!.targets.map((t) => t.box)).toEqual([
      { x: 10, y: 10, w: 20, h: 20 },
      { x: 80, y: 50, w: 21, h: 10 }, // cut at the zone's edge
    ]);
    expect(left.regions[1]).toMatchObject({ name: 'blue', coverage: 0, found: 0, targets: [] });
    // right zone: x 100..200; the bar's x 100..119 (the shared column 100 counts in both)
    expect(right.regions[0]!.targets.map((t) => t.box)).toEqual([{ x: 100, y: 50, w: 20, h: 10 }]);
    expect(right.regions[1]!.targets[0]!.box).toEqual({ x: 150, y: 60, w: 10, h: 10 });
    expect(right.regions[1]!.coverage).toBeCloseTo((100 * 100) / (101 * 101), 2);
    // a target's share stays a share of the whole picture
    expect(right.regions[1]!.targets[0]!.percent).toBeCloseTo((100 * 81) / (cols * rows), 3);
    releaseAll(red, blue);
    cache.release();
  });

  it('schema and checks: 3..32 points of fractions, names distinct and not reserved, some area', () => {
    expect(zoneSchema.safeParse(box('z', 'include', 0, 0, 1, 1)).success).toBe(true);
    expect(
      zoneSchema.safeParse({
        name: 'z',
        kind: 'include',
        points: [
          [0, 0],
          [1, 1],
        ],
      }).success,
    ).toBe(false);
    expect(zoneSchema.safeParse({ name: 'z', kind: 'include', points: Array.from({ length: 33 }, (_, i) => [i / 33, (i % 2) / 2]) }).success).toBe(false);
    expect(
      zoneSchema.safeParse({
        name: 'z',
        kind: 'include',
        points: [
          [0, 0],
          [1.2, 0],
          [0, 1],
        ],
      }).success,
    ).toBe(false);
    expect(
      zoneSchema.safeParse({
        name: 'z',
        kind: 'mask',
        points: [
          [0, 0],
          [1, 0],
          [0, 1],
        ],
      }).success,
    ).toBe(false);
    expect(zonesSchema.safeParse(Array.from({ length: 17 }, (_, i) => box(`z${i}`, 'include', 0, 0, 1, 1))).success).toBe(false);
    expect(zonesProblem([box('a', 'include', 0, 0, 1, 1), box('b', 'exclude', 0, 0, 0.5, 0.5)])).toBeNull();
    expect(zonesProblem([box('a', 'include', 0, 0, 1, 1), box('a', 'exclude', 0, 0, 0.5, 0.5)])).toBe('two zones are named "a"; names must differ');
    expect(
      zonesProblem([
        {
          name: 'line',
          kind: 'include',
          points: [
            [0, 0],
            [0.5, 0.5],
            [1, 1],
          ],
        },
      ]),
    ).toBe('zone "line" encloses no area (its points are on one line)');
    expect(zonesProblem([box('all', 'include', 0, 0, 1, 1)])).toMatch(/may not be named "all"/);
  });
});
