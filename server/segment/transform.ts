/**
 * Input transforms: flip, turn and crop a frame (one native call each, on the cropped part
 * only), scale a copy down for segmentation, and scale masks and targets back up to the
 * picture. The geometry (which source pixels a crop of the turned picture holds, the analysis
 * size) is shared/transform.ts's.
 */
import { cropPixels, sourceRect, turnedSize, type Transform } from '../../shared/transform.js';
import type { Target } from '../../shared/targets.js';
import { cv, type Mat } from '../cv.js';

const FLIP_CODES = { h: 1, v: 0, both: -1 } as const;
const ROTATE_CODES = { 90: cv.ROTATE_90_CLOCKWISE, 180: cv.ROTATE_180, 270: cv.ROTATE_90_COUNTERCLOCKWISE } as const;

/**
 * transformFrame returns the frame flipped, turned clockwise and cropped as `t` says (a new,
 * continuous Mat the caller releases), or null when `t` does none of these. It crops the
 * source first (sourceRect), so the flip and the turn touch only the pixels kept: the result is
 * exactly flip, then rotate, then crop of the whole frame.
 */
export function transformFrame(frame: Mat, t: Pick<Transform, 'flip' | 'rotate' | 'crop'>): Mat | null {
  if (t.flip === 'none' && t.rotate === 0 && t.crop === null) return null;
  let m = frame;
  if (t.crop) {
    const turned = turnedSize(frame.cols, frame.rows, t.rotate);
    const r = sourceRect(cropPixels(t.crop, turned.cols, turned.rows), frame.cols, frame.rows, t.flip, t.rotate);
    m = frame.getRegion(new cv.Rect(r.x, r.y, r.w, r.h));
  }
  const step = (next: Mat): void => {
    if (m !== frame) m.release();
    m = next;
  };
  if (t.flip !== 'none') step(m.flip(FLIP_CODES[t.flip]));
  if (t.rotate !== 0) step(m.rotate(ROTATE_CODES[t.rotate]));
  if (m !== frame && t.flip === 'none' && t.rotate === 0) step(m.copy()); // a crop alone: own its pixels
  return m;
}

/**
 * downscaleForAnalysis returns a copy of `frame` scaled to `analysisWidth` px wide (INTER_AREA,
 * height in proportion), or null when there is no analysis width or the frame is not wider.
 */
export function downscaleForAnalysis(frame: Mat, analysisWidth: number | null): Mat | null {
  if (analysisWidth === null || analysisWidth >= frame.cols) return null;
  const rows = Math.max(1, Math.round((frame.rows * analysisWidth) / frame.cols));
  return frame.resize(rows, analysisWidth, 0, 0, cv.INTER_AREA);
}

/** upscaleMask returns a mask scaled to cols x rows with nearest-neighbour (still 0 | 255); the caller releases both. */
export function upscaleMask(mask: Mat, cols: number, rows: number): Mat {
  return mask.resize(rows, cols, 0, 0, cv.INTER_NEAREST);
}

const round = (v: number, places: number): number => {
  const f = 10 ** places;
  return Math.round(v * f) / f;
};

/**
 * scaleTarget maps a target found on the analysed copy to the picture, the copy being scaled by
 * sx, sy (picture px per copy px). Positions map pixel centre to pixel centre; lengths scale,
 * areas scale by sx * sy; shares, ratios, angles and normalised offsets are unchanged (the two
 * scales differ only by the rounding of the copy's height).
 */
export function scaleTarget(t: Target, sx: number, sy: number): Target {
  const x = (v: number): number => round((v + 0.5) * sx - 0.5, 1);
  const y = (v: number): number => round((v + 0.5) * sy - 0.5, 1);
  const s = (sx + sy) / 2;
  return {
    ...t,
    area: round(t.area * sx * sy, 1),
    box: { x: Math.round(t.box.x * sx), y: Math.round(t.box.y * sy), w: Math.round(t.box.w * sx), h: Math.round(t.box.h * sy) },
    rotated: { ...t.rotated, cx: x(t.rotated.cx), cy: y(t.rotated.cy), w: round(t.rotated.w * s, 1), h: round(t.rotated.h * s, 1) },
    cx: x(t.cx),
    cy: y(t.cy),
    offset: { x: round(t.offset.x * sx, 1), y: round(t.offset.y * sy, 1), nx: t.offset.nx, ny: t.offset.ny },
  };
}

/** scaleFactors are the picture px per analysed px, along x and y. */
export function scaleFactors(picture: { cols: number; rows: number }, analysed: { cols: number; rows: number }): { sx: number; sy: number } {
  return { sx: picture.cols / analysed.cols, sy: picture.rows / analysed.rows };
}
