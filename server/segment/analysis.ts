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
  const s = new Int32Array(ownBuffer(stats.getData()));
  const c = new Float64Array(ownBuffer(centroids.getData()));
  labels.release();
  stats.release();
  centroids.release();
  let selected = 0;
  const found: Blob[] = [];
  for (let i = 1; i < n; i++) {
    const area = s[i * 5 + 4]!;
    selected += area;
    found.push({
      area,
      x: s[i * 5]!,
      y: s[i * 5 + 1]!,
      w: s[i * 5 + 2]!,
      h: s[i * 5 + 3]!,
      cx: Math.round(c[i * 2]! * 10) / 10,
      cy: Math.round(c[i * 2 + 1]! * 10) / 10,
    });
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

/** ownBuffer copies a Buffer's bytes into an aligned ArrayBuffer of its own (Buffers may share a pool). */
function ownBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}
