/**
 * Pick by clicking: sample a box of the newest original frame and propose a range around its
 * pixels (the 5th..95th percentile of each channel, plus a margin). The cost is bounded
 * whatever the box: at most PICK_SAMPLES pixels are taken (a larger box is scaled down to that
 * with nearest-neighbour sampling before its colour conversion), and percentiles come from
 * 256-bin histograms, not from sorting. Only the proposal leaves the camera.
 */
import { widenRange, type Space, type Triple } from '../../shared/settings.js';
import { cv, type Mat } from '../cv.js';

/** PICK_MARGIN is added round the sampled spread, per channel, by space. */
export const PICK_MARGIN: Record<Space, Triple> = { hsv: [6, 40, 40], bgr: [30, 30, 30], lab: [30, 15, 15] };
/** A click (a box of no size) samples this many px round the point. */
export const CLICK_BOX_PX = 7;
/** PICK_SAMPLES is the most pixels a pick looks at. */
export const PICK_SAMPLES = 4096;

/** Box is a region of the picture as fractions of its width and height. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** sampleBox returns at most PICK_SAMPLES pixels of `frame` (BGR) under `box`, converted to `space`, as triples. */
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
  let small = roi;
  if (w * h > PICK_SAMPLES) {
    const k = Math.sqrt(PICK_SAMPLES / (w * h));
    small = roi.resize(Math.max(1, Math.floor(h * k)), Math.max(1, Math.floor(w * k)), 0, 0, cv.INTER_NEAREST);
  }
  const region = space === 'hsv' ? small.cvtColor(cv.COLOR_BGR2HSV) : space === 'lab' ? small.cvtColor(cv.COLOR_BGR2Lab) : small.copy();
  const data = new Uint8Array(region.getData());
  if (small !== roi) small.release();
  roi.release();
  region.release();
  return data;
}

/** histogram counts the values of channel `c` of interleaved triples. */
function histogram(samples: Uint8Array, c: number, n: number): Uint32Array {
  const h = new Uint32Array(256);
  for (let k = 0; k < n; k++) h[samples[k * 3 + c]!]!++;
  return h;
}

/** percentile is the smallest value at or below which `p`% of the counted samples lie. */
function percentile(h: Uint32Array, n: number, p: number): number {
  const want = Math.max(1, Math.ceil((p / 100) * n));
  let seen = 0;
  for (let v = 0; v < h.length; v++) {
    seen += h[v]!;
    if (seen >= want) return v;
  }
  return h.length - 1;
}

/**
 * hueArc is the shortest arc of the hue circle (0..179) holding `share` of the sampled hues:
 * a red that straddles 0 gives a wrapped arc such as 172..6, not 0..179.
 */
function hueArc(h: Uint32Array, n: number, share: number): [number, number] {
  const want = Math.ceil(share * n);
  let best: [number, number] = [0, 179];
  let bestLen = 180;
  // two pointers round the circle: for each start, the shortest end that holds enough
  let end = 0;
  let sum = 0;
  for (let start = 0; start < 180; start++) {
    while (sum < want && end - start < 180) {
      sum += h[end % 180]!;
      end++;
    }
    if (sum >= want && end - start < bestLen) {
      bestLen = end - start;
      best = [start, (end - 1) % 180];
    }
    sum -= h[start]!;
  }
  return best;
}

/** proposeRange returns a range round the sampled pixels (triples in `space`). */
export function proposeRange(samples: Uint8Array, space: Space): { lower: Triple; upper: Triple } {
  const n = Math.floor(samples.length / 3);
  if (n === 0) throw new Error('no pixels sampled');
  const lower: Triple = [0, 0, 0];
  const upper: Triple = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    const h = histogram(samples, c, n);
    if (space === 'hsv' && c === 0) [lower[0], upper[0]] = hueArc(h, n, 0.9);
    else {
      lower[c] = percentile(h, n, 5);
      upper[c] = percentile(h, n, 95);
    }
  }
  return widenRange(space, { lower, upper }, PICK_MARGIN[space]);
}
