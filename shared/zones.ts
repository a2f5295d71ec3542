/**
 * Zones: named polygons of a camera's picture (points as fractions of its width and height).
 * An `include` zone is a place to report on: each region's coverage and targets inside it. An
 * `exclude` zone is cut out of every region's mask before cleanup and analysis, as if nothing
 * were ever there (a clock, a screen, a tree in the wind). Schema and types, browser-safe.
 */
import { z } from 'zod';
import { RESERVED_RANGE_NAMES } from './ranges.js';
import type { RegionTargets } from './targets.js';

/** ZONE_KINDS: report inside (`include`) or cut out (`exclude`). */
export const ZONE_KINDS = ['include', 'exclude'] as const;
/** ZoneKind is one of ZONE_KINDS. */
export type ZoneKind = (typeof ZONE_KINDS)[number];

/**
 * ZONE_LIMITS bound a camera's zones. The name length is settings.ts's LIMITS.nameLength,
 * written here so that settings.ts may import this module without an import cycle at load.
 */
export const ZONE_LIMITS = { points: [3, 32], zones: 16, nameLength: 32 } as const;

const fraction = z.number().min(0).max(1);

/** pointSchema is `[x, y]`, fractions of the picture's width and height (0,0 top-left; 1,1 bottom-right). */
export const pointSchema = z.tuple([fraction, fraction], { error: 'must be [x, y], each 0..1' });

/** zoneSchema validates one zone: a name, its kind and a polygon of 3..32 points. */
export const zoneSchema = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(ZONE_LIMITS.nameLength),
  kind: z.enum(ZONE_KINDS),
  points: z
    .array(pointSchema)
    .min(ZONE_LIMITS.points[0], `a zone needs at least ${ZONE_LIMITS.points[0]} points`)
    .max(ZONE_LIMITS.points[1], `a zone may have at most ${ZONE_LIMITS.points[1]} points`),
});
/** Zone is one named polygon of a camera's picture. */
export type Zone = z.infer<typeof zoneSchema>;

/** zonesSchema validates a camera's zones. */
export const zonesSchema = z.array(zoneSchema).max(ZONE_LIMITS.zones, `at most ${ZONE_LIMITS.zones} zones are allowed`);

/** polygonArea is the area of a polygon given as fractions (shoelace formula; self-crossings may cancel). */
export function polygonArea(points: readonly (readonly [number, number])[]): number {
  let twice = 0;
  for (let i = 0; i < points.length; i++) {
    const [x0, y0] = points[i]!;
    const [x1, y1] = points[(i + 1) % points.length]!;
    twice += x0 * y1 - x1 * y0;
  }
  return Math.abs(twice) / 2;
}

/** zonesProblem says why a list of zones cannot be used, or null: duplicate or reserved names, polygons of no area. */
export function zonesProblem(zones: readonly Zone[]): string | null {
  const seen = new Set<string>();
  for (const z of zones) {
    if (RESERVED_RANGE_NAMES.includes(z.name)) return `a zone may not be named "${z.name}"`;
    if (seen.has(z.name)) return `two zones are named "${z.name}"; names must differ`;
    seen.add(z.name);
    if (polygonArea(z.points) === 0) return `zone "${z.name}" encloses no area (its points are on one line)`;
  }
  return null;
}

/** ZoneRegion is what one region shows inside one include zone. */
export interface ZoneRegion extends RegionTargets {
  /** Percent of the zone's pixels in this region's mask. */
  coverage: number;
}

/** ZoneAnalysis is one include zone's report for one frame. */
export interface ZoneAnalysis {
  name: string;
  /** Percent of the frame the zone covers (after the exclude zones are cut out of it). */
  area: number;
  regions: ZoneRegion[];
}
