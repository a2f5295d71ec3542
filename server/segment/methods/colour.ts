/**
 * The colour method: one mask per range, by OpenCV's inRange, in HSV, BGR or 8-bit Lab. For HSV
 * and BGR the masks are exactly mask.ts's rangeMask (the seed's calls, hue wrap included); Lab
 * is the frame converted by cvtColor(COLOR_BGR2Lab), then inRange (no channel wraps).
 */
import { completeColourRanges, type ColourMethod, type Method } from '../../../shared/methods.js';
import type { ColorRange } from '../../../shared/settings.js';
import { cv, onOneThread, type Mat } from '../../cv.js';
import { rangeMask, toSpace } from '../mask.js';
import { unionMask } from './regions.js';
import { checkKind, type MethodResult, type Region, type Segmenter } from './types.js';

/** colourSpaceOf returns the frame in `space` (a new Mat, or the frame itself for BGR). */
export function colourSpaceOf(frame: Mat, space: ColourMethod['space']): Mat {
  if (space === 'lab') return frame.cvtColor(cv.COLOR_BGR2Lab);
  return toSpace(frame, space);
}

/** colourRangeMask selects the pixels of `converted` (already in `space`) inside `range`. */
export function colourRangeMask(converted: Mat, space: ColourMethod['space'], range: ColorRange): Mat {
  if (space !== 'lab') return rangeMask(converted, space, range);
  const [l0, l1, l2] = range.lower;
  const [u0, u1, u2] = range.upper;
  return converted.inRange(new cv.Vec3(l0, l1, l2), new cv.Vec3(u0, u1, u2));
}

/** ColourSegmenter runs the colour method; it keeps no state between frames but its settings. */
export class ColourSegmenter implements Segmenter {
  readonly kind = 'colour' as const;
  private space: ColourMethod['space'] = 'hsv';
  private ranges: ColorRange[] = [];

  constructor(method: ColourMethod) {
    this.update(method);
  }

  /** update takes new ranges or a new space. */
  update(method: Method): void {
    checkKind('colour', method);
    this.space = method.space;
    this.ranges = completeColourRanges(method.ranges);
  }

  /** apply converts the frame once and masks each range; the conversion and inRange run on OpenCV's thread alone, as segment.ts does. */
  apply(frame: Mat): MethodResult {
    const converted = onOneThread(() => colourSpaceOf(frame, this.space));
    const regions: Region[] = this.ranges.map((range) => ({
      name: range.name,
      color: range.color,
      mask: onOneThread(() => colourRangeMask(converted, this.space, range)),
    }));
    if (converted !== frame) converted.release();
    return { mask: unionMask(regions, frame.rows, frame.cols), regions };
  }

  /** release forgets the ranges (the segmenter keeps no Mats). */
  release(): void {
    this.ranges = [];
  }
}
