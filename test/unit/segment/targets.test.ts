/**
 * Targets on masks of known rectangles: areas, boxes, centroids, each filter, each sort order,
 * the cap, crosshair offsets, and minAreaRect's angles for rotated rectangles.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blank, cv, type Mat } from '../../../server/cv.js';
import { crosshairPx, findTargets, regionTargets } from '../../../server/segment/targets.js';
import { DEFAULT_TARGET_SETTINGS, TARGET_SORTS, targetSettingsProblem, targetSettingsSchema, type TargetSettings } from '../../../shared/targets.js';

const rect = (m: Mat, x: number, y: number, w: number, h: number): void =>
  m.drawRectangle(new cv.Point2(x, y), new cv.Point2(x + w - 1, y + h - 1), new cv.Vec3(255, 255, 255), -1, cv.LINE_8);

/**
 * A: 40x20 at (10, 10); B: 20x20 at (90, 40); C: 10x30 at (150, 10); D: 4x4 at (180, 80);
 * E: an L of two 30x10 bars at (20, 60) (not full). On 200 x 100.
 */
let mask: Mat;
beforeAll(() => {
  mask = blank(100, 200, cv.CV_8UC1, 0);
  rect(mask, 10, 10, 40, 20);
  rect(mask, 90, 40, 20, 20);
  rect(mask, 150, 10, 10, 30);
  rect(mask, 180, 80, 4, 4);
  rect(mask, 20, 60, 30, 10);
  rect(mask, 20, 60, 10, 30);
});
afterAll(() => mask.release());

const settings = (t: Omit<Partial<TargetSettings>, 'filters'> & { filters?: Partial<TargetSettings['filters']> } = {}): TargetSettings => ({
  ...DEFAULT_TARGET_SETTINGS,
  max: 32,
  ...t,
  filters: { ...DEFAULT_TARGET_SETTINGS.filters, ...t.filters },
});
/** names the targets by their boxes */
const named = (s: TargetSettings): string[] =>
  findTargets(mask, s).targets.map((t) => {
    const key = `${t.box.x},${t.box.y}`;
    return { '10,10': 'A', '90,40': 'B', '150,10': 'C', '180,80': 'D', '20,60': 'E' }[key] ?? key;
  });

