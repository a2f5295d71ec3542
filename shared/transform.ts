/**
 * Input transforms of a camera: what is done to each frame before anything looks at it. In
 * order: flip, rotate (clockwise), crop (fractions of the flipped and rotated picture, the
 * picture a viewer sees), and optionally segmenting a copy scaled down to `analysisWidth` px
 * (masks and targets are scaled back up to the picture's size). Schema and pure geometry,
 * browser-safe.
 */
import { z } from 'zod';

/** FLIPS: none, horizontal (mirror left-right), vertical (upside down), both (= rotate 180). */
export const FLIPS = ['none', 'h', 'v', 'both'] as const;
/** Flip is one of FLIPS. */
export type Flip = (typeof FLIPS)[number];

/** ROTATIONS are the clockwise turns, degrees. */
export const ROTATIONS = [0, 90, 180, 270] as const;
/** Rotation is one of ROTATIONS. */
export type Rotation = (typeof ROTATIONS)[number];

/** TRANSFORM_LIMITS bound the analysis width, px. */
export const TRANSFORM_LIMITS = { analysisWidth: [32, 3840] } as const;

const fraction = z.number().min(0).max(1);

/** cropSchema is a box of the picture as fractions of its width and height. */
export const cropSchema = z.strictObject({ x: fraction, y: fraction, w: fraction, h: fraction });
/** Crop is a box of the picture, fractions. */
export type Crop = z.infer<typeof cropSchema>;

/** transformSchema validates a camera's input transform. */
export const transformSchema = z.strictObject({
  flip: z.enum(FLIPS),
  rotate: z.union([z.literal(0), z.literal(90), z.literal(180), z.literal(270)], { error: 'must be 0, 90, 180 or 270' }),
  crop: cropSchema.nullable(),
  analysisWidth: z.number().int().min(TRANSFORM_LIMITS.analysisWidth[0]).max(TRANSFORM_LIMITS.analysisWidth[1]).nullable(),
});
/** Transform is a camera's input transform. */
export type Transform = z.infer<typeof transformSchema>;

/** DEFAULT_TRANSFORM leaves frames as they come. */
export const DEFAULT_TRANSFORM: Transform = { flip: 'none', rotate: 0, crop: null, analysisWidth: null };

/** transformProblem says why a schema-valid transform cannot be used, or null. */
export function transformProblem(t: Transform): string | null {
  const c = t.crop;
  if (!c) return null;
  if (c.w <= 0 || c.h <= 0) return 'the crop must have a width and a height';
  if (c.x + c.w > 1 + 1e-9 || c.y + c.h > 1 + 1e-9) return 'the crop must lie inside the picture (x + w and y + h at most 1)';
  return null;
}

/** isIdentity tells whether a transform changes nothing (no flip, no turn, no crop, no analysis scaling). */
export function isIdentity(t: Transform): boolean {
  return t.flip === 'none' && t.rotate === 0 && t.crop === null && t.analysisWidth === null;
}

/** PixelRect is a box of whole pixels: [x, x + w) x [y, y + h). */
export interface PixelRect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** turnedSize is the size of a cols x rows picture after `rotate` (90 and 270 swap the sides). */
export function turnedSize(cols: number, rows: number, rotate: Rotation): { cols: number; rows: number } {
  return rotate === 90 || rotate === 270 ? { cols: rows, rows: cols } : { cols, rows };
}

/**
 * cropPixels is the crop as whole pixels of a picture of cols x rows (rounded to the nearest
 * pixel edge, at least 1 px, inside the picture); the whole picture when there is no crop.
 */
export function cropPixels(crop: Crop | null, cols: number, rows: number): PixelRect {
  if (!crop) return { x: 0, y: 0, w: cols, h: rows };
  const x0 = Math.min(cols - 1, Math.max(0, Math.round(crop.x * cols)));
  const y0 = Math.min(rows - 1, Math.max(0, Math.round(crop.y * rows)));
  const x1 = Math.min(cols, Math.max(x0 + 1, Math.round((crop.x + crop.w) * cols)));
  const y1 = Math.min(rows, Math.max(y0 + 1, Math.round((crop.y + crop.h) * rows)));
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/**
 * sourceRect maps a box of the flipped-and-turned picture back to the box of the source frame
 * (cols x rows) that holds the same pixels: cropping the source there, then flipping and turning,
 * gives exactly the crop of the flipped and turned frame, for less work.
 */
export function sourceRect(r: PixelRect, cols: number, rows: number, flip: Flip, rotate: Rotation): PixelRect {
  // undo the turn: boxes of the flipped picture (cols x rows)
  let s: PixelRect;
  switch (rotate) {
    case 0:
      s = { ...r };
      break;
    case 90: // source (u, v) -> (rows - 1 - v, u)
      s = { x: r.y, y: rows - (r.x + r.w), w: r.h, h: r.w };
      break;
    case 180:
      s = { x: cols - (r.x + r.w), y: rows - (r.y + r.h), w: r.w, h: r.h };
      break;
    case 270: // source (u, v) -> (v, cols - 1 - u)
      s = { x: cols - (r.y + r.h), y: r.x, w: r.h, h: r.w };
      break;
  }
  // undo the flip (each is its own inverse)
  if (flip === 'h' || flip === 'both') s.x = cols - (s.x + s.w);
  if (flip === 'v' || flip === 'both') s.y = rows - (s.y + s.h);
  return s;
}

/**
 * analysisSize is the size segmentation runs at for a transformed picture of cols x rows: the
 * picture scaled to `analysisWidth` px wide (height in proportion, at least 1 px), or the
 * picture itself when there is no analysis width or it is not narrower.
 */
export function analysisSize(cols: number, rows: number, analysisWidth: number | null): { cols: number; rows: number } {
  if (analysisWidth === null || analysisWidth >= cols) return { cols, rows };
  return { cols: analysisWidth, rows: Math.max(1, Math.round((rows * analysisWidth) / cols)) };
}
