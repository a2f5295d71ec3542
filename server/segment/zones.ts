/**
 * Zones rasterised to masks, and what each region shows inside each include zone. A zone's
 * pixels are those the polygon covers when its corners are put on pixel centres (fraction 0 on
 * the first pixel, 1 on the last) and filled by OpenCV's fillPoly, edges included: zones that
 * share an edge share its pixels. Exclude zones are cut out of every region's mask (and out of
 * the include zones) before anything is measured.
 */
import type { TargetSettings } from '../../shared/targets.js';
import type { Zone, ZoneAnalysis } from '../../shared/zones.js';
import { blank, cv, type Mat } from '../cv.js';
import { findTargets } from './targets.js';

/** zonePoints puts a zone's corners on the pixels of a cols x rows picture. */
export function zonePoints(zone: Pick<Zone, 'points'>, cols: number, rows: number): InstanceType<typeof cv.Point2>[] {
  return zone.points.map(([x, y]) => new cv.Point2(Math.round(x * (cols - 1)), Math.round(y * (rows - 1))));
}

/** rasteriseZone returns a new 8-bit mask (255 inside) of one zone on a cols x rows picture; the caller releases it. */
export function rasteriseZone(zone: Pick<Zone, 'points'>, cols: number, rows: number): Mat {
  const m = blank(rows, cols, cv.CV_8UC1, 0);
  m.drawFillPoly([zonePoints(zone, cols, rows)], new cv.Vec3(255, 255, 255), cv.LINE_8);
  return m;
}

/** IncludeZone is an include zone's mask (exclude zones cut out) and its pixel count. */
export interface IncludeZone {
  name: string;
  mask: Mat;
  pixels: number;
}

/** ZoneSet is a camera's zones rasterised for one picture size; its Mats are borrowed from the cache. */
export interface ZoneSet {
  cols: number;
  rows: number;
  include: IncludeZone[];
  /** the union of the exclude zones, or null when there are none */
  exclude: Mat | null;
}

/**
 * ZoneCache keeps the rasterised zones of one camera: built again only when the zone list or
 * the picture size changes. The Mats it hands out stay valid until the next `get` that rebuilds,
 * or `release`.
 */
export class ZoneCache {
  private key = '';
  private set: ZoneSet | null = null;

  /** get returns the zones rasterised for a cols x rows picture. */
  get(zones: readonly Zone[], cols: number, rows: number): ZoneSet {
    const key = `${cols}x${rows}:${JSON.stringify(zones)}`;
    if (this.set && key === this.key) return this.set;
    this.release();
    let exclude: Mat | null = null;
    for (const z of zones.filter((z) => z.kind === 'exclude')) {
      const m = rasteriseZone(z, cols, rows);
      if (!exclude) exclude = m;
      else {
        const both: Mat = exclude.bitwiseOr(m);
        exclude.release();
        m.release();
        exclude = both;
      }
    }
    const include = zones
      .filter((z) => z.kind === 'include')
      .map((z) => {
        const mask = rasteriseZone(z, cols, rows);
        if (exclude) mask.setTo(0, exclude).release();
        return { name: z.name, mask, pixels: mask.countNonZero() };
      });
    this.set = { cols, rows, include, exclude };
    this.key = key;
    return this.set;
  }

  /** release frees the cached masks. */
  release(): void {
    if (this.set) {
      for (const z of this.set.include) z.mask.release();
      this.set.exclude?.release();
    }
    this.set = null;
    this.key = '';
  }
}

/** removeExcluded clears, in place, the pixels of `mask` inside the exclude zones (nothing when there are none). */
export function removeExcluded(mask: Mat, zones: ZoneSet): void {
  if (zones.exclude) mask.setTo(0, zones.exclude).release();
}

const round2 = (v: number): number => Math.round(v * 100) / 100;

/**
 * analyseZones reports, for each include zone, its share of the picture and, for each region,
 * the percent of the zone's pixels in the region's mask and the region's targets inside the
 * zone (the mask AND the zone; contours are cut at the zone's edge; targets' `percent` stays a
 * share of the whole picture).
 */
export function analyseZones(regions: readonly { name: string; mask: Mat }[], zones: ZoneSet, targets: TargetSettings): ZoneAnalysis[] {
  const total = zones.cols * zones.rows;
  return zones.include.map((z) => ({
    name: z.name,
    area: round2((100 * z.pixels) / total),
    regions: regions.map((r) => {
      const inside = blank(zones.rows, zones.cols, cv.CV_8UC1, 0);
      r.mask.copyTo(inside, z.mask).release();
      const covered = inside.countNonZero();
      const { found, targets: list } = findTargets(inside, targets);
      inside.release();
      return { name: r.name, coverage: z.pixels ? round2((100 * covered) / z.pixels) : 0, found, targets: list };
    }),
  }));
}
