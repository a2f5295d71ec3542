/**
 * Helpers for method results: the union of region masks, and releasing a result.
 */
import { blank, cv, type Mat } from '../../cv.js';
import type { MethodResult, Region } from './types.js';

/**
 * unionMask ORs region masks into a new mask of its own (a copy when there is one region, an
 * empty rows x cols mask when there is none); the regions' masks are left as they are.
 */
export function unionMask(regions: readonly Region[], rows: number, cols: number): Mat {
  if (regions.length === 0) return blank(rows, cols, cv.CV_8UC1, 0);
  if (regions.length === 1) return regions[0]!.mask.copy();
  let union = regions[0]!.mask.bitwiseOr(regions[1]!.mask);
  for (const r of regions.slice(2)) {
    const next = union.bitwiseOr(r.mask);
    union.release();
    union = next;
  }
  return union;
}

/** releaseResult releases a result's mask and every region's mask. */
export function releaseResult(result: MethodResult): void {
  result.mask.release();
  for (const r of result.regions) r.mask.release();
}
