/**
 * Re-expressing a colour range in another colour space, as faithfully as a box in that space
 * allows. A box in HSV is not a box in BGR: the bounding box of an HSV red (hue 170..10,
 * S >= 100, V >= 80) spans greys in BGR, so converting corner by corner turned a range that
 * selects 2% of the demo scene into one that selects 76%. Instead, the colour cube is sampled,
 * the colours the range selects are found, and the box in the other space that overlaps them
 * best (largest intersection over union) is searched for, one bound at a time. The server (a
 * PATCH that changes only the space) and the viewer (its space menu) use this same function.
 */
import { bgrToHsv, bgrToLab, boundingBox, channelMax, hsvBox, hsvToBgr, type ColorRange, type Space, type Triple } from './settings.js';

/** LEVELS: the cube is sampled at these values of each of B, G and R (every 12, and 255). */
const LEVELS = [...Array.from({ length: 22 }, (_, i) => i * 12), 255];

interface Samples {
  n: number;
  bgr: Uint8Array;
  hsv: Uint8Array;
  lab: Uint8Array;
}
let samples: Samples | null = null;

function cube(): Samples {
  if (samples) return samples;
  const n = LEVELS.length ** 3;
  const bgr = new Uint8Array(n * 3);
  const hsv = new Uint8Array(n * 3);
  const lab = new Uint8Array(n * 3);
  let k = 0;
  for (const b of LEVELS)
    for (const g of LEVELS)
      for (const r of LEVELS) {
        bgr.set([b, g, r], k * 3);
        hsv.set(bgrToHsv([b, g, r]), k * 3);
        lab.set(bgrToLab([b, g, r]), k * 3);
        k++;
      }
  samples = { n, bgr, hsv, lab };
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
/** tableOf is the sampled colours in one space. */
function tableOf(space: Space): Uint8Array {
  const s = cube();
  return space === 'hsv' ? s.hsv : space === 'lab' ? s.lab : s.bgr;
}

function selection(space: Space, box: Box): Uint8Array {
  const s = cube();
  const table = tableOf(space);
  const sel = new Uint8Array(s.n);
  for (let k = 0; k < s.n; k++) sel[k] = inBox(space, box, table, k * 3) ? 1 : 0;
  return sel;
}

/** iou is the intersection over union of a selection and a box, over the sampled colours. */
function iou(sel: Uint8Array, selected: number, space: Space, box: Box): number {
  const s = cube();
  const table = tableOf(space);
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

/** inChannel says whether value `v` lies within [lo, hi] (wrapping round when lo > hi on a hue). */
function inChannel(v: number, lo: number, hi: number, wraps: boolean): boolean {
  return wraps && lo > hi ? v >= lo || v <= hi : v >= lo && v <= hi;
}

/**
 * bestBox searches for the box in `to` that best matches the selected colours: from their
 * bounding box, each bound in turn moves to its best value (coordinate ascent), until no move
 * helps. A sweep over one bound counts, per value of its channel, the sampled colours that pass
 * the other two channels (all, and selected): each candidate value then costs one prefix sum,
 * so a conversion takes a few milliseconds, in the viewer and on the server alike.
 */
function bestBox(sel: Uint8Array, to: Space): Box {
  const s = cube();
  const table = tableOf(to);
  const pts: Triple[] = [];
  let selected = 0;
  for (let k = 0; k < s.n; k++) {
    if (!sel[k]) continue;
    selected++;
    pts.push([table[k * 3]!, table[k * 3 + 1]!, table[k * 3 + 2]!]);
  }
  const start = to === 'hsv' ? hsvBox(pts) : boundingBox(pts);
  const box: Box = { lower: [...start.lower], upper: [...start.upper] };
  const all = new Int32Array(257);
  const hit = new Int32Array(257);
  const score = (inside: number, inter: number): number => (selected + inside - inter === 0 ? 0 : inter / (selected + inside - inter));
  let best = iou(sel, selected, to, box);
  for (let pass = 0; pass < 6; pass++) {
    let moved = false;
    for (let c = 0; c < 3; c++) {
      const max = channelMax(to, c);
      const wraps = to === 'hsv' && c === 0;
      // histograms of channel c over the colours that pass the other two channels
      all.fill(0);
      hit.fill(0);
      for (let k = 0; k < s.n; k++) {
        let ok = true;
        for (let o = 0; o < 3 && ok; o++) if (o !== c) ok = inChannel(table[k * 3 + o]!, box.lower[o]!, box.upper[o]!, to === 'hsv' && o === 0);
        if (!ok) continue;
        const v = table[k * 3 + c]!;
        all[v + 1]!++;
        hit[v + 1]! += sel[k]!;
      }
      for (let v = 1; v <= 256; v++) {
        all[v]! += all[v - 1]!;
        hit[v]! += hit[v - 1]!;
      }
      const count = (h: Int32Array, lo: number, hi: number): number => (lo <= hi ? h[hi + 1]! - h[lo]! : h[max + 1]! - h[lo]! + h[hi + 1]!);
      for (const which of ['lower', 'upper'] as const) {
        for (let v = 0; v <= max; v++) {
          const lo = which === 'lower' ? v : box.lower[c]!;
          const hi = which === 'upper' ? v : box.upper[c]!;
          if (!wraps && lo > hi) continue;
          const sc = score(count(all, lo, hi), count(hit, lo, hi));
          if (sc > best + 1e-9) {
            best = sc;
            box[which][c] = v;
            moved = true;
          }
        }
      }
    }
    if (!moved) break;
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

/** cornerBox converts a range's corners (a fallback for ranges too thin to hit a sample; Lab ranges keep their bounds, clamped). */
function cornerBox(range: ColorRange, from: Space, to: Space): Box {
  if (from === 'lab' || to === 'lab') {
    const clamp = (v: number, c: number): number => Math.max(0, Math.min(channelMax(to, c), v));
    return { lower: range.lower.map(clamp) as Triple, upper: range.upper.map(clamp) as Triple };
  }
  const pts: Triple[] = [];
  for (const a of [range.lower[0], range.upper[0]])
    for (const b of [range.lower[1], range.upper[1]]) for (const c of [range.lower[2], range.upper[2]]) pts.push(from === 'bgr' ? bgrToHsv([a, b, c]) : hsvToBgr([a, b, c]));
  return to === 'hsv' ? hsvBox(pts) : boundingBox(pts);
}

/** overlap is the intersection over union of what two ranges select, over the sampled colours (for tests and the viewer). */
export function overlap(a: ColorRange, aSpace: Space, b: ColorRange, bSpace: Space): number {
  const sel = selection(aSpace, a);
  const selected = sel.reduce((n, v) => n + v, 0);
  return iou(sel, selected, bSpace, b);
}
