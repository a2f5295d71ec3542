/**
 * Targets: the shapes of a region's mask that a robot or a rule acts on, found as the mask's
 * outer contours, filtered, sorted and capped, each measured against a crosshair. The settings
 * schema and the Target shape live here, imported by the server and the browser.
 */
import { z } from 'zod';

/**
 * TARGET_SORTS orders targets: by contour area (largest, smallest), by centroid height in the
 * picture (highest = nearest the top), by centroid x (leftmost, rightmost), or by distance from
 * the crosshair (centermost).
 */
export const TARGET_SORTS = ['largest', 'smallest', 'highest', 'lowest', 'leftmost', 'rightmost', 'centermost'] as const;
/** TargetSort is one of TARGET_SORTS. */
export type TargetSort = (typeof TARGET_SORTS)[number];

/** TARGET_LIMITS bound the target settings. */
export const TARGET_LIMITS = {
  max: [1, 32], // targets kept per region
  area: 100_000_000, // px
  aspect: 10_000, // box width / height
} as const;

const fraction = z.number().min(0).max(1);
const percent = z.number().min(0).max(100);

/**
 * targetFiltersSchema: a target is kept when its contour area is within minArea..maxArea px
 * (maxArea null = no limit) and minPercent..maxPercent % of the frame, its box's aspect ratio
 * (width / height) within minAspect..maxAspect (null = no limit), its fullness at least
 * minFullness (0..1), and its area at least `speckle` % of the mean area of all the region's
 * contours (0 = off; speckle rejection drops the specks of a mask relative to its own shapes).
 */
export const targetFiltersSchema = z.strictObject({
  minArea: z.number().min(0).max(TARGET_LIMITS.area),
  maxArea: z.number().min(0).max(TARGET_LIMITS.area).nullable(),
  minPercent: percent,
  maxPercent: percent,
  minAspect: z.number().min(0).max(TARGET_LIMITS.aspect),
  maxAspect: z.number().min(0).max(TARGET_LIMITS.aspect).nullable(),
  minFullness: fraction,
  speckle: percent,
});
/** TargetFilters are the filters a target must pass. */
export type TargetFilters = z.infer<typeof targetFiltersSchema>;

/** crosshairSchema is a point of the picture as fractions of its width and height. */
export const crosshairSchema = z.strictObject({ x: fraction, y: fraction });
/** Crosshair is the point offsets are measured from, fractions of the picture. */
export type Crosshair = z.infer<typeof crosshairSchema>;

/** targetSettingsSchema validates the target settings: filters, order, how many, and the crosshair. */
export const targetSettingsSchema = z.strictObject({
  filters: targetFiltersSchema,
  sort: z.enum(TARGET_SORTS),
  max: z.number().int().min(TARGET_LIMITS.max[0]).max(TARGET_LIMITS.max[1]),
  crosshair: crosshairSchema,
});
/** TargetSettings are a camera's target settings. */
export type TargetSettings = z.infer<typeof targetSettingsSchema>;

/** DEFAULT_TARGET_SETTINGS keeps every contour, largest first, at most 5, crosshair in the centre. */
export const DEFAULT_TARGET_SETTINGS: TargetSettings = {
  filters: { minArea: 0, maxArea: null, minPercent: 0, maxPercent: 100, minAspect: 0, maxAspect: null, minFullness: 0, speckle: 0 },
  sort: 'largest',
  max: 5,
  crosshair: { x: 0.5, y: 0.5 },
};

/** targetSettingsProblem says why schema-valid target settings select nothing by construction, or null. */
export function targetSettingsProblem(t: TargetSettings): string | null {
  const f = t.filters;
  if (f.maxArea !== null && f.minArea > f.maxArea) return `the minimum target area (${f.minArea} px) is above the maximum (${f.maxArea} px)`;
  if (f.minPercent > f.maxPercent) return `the minimum target size (${f.minPercent}%) is above the maximum (${f.maxPercent}%)`;
  if (f.maxAspect !== null && f.minAspect > f.maxAspect) return `the minimum aspect ratio (${f.minAspect}) is above the maximum (${f.maxAspect})`;
  return null;
}

/**
 * Target is one shape of a region's mask. Lengths and positions are px of the analysed frame
 * (x right, y down, origin the top-left corner of the top-left pixel's centre, as OpenCV).
 */
export interface Target {
  /** Area enclosed by the outer contour, px (a filled w x h rectangle encloses (w-1) x (h-1): the contour runs through pixel centres). */
  area: number;
  /** `area` as % of the frame. */
  percent: number;
  /** Upright bounding box of the contour, px. */
  box: { x: number; y: number; w: number; h: number };
  /**
   * Rotated box of least area (OpenCV's minAreaRect): centre and size px, angle in degrees as
   * OpenCV 4.6 gives it (0 < angle <= 90, the turn from the x axis to the box's `w` side, y down,
   * so clockwise on screen); `longAngle` is the turn of the box's longer side, 0 <= longAngle < 180.
   */
  rotated: { cx: number; cy: number; w: number; h: number; angle: number; longAngle: number };
  /** Centroid of the contour's area (its moments), px; the box centre for a contour without area. */
  cx: number;
  cy: number;
  /** Contour area / rotated-box area, 0..1 (1 for any rectangle; a box of no area counts as full). */
  fullness: number;
  /** Bounding box width / height. */
  aspect: number;
  /**
   * Centroid minus the crosshair point: `x`, `y` in px, and `nx`, `ny` normalised to -1..1 by the
   * distance from the crosshair to the picture's edge on that side (-1 at the left or top edge,
   * 1 at the right or bottom edge, whatever the crosshair's place).
   */
  offset: { x: number; y: number; nx: number; ny: number };
}

/** RegionTargets are the targets of one region (a range, class or cluster), best first. */
export interface RegionTargets {
  name: string;
  /** Contours found before filtering. */
  found: number;
  targets: Target[];
}
