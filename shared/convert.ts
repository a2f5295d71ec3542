/**
 * Re-expressing a colour range in another colour space, as faithfully as a box in that space
 * allows. A box in HSV is not a box in BGR: the bounding box of an HSV red (hue 170..10,
 * S >= 100, V >= 80) spans greys in BGR, so converting corner by corner turned a range that
 * selects 2% of the demo scene into one that selects 76%. Instead, the colour cube is sampled,
 * the colours the range selects are found, and the box in the other space that overlaps them
 * best (largest intersection over union) is searched for, one bound at a time. The server (a
 * PATCH that changes only the space) and the viewer (its space menu) use this same function.
 */
import { bgrToHsv, boundingBox, channelMax, hsvBox, hsvToBgr, type ColorRange, type Space, type Triple } from './settings.js';

/** LEVELS: the cube is sampled at these values of each of B, G and R (every 12, and 255). */
const LEVELS = [...Array.from({ length: 22 }, (_, i) => i * 12), 255];

interface Samples {
  n: number;
  bgr: Uint8Array;
  hsv: Uint8Array;
}
let samples: Samples | null = null;

function cube(): Samples {
  if (samples) return samples;
  const n = LEVELS.length ** 3;
  const bgr = new Uint8Array(n * 3);
  const hsv = new Uint8Array(n * 3);
  let k = 0;
  for (const b of LEVELS)
    for (const g of LEVELS)
      for (const r of LEVELS) {
        const h = bgrToHsv([b, g, r]);
        bgr.set([b, g, r], k * 3);
        hsv.set(h, k * 3);
        k++;
      }
  samples = { n, bgr, hsv };
  return samples;
}

type Box = { lower: Triple; upper: Triple };

/** inBox says whether a pixel (three channels at `p[i]`) lies in a box; hue wraps when lower > upper in HSV. */
function inBox(space: Space, box: Box, p: Uint8Array, i: number): boolean {
  for (let c = 0; c < 3; c++) {
    const v = p[i + c]!;
    const lo = box.lower[c]!;
    const hi = box.upper[c]!;
    if (space === 'hsv' && c === 0 && lo > hi) {
      if (v < lo && v > hi) return false;
    } else if (v < lo || v > hi) return false;
  }
  return true;
}

/** selection marks the sampled colours a range selects. */
function selection(space: Space, box: Box): Uint8Array {
  const s = cube();
  const table = space === 'hsv' ? s.hsv : s.bgr;
  const sel = new Uint8Array(s.n);
  for (let k = 0; k < s.n; k++) sel[k] = inBox(space, box, table, k * 3) ? 1 : 0;
  return sel;
}

/** iou is the intersection over union of a selection and a box, over the sampled colours. */
function iou(sel: Uint8Array, selected: number, space: Space, box: Box): number {
  const s = cube();
  const table = space === 'hsv' ? s.hsv : s.bgr;
  let inter = 0;
  let inside = 0;
  for (let k = 0; k < s.n; k++) {
    if (!inBox(space, box, table, k * 3)) continue;
    inside++;
    inter += sel[k]!;
  }
  const union = selected + inside - inter;
  return union === 0 ? 0 : inter / union;
}

/** candidates are the values a bound of channel `c` is tried at: a coarse grid, then every value near the best. */
function grid(space: Space, c: number): number[] {
  const max = channelMax(space, c);
  const step = space === 'hsv' && c === 0 ? 3 : 8;
  const values: number[] = [];
  for (let v = 0; v < max; v += step) values.push(v);
  values.push(max);
  return values;
}

/**
 * bestBox searches for the box in `to` that best matches the selected colours, starting from
 * their bounding box and moving one bound at a time to its best value (coordinate ascent).
 */
function bestBox(sel: Uint8Array, to: Space): Box {
  const s = cube();
  const table = to === 'hsv' ? s.hsv : s.bgr;
  const pts: Triple[] = [];
  let selected = 0;
  for (let k = 0; k < s.n; k++) {
    if (!sel[k]) continue;
    selected++;
    pts.push([table[k * 3]!, table[k * 3 + 1]!, table[k * 3 + 2]!]);
  }
  const start = to === 'hsv' ? hsvBox(pts) : boundingBox(pts);
  let box: Box = { lower: [...start.lower], upper: [...start.upper] };
  let best = iou(sel, selected, to, box);
  const tryBound = (c: number, which: 'lower' | 'upper', values: number[]): void => {
    for (const v of values) {
      const next: Box = { lower: [...box.lower], upper: [...box.upper] };
      next[which][c] = v;
      const wraps = to === 'hsv' && c === 0;
      if (!wraps && next.lower[c]! > next.upper[c]!) continue;
      const score = iou(sel, selected, to, next);
      if (score > best + 1e-9) {
        best = score;
        box = next;
      }
    }
  };
  for (let pass = 0; pass < 3; pass++) {
    const before = best;
    for (let c = 0; c < 3; c++) for (const which of ['lower', 'upper'] as const) tryBound(c, which, grid(to, c));
    if (best <= before + 1e-9) break;
  }
  // fine-tune each bound to the value, near the coarse one, that overlaps best
  for (let c = 0; c < 3; c++) {
    const max = channelMax(to, c);
    for (const which of ['lower', 'upper'] as const) {
      const at = box[which][c]!;
      const near: number[] = [];
      for (let d = -8; d <= 8; d++) if (at + d >= 0 && at + d <= max) near.push(at + d);
      tryBound(c, which, near);
    }
  }
  return box;
}

/**
 * convertRange re-expresses `range` (in `from`) in `to`: the box there whose colours overlap
 * the range's colours best. The name and colour are kept. A range that selects none of the
 * sampled colours keeps the bounding box of its corners instead.
 */
export function convertRange(range: ColorRange, from: Space, to: Space): ColorRange {
  if (from === to) return { ...range, lower: [...range.lower], upper: [...range.upper] };
  const sel = selection(from, range);
  if (!sel.some((v) => v === 1)) return { ...range, ...cornerBox(range, from, to) };
  return { ...range, ...bestBox(sel, to) };
}

/** cornerBox converts a range's corners (a fallback for ranges too thin to hit a sample). */
function cornerBox(range: ColorRange, from: Space, to: Space): Box {
  const pts: Triple[] = [];
  for (const a of [range.lower[0], range.upper[0]])
    for (const b of [range.lower[1], range.upper[1]])
      for (const c of [range.lower[2], range.upper[2]]) pts.push(from === 'bgr' ? bgrToHsv([a, b, c]) : hsvToBgr([a, b, c]));
  return to === 'hsv' ? hsvBox(pts) : boundingBox(pts);
}

/** overlap is the intersection over union of what two ranges select, over the sampled colours (for tests and the viewer). */
export function overlap(a: ColorRange, aSpace: Space, b: ColorRange, bSpace: Space): number {
  const sel = selection(aSpace, a);
  const selected = sel.reduce((n, v) => n + v, 0);
  return iou(sel, selected, bSpace, b);
}
