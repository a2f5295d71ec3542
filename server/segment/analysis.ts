/**
 * Analysis of a mask: coverage, and, when blobs are asked for, the blob count and the area,
 * bounding box and centroid of the largest blobs, computed natively by
 * connectedComponentsWithStats (the costliest step of a default frame after the JPEG).
 */
import type { Blob, RangeAnalysis } from '../../shared/protocol.js';
import { cv, type Mat } from '../cv.js';

/** TOP_BLOBS is how many of the largest blobs are reported per range. */
export const TOP_BLOBS = 5;

/** analyseMask describes an 8-bit mask: its coverage, and its blobs if `blobs` is set. */
export function analyseMask(mask: Mat, name: string, color: string, blobs = true): RangeAnalysis {
  if (!blobs) return { name, color, coverage: coverage(mask) };
  const { labels, stats, centroids } = mask.connectedComponentsWithStats(8, cv.CV_32S);
  const n = stats.rows; // label 0 is the background
  // read in place (little-endian, as on every platform Node runs OpenCV on): per label,
  // stats holds int32 x, y, w, h, area and centroids float64 cx, cy
  const s = stats.getData();
  const c = centroids.getData();
  const stat = (label: number, k: number): number => s.readInt32LE((label * 5 + k) * 4);
  const centre = (label: number, k: number): number => Math.round(c.readDoubleLE((label * 2 + k) * 8) * 10) / 10;
  labels.release();
  stats.release();
  centroids.release();
  let selected = 0;
  const found: Blob[] = [];
  for (let i = 1; i < n; i++) {
    const area = stat(i, 4);
    selected += area;
    found.push({ area, x: stat(i, 0), y: stat(i, 1), w: stat(i, 2), h: stat(i, 3), cx: centre(i, 0), cy: centre(i, 1) });
  }
  found.sort((a, b) => b.area - a.area);
  const total = mask.rows * mask.cols;
  return { name, color, coverage: round2((100 * selected) / total), blobs: n - 1, top: found.slice(0, TOP_BLOBS) };
}

/** coverage is the percent of a mask's pixels that are set. */
export function coverage(mask: Mat): number {
  return round2((100 * mask.countNonZero()) / (mask.rows * mask.cols));
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