describe('targets', () => {
  it('measures each rectangle exactly: contour area, box, centroid, fullness, aspect', () => {
    const { found, targets } = findTargets(mask, settings());
    expect(found).toBe(5);
    const a = targets.find((t) => t.box.x === 10)!;
    expect(a).toMatchObject({ area: 39 * 19, box: { x: 10, y: 10, w: 40, h: 20 }, cx: 29.5, cy: 19.5, fullness: 1, aspect: 2 });
    expect(a.percent).toBeCloseTo((100 * 741) / 20000, 3);
    expect(a.rotated).toMatchObject({ cx: 29.5, cy: 19.5 });
    expect([a.rotated.w, a.rotated.h].sort((x, y) => x - y)).toEqual([19, 39]);
    expect(a.rotated.longAngle).toBe(0);
    const c = targets.find((t) => t.box.x === 150)!;
    expect(c).toMatchObject({ area: 9 * 29, cx: 154.5, cy: 24.5, aspect: 0.333 });
    expect(c.rotated.longAngle).toBe(90);
    const e = targets.find((t) => t.box.x === 20)!;
    expect(e.fullness).toBeLessThan(0.6); // an L fills about half its box
    expect(e.box).toEqual({ x: 20, y: 60, w: 30, h: 30 });
  });

  it('sorts by each order (ties: larger first)', () => {
    const want: Record<string, string[]> = {
      largest: ['A', 'E', 'B', 'C', 'D'],
      smallest: ['D', 'C', 'B', 'E', 'A'],
      highest: ['A', 'C', 'B', 'E', 'D'], // cy 19.5, 24.5, 49.5, ~70, 81.5
      lowest: ['D', 'E', 'B', 'C', 'A'],
      leftmost: ['A', 'E', 'B', 'C', 'D'], // cx 29.5, ~30.5, 99.5, 154.5, 181.5
      rightmost: ['D', 'C', 'B', 'E', 'A'],
      centermost: ['B', 'C', 'E', 'A', 'D'], // from (99.5, 49.5)
    };
    for (const sort of TARGET_SORTS) expect(named(settings({ sort })), sort).toEqual(want[sort]);
    // the L's centroid is its area's, not its box's centre (35): its mass sits at the corner
    const { targets } = findTargets(mask, settings());
    const e = targets.find((t) => t.box.x === 20)!;
    expect(e.cx).toBeGreaterThan(29.5);
    expect(e.cx).toBeLessThan(32);
  });

  it('keeps the best `max`', () => {
    expect(named(settings({ max: 2 }))).toEqual(['A', 'E']);
    expect(named(settings({ max: 1, sort: 'smallest' }))).toEqual(['D']);
  });

  it('filters by area, share of the frame, aspect ratio, fullness and speckle', () => {
    // areas: A 741, E ~551, B 361, C 261, D 9
    expect(named(settings({ filters: { minArea: 300 } }))).toEqual(['A', 'E', 'B']);
    expect(named(settings({ filters: { maxArea: 361 } }))).toEqual(['B', 'C', 'D']);
    expect(named(settings({ filters: { minArea: 261, maxArea: 361 } }))).toEqual(['B', 'C']);
    expect(named(settings({ filters: { minPercent: 2 } }))).toEqual(['A', 'E']); // > 400 px of 20000
    expect(named(settings({ filters: { maxPercent: 1 } }))).toEqual(['D']); // < 200 px
    expect(named(settings({ filters: { minAspect: 1.5 } }))).toEqual(['A']);
    expect(named(settings({ filters: { maxAspect: 0.5 } }))).toEqual(['C']);
    expect(named(settings({ filters: { minAspect: 1, maxAspect: 1 } }))).toEqual(['E', 'B', 'D']);
    expect(named(settings({ filters: { minFullness: 0.9 } }))).toEqual(['A', 'B', 'C', 'D']);
    // mean area ~385: 10% of it is ~38.5, which only D (9 px) is below; 80% (308) drops C too
    expect(named(settings({ filters: { speckle: 10 } }))).toEqual(['A', 'E', 'B', 'C']);
    expect(named(settings({ filters: { speckle: 80 } }))).toEqual(['A', 'E', 'B']);
  });

  it('offsets from the crosshair: px and normalised to the picture edge on each side', () => {
    const centre = findTargets(mask, settings({ sort: 'centermost', max: 1 })).targets[0]!;
    // B's centroid (99.5, 49.5) is the middle of a 200 x 100 picture
    expect(crosshairPx({ x: 0.5, y: 0.5 }, 200, 100)).toEqual({ x: 99.5, y: 49.5 });
    expect(centre.offset).toEqual({ x: 0, y: 0, nx: 0, ny: 0 });
    const d = findTargets(mask, settings({ sort: 'rightmost', max: 1 })).targets[0]!; // D at (181.5, 81.5)
    expect(d.offset).toEqual({ x: 82, y: 32, nx: 0.82, ny: 0.64 });
    // crosshair at the top-left corner: everything is right and down, up to +1
    const corner = findTargets(mask, settings({ sort: 'rightmost', max: 1, crosshair: { x: 0, y: 0 } })).targets[0]!;
    expect(corner.offset).toEqual({ x: 182, y: 82, nx: 0.91, ny: 0.82 });
    // crosshair at 3/4 across: A (29.5) is left of it, normalised by the 150 px to the left edge
    const a = findTargets(mask, settings({ sort: 'largest', max: 1, crosshair: { x: 0.75, y: 0.25 } })).targets[0]!;
    expect(a.offset).toEqual({ x: -120, y: -5, nx: -0.8, ny: -0.2 }); // crosshair y 24.5: 25 px to the top edge
  });

  it('minAreaRect of a rotated rectangle: its size, and its angle as OpenCV 4.6 gives it', () => {
    for (const deg of [10, 30, 45, 60, 80, 100, 135, 170]) {
      const m = blank(200, 200, cv.CV_8UC1, 0);
      const t = (deg * Math.PI) / 180;
      const corners = [
        [-40, -15],
        [40, -15],
        [40, 15],
        [-40, 15],
      ].map(([x, y]) => new cv.Point2(Math.round(100 + x! * Math.cos(t) - y! * Math.sin(t)), Math.round(100 + x! * Math.sin(t) + y! * Math.cos(t))));
      m.drawFillPoly([corners], new cv.Vec3(255, 255, 255), cv.LINE_8);
      const [target] = findTargets(m, settings()).targets;
      const r = target!.rotated;
      expect(Math.abs(r.cx - 100), `${deg}: cx`).toBeLessThan(1);
      expect(Math.abs(r.cy - 100), `${deg}: cy`).toBeLessThan(1);
      expect(Math.max(r.w, r.h), `${deg}: long side`).toBeCloseTo(80, -0.5);
      expect(Math.min(r.w, r.h), `${deg}: short side`).toBeCloseTo(30, -0.5);
      // OpenCV: 0 < angle <= 90, the turn to the w side; the long side's turn is the drawn angle
      expect(r.angle).toBeGreaterThan(0);
      expect(r.angle).toBeLessThanOrEqual(90);
      expect(Math.abs(r.angle - (deg % 90)), `${deg}: angle ${r.angle}`).toBeLessThan(1);
      expect(Math.abs(r.longAngle - deg), `${deg}: long side at ${r.longAngle}`).toBeLessThan(1);
      expect(r.w > r.h).toBe(deg < 90);
      expect(target!.fullness).toBeGreaterThan(0.9);
      m.release();
    }
  });

  it('an empty mask has no targets; regionTargets names them', () => {
    const empty = blank(50, 50, cv.CV_8UC1, 0);
    expect(findTargets(empty, settings())).toEqual({ found: 0, targets: [] });
    expect(regionTargets({ name: 'red', mask: empty }, settings())).toEqual({ name: 'red', found: 0, targets: [] });
    empty.release();
  });

  it('settings: the default parses; impossible bounds are named', () => {
    expect(targetSettingsSchema.parse(DEFAULT_TARGET_SETTINGS)).toEqual(DEFAULT_TARGET_SETTINGS);
    expect(targetSettingsSchema.safeParse({ ...DEFAULT_TARGET_SETTINGS, sort: 'random' }).success).toBe(false);
    expect(targetSettingsSchema.safeParse({ ...DEFAULT_TARGET_SETTINGS, max: 0 }).success).toBe(false);
    expect(targetSettingsSchema.safeParse({ ...DEFAULT_TARGET_SETTINGS, crosshair: { x: 1.5, y: 0 } }).success).toBe(false);
    expect(targetSettingsProblem(DEFAULT_TARGET_SETTINGS)).toBeNull();
    expect(targetSettingsProblem(settings({ filters: { minArea: 10, maxArea: 5 } }))).toMatch(/minimum target area \(10 px\) is above the maximum \(5 px\)/);
    expect(targetSettingsProblem(settings({ filters: { minPercent: 10, maxPercent: 5 } }))).toMatch(/minimum target size/);
    expect(targetSettingsProblem(settings({ filters: { minAspect: 2, maxAspect: 1 } }))).toMatch(/aspect ratio/);
  });
});
