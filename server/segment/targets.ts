/**
 * Targets of a region's mask: its outer contours (RETR_EXTERNAL), measured (area, box, rotated
 * box, centroid, fullness, aspect ratio), filtered, sorted, capped, and placed against the
 * crosshair. Contours come from findContours; the rest is a few native calls per contour, and
 * the costly ones (minAreaRect, moments) are made only for the contours the area filters keep.
 */
import type { Contour } from '@u4/opencv4nodejs';
import type { RegionTargets, Target, TargetSettings, TargetSort } from '../../shared/targets.js';
import { cv, type Mat } from '../cv.js';

const round = (v: number, places: number): number => {
  const f = 10 ** places;
  return Math.round(v * f) / f;
};

/**
 * crosshairPx is the crosshair as a pixel position of a cols x rows picture. Pixel centres are
 * at whole numbers, so the picture spans -0.5 .. cols - 0.5, and fraction 0.5 is its middle.
 */
export function crosshairPx(crosshair: TargetSettings['crosshair'], cols: number, rows: number): { x: number; y: number } {
  return { x: crosshair.x * cols - 0.5, y: crosshair.y * rows - 0.5 };
}

/** normalisedOffset scales d (px from the crosshair) by the distance to the picture's edge on its side: -1 .. 1. */
function normalisedOffset(d: number, cross: number, size: number): number {
  const reach = d < 0 ? cross + 0.5 : size - 0.5 - cross;
  if (reach <= 0) return d === 0 ? 0 : Math.sign(d);
  return Math.max(-1, Math.min(1, d / reach));
}

interface Candidate {
  contour: Contour;
  area: number;
  box: { x: number; y: number; w: number; h: number };
  aspect: number;
}

const SORTS: Record<TargetSort, (a: Target, b: Target, dist: (t: Target) => number) => number> = {
  largest: (a, b) => b.area - a.area,
  smallest: (a, b) => a.area - b.area,
  highest: (a, b) => a.cy - b.cy,
  lowest: (a, b) => b.cy - a.cy,
  leftmost: (a, b) => a.cx - b.cx,
  rightmost: (a, b) => b.cx - a.cx,
  centermost: (a, b, dist) => dist(a) - dist(b),
};

/**
 * findTargets returns the targets of an 8-bit mask under `settings`, best first (ties keep the
 * larger first), and how many contours there were before filtering. Speckle rejection compares
 * each contour with the mean area of all the mask's contours; the other filters are as
 * targetFiltersSchema says.
 */
export function findTargets(mask: Mat, settings: TargetSettings): { found: number; targets: Target[] } {
  const cols = mask.cols;
  const rows = mask.rows;
  const total = cols * rows;
  const f = settings.filters;
  const contours = mask.findContours(cv.RETR_EXTERNAL, cv.CHAIN_APPROX_SIMPLE);
  const areas = contours.map((c) => c.area);
  const mean = areas.length ? areas.reduce((a, b) => a + b, 0) / areas.length : 0;
  const candidates: Candidate[] = [];
  contours.forEach((contour, i) => {
    const area = areas[i]!;
    const percent = (100 * area) / total;
    if (f.speckle > 0 && area < (f.speckle / 100) * mean) return;
    if (area < f.minArea || (f.maxArea !== null && area > f.maxArea)) return;
    if (percent < f.minPercent || percent > f.maxPercent) return;
    const r = contour.boundingRect();
    const aspect = r.width / r.height;
    if (aspect < f.minAspect || (f.maxAspect !== null && aspect > f.maxAspect)) return;
    candidates.push({ contour, area, box: { x: r.x, y: r.y, w: r.width, h: r.height }, aspect });
  });
  const cross = crosshairPx(settings.crosshair, cols, rows);
  const targets: Target[] = [];
  for (const c of candidates) {
    const rr = c.contour.minAreaRect();
    const boxArea = rr.size.width * rr.size.height;
    const fullness = boxArea > 0 ? Math.min(1, c.area / boxArea) : 1;
    if (fullness < f.minFullness) continue;
    const m = c.contour.moments();
    const cx = m.m00 !== 0 ? m.m10 / m.m00 : c.box.x + (c.box.w - 1) / 2;
    const cy = m.m00 !== 0 ? m.m01 / m.m00 : c.box.y + (c.box.h - 1) / 2;
    const dx = cx - cross.x;
    const dy = cy - cross.y;
    targets.push({
      area: round(c.area, 1),
      percent: round((100 * c.area) / total, 3),
      box: c.box,
      rotated: {
        cx: round(rr.center.x, 1),
        cy: round(rr.center.y, 1),
        w: round(rr.size.width, 1),
        h: round(rr.size.height, 1),
        angle: round(rr.angle, 2),
        longAngle: round((rr.size.width >= rr.size.height ? rr.angle : rr.angle + 90) % 180, 2),
      },
      cx: round(cx, 1),
      cy: round(cy, 1),
      fullness: round(fullness, 3),
      aspect: round(c.aspect, 3),
      offset: { x: round(dx, 1), y: round(dy, 1), nx: round(normalisedOffset(dx, cross.x, cols), 3), ny: round(normalisedOffset(dy, cross.y, rows), 3) },
    });
  }
  const dist = (t: Target): number => Math.hypot(t.offset.x, t.offset.y);
  const order = SORTS[settings.sort];
  targets.sort((a, b) => order(a, b, dist) || b.area - a.area);
  return { found: contours.length, targets: targets.slice(0, settings.max) };
}

/** regionTargets is findTargets for one named region. */
export function regionTargets(region: { name: string; mask: Mat }, settings: TargetSettings): RegionTargets {
  const { found, targets } = findTargets(region.mask, settings);
  return { name: region.name, found, targets };
}
