/**
 * Pick by clicking: sample a box of the newest original frame and propose a range around its
 * pixels (their 5th..95th percentile spread, plus a margin). Only the proposal leaves the server.
 */
import { hsvBox, widenRange, type Space, type Triple } from '../../shared/settings.js';
import { cv, type Mat } from '../cv.js';

/** PICK_MARGIN is added round the sampled spread, per channel, by space. */
export const PICK_MARGIN: Record<Space, Triple> = { hsv: [6, 40, 40], bgr: [30, 30, 30] };
/** A click (a box of no size) samples this many px round the point. */
export const CLICK_BOX_PX = 7;

/** Box is a region of the picture as fractions of its width and height. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** sampleBox returns the pixels of `frame` (BGR) under `box`, converted to `space`, as triples. */
export function sampleBox(frame: Mat, box: Box, space: Space): Uint8Array {
  const W = frame.cols;
  const H = frame.rows;
  let x = Math.round(box.x * W);
  let y = Math.round(box.y * H);
  let w = Math.round(box.w * W);
  let h = Math.round(box.h * H);
  if (w < 2 || h < 2) {
    x -= CLICK_BOX_PX >> 1;
    y -= CLICK_BOX_PX >> 1;
    w = h = CLICK_BOX_PX;
  }
  x = Math.max(0, Math.min(W - 1, x));
  y = Math.max(0, Math.min(H - 1, y));
  w = Math.max(1, Math.min(W - x, w));
  h = Math.max(1, Math.min(H - y, h));
  const roi = frame.getRegion(new cv.Rect(x, y, w, h));
  const region = space === 'hsv' ? roi.cvtColor(cv.COLOR_BGR2HSV) : roi.copy();
  const data = new Uint8Array(region.getData());
  roi.release();
  region.release();
  return data;
}

/** proposeRange returns a range round the sampled pixels (triples in `space`). */
export function proposeRange(samples: Uint8Array, space: Space): { lower: Triple; upper: Triple } {
  const n = Math.floor(samples.length / 3);
  if (n === 0) throw new Error('no pixels sampled');
  const channel = (i: number): number[] => {
    const v: number[] = [];
    for (let k = 0; k < n; k++) v.push(samples[k * 3 + i]!);
    return v.sort((a, b) => a - b);
  };
  const pct = (v: number[], p: number): number => v[Math.min(v.length - 1, Math.max(0, Math.round((p / 100) * (v.length - 1))))]!;
  const lower: Triple = [0, 0, 0];
  const upper: Triple = [0, 0, 0];
  for (let i = 0; i < 3; i++) {
    const v = channel(i);
    lower[i] = pct(v, 5);
    upper[i] = pct(v, 95);
  }
  if (space === 'hsv') {
    // hue is circular: take the shortest arc holding the central 90% of the sampled hues
    const hues = channel(0);
    const trimmed = hues.length > 10 ? trimCircular(hues) : hues;
    const box = hsvBox(trimmed.map((h) => [h, lower[1], lower[2]] as Triple));
    lower[0] = box.lower[0];
    upper[0] = box.upper[0];
  }
  return widenRange(space, { lower, upper }, PICK_MARGIN[space]);
}

/** trimCircular drops the 5% of hues on each side farthest from their circular mean. */
function trimCircular(hues: number[]): number[] {
  let sx = 0;
  let sy = 0;
  for (const h of hues) {
    sx += Math.cos((h * Math.PI) / 90);
    sy += Math.sin((h * Math.PI) / 90);
  }
  const mean = ((Math.atan2(sy, sx) * 90) / Math.PI + 180) % 180;
  const dist = (h: number): number => {
    const d = Math.abs(h - mean) % 180;
    return Math.min(d, 180 - d);
  };
  const sorted = [...hues].sort((a, b) => dist(a) - dist(b));
  return sorted.slice(0, Math.max(1, Math.ceil(sorted.length * 0.9)));
}
