/**
 * Segmentation settings: the one object every viewer tunes and every viewer sees.
 * Pure data and pure functions, imported by the server, its workers and the browser.
 */

/** SPACES lists the colour spaces a range can be expressed in. */
export const SPACES = ['hsv', 'bgr'] as const;
export type Space = (typeof SPACES)[number];

/** VIEWS lists what a viewer can choose to watch. `side` is original | masked side by side. */
export const VIEWS = ['masked', 'mask', 'original', 'side'] as const;
export type View = (typeof VIEWS)[number];

/** MOTION_MODES: off, motion alone, or colour AND motion ("the red thing that moves"). */
export const MOTION_MODES = ['off', 'only', 'and'] as const;
export type MotionMode = (typeof MOTION_MODES)[number];

/** MOTION_ALGORITHMS are OpenCV's background subtractors. */
export const MOTION_ALGORITHMS = ['mog2', 'knn'] as const;
export type MotionAlgorithm = (typeof MOTION_ALGORITHMS)[number];

export type Triple = [number, number, number];

/** ColorRange selects pixels whose channels all lie within [lower, upper]. */
export interface ColorRange {
  /** Name shown in the viewer and used as the key of this range's analysis. */
  name: string;
  /** Overlay colour, `#rrggbb`. */
  color: string;
  lower: Triple;
  upper: Triple;
}

/** Motion configures background subtraction. */
export interface Motion {
  mode: MotionMode;
  algorithm: MotionAlgorithm;
  /** Frames of history the background model remembers. */
  history: number;
  /** 0..1; -1 lets OpenCV choose from `history`. */
  learningRate: number;
  /** Detect shadows and leave them out of the motion mask. */
  shadows: boolean;
}

/** Settings is the whole segmentation configuration. */
export interface Settings {
  space: Space;
  /** OR-ed together into one mask. */
  ranges: ColorRange[];
  /** JPEG quality, 1..100. */
  quality: number;
  /** Gaussian blur kernel before thresholding, px (0 = off, odd otherwise). */
  blur: number;
  /** Morphological open kernel, px (0 = off): removes specks. */
  open: number;
  /** Morphological close kernel, px (0 = off): fills holes. */
  close: number;
  /** Blobs smaller than this many px are dropped from the mask (0 = keep all). */
  minArea: number;
  /**
   * Find the blobs of each range (connected components): their count, and area, box and
   * centroid of the largest. Off leaves coverage only and saves a labelling pass over each
   * range's mask (measured here: 3-4 ms of CPU per 1280x720 frame, 7-11 ms per 1920x1080).
   */
  blobs: boolean;
  motion: Motion;
}

/** LIMITS are the bounds every field is validated against. */
export const LIMITS = {
  hueMax: 179, // OpenCV 8-bit hue is degrees / 2
  channelMax: 255,
  maxRanges: 8,
  nameLength: 32,
  kernelMax: 31, // px
  minAreaMax: 1_000_000, // px
  historyMax: 10_000, // frames
  quality: [1, 100],
} as const;

/** CHANNEL_NAMES labels the three channels of each space, in OpenCV order. */
export const CHANNEL_NAMES: Record<Space, readonly [string, string, string]> = {
  hsv: ['H', 'S', 'V'],
  bgr: ['B', 'G', 'R'],
};

/** channelMax returns the largest value channel `i` can take in `space`. */
export function channelMax(space: Space, i: number): number {
  return space === 'hsv' && i === 0 ? LIMITS.hueMax : LIMITS.channelMax;
}

/** RANGE_COLORS are the overlay colours given to new ranges, in turn. */
export const RANGE_COLORS = ['#ff3b30', '#34c759', '#0a84ff', '#ffcc00', '#af52de', '#ff9500', '#5ac8fa', '#ff2d55'] as const;

/**
 * RESERVED_RANGE_NAMES label other analyses: `all` is the whole mask's coverage (a metric
 * label), `motion` the motion mask's when motion is used alone.
 */
export const RESERVED_RANGE_NAMES: readonly string[] = ['all', 'motion'];

/** RangeInput is a range as a client may write it: the name and colour may be left out. */
export type RangeInput = Omit<ColorRange, 'name' | 'color'> & { name?: string; color?: string };

/**
 * completeRanges gives every range without a name the first free `rangeN` (N its position, or
 * higher) and every range without a colour the palette's colour for its position.
 */
export function completeRanges(ranges: readonly RangeInput[]): ColorRange[] {
  const taken = new Set(ranges.map((r) => r.name).filter((n): n is string => Boolean(n)));
  return ranges.map((r, i) => {
    let name = r.name;
    if (!name) {
      let n = i + 1;
      while (taken.has(`range${n}`)) n++;
      name = `range${n}`;
      taken.add(name);
    }
    return { name, color: r.color ?? RANGE_COLORS[i % RANGE_COLORS.length]!, lower: [...r.lower], upper: [...r.upper] };
  });
}

/** rangeNamesProblem says why a list of ranges cannot be told apart by name, or null. */
export function rangeNamesProblem(ranges: readonly ColorRange[]): string | null {
  const seen = new Set<string>();
  for (const r of ranges) {
    if (RESERVED_RANGE_NAMES.includes(r.name)) return `a range may not be named "${r.name}" (reserved for ${r.name === 'all' ? 'the whole mask' : 'the motion mask'})`;
    if (seen.has(r.name)) return `two ranges are named "${r.name}"; names must differ (they key the analysis and the metrics)`;
    seen.add(r.name);
  }
  return null;
}

/** DEFAULT_SETTINGS: one HSV range that selects saturated reds (hue wraps 170..10). */
export const DEFAULT_SETTINGS: Settings = {
  space: 'hsv',
  ranges: [{ name: 'red', color: '#ff3b30', lower: [170, 100, 80], upper: [10, 255, 255] }],
  quality: 80,
  blur: 0,
  open: 0,
  close: 0,
  minArea: 0,
  blobs: true,
  motion: { mode: 'off', algorithm: 'mog2', history: 500, learningRate: -1, shadows: true },
};

/** cloneSettings deep-copies settings (they are plain JSON data). */
export function cloneSettings(s: Settings): Settings {
  return JSON.parse(JSON.stringify(s)) as Settings;
}

/**
 * rangeProblem returns why a range cannot be used in `space`, or null if it can.
 * In HSV the hue may wrap (lower > upper selects lower..179 and 0..upper);
 * every other channel needs lower <= upper.
 */
export function rangeProblem(space: Space, range: ColorRange): string | null {
  for (let i = 0; i < 3; i++) {
    const max = channelMax(space, i);
    const name = CHANNEL_NAMES[space][i];
    for (const [which, v] of [['lower', range.lower[i]!], ['upper', range.upper[i]!]] as const) {
      if (v < 0 || v > max) return `${which} ${name} is ${v}, outside 0..${max}`;
    }
    const wraps = space === 'hsv' && i === 0;
    if (!wraps && range.lower[i]! > range.upper[i]!) {
      return `lower ${name} (${range.lower[i]}) is above upper ${name} (${range.upper[i]})`;
    }
  }
  return null;
}

/** hueWraps tells whether an HSV range's hue wraps round through 0. */
export function hueWraps(space: Space, range: ColorRange): boolean {
  return space === 'hsv' && range.lower[0] > range.upper[0];
}

// ---- colour conversions (OpenCV's 8-bit conventions) ----

/** bgrToHsv converts one 8-bit BGR pixel as cv.cvtColor(COLOR_BGR2HSV) does (H in 0..179). */
export function bgrToHsv([b, g, r]: Triple): Triple {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const d = max - min;
  let h = 0;
  if (d > 0) {
    if (max === r) h = (60 * (g - b)) / d;
    else if (max === g) h = 120 + (60 * (b - r)) / d;
    else h = 240 + (60 * (r - g)) / d;
    if (h < 0) h += 360;
  }
  const s = max === 0 ? 0 : (255 * d) / max;
  return [Math.round(h / 2) % 180, Math.round(s), max];
}

/** hsvToBgr converts one 8-bit HSV pixel (H in 0..179) to BGR. */
export function hsvToBgr([h, s, v]: Triple): Triple {
  const hh = (h * 2) % 360;
  const c = (v * s) / 255;
  const x = c * (1 - Math.abs(((hh / 60) % 2) - 1));
  const m = v - c;
  const [r, g, b] =
    hh < 60 ? [c, x, 0] : hh < 120 ? [x, c, 0] : hh < 180 ? [0, c, x] : hh < 240 ? [0, x, c] : hh < 300 ? [x, 0, c] : [c, 0, x];
  return [Math.round(b + m), Math.round(g + m), Math.round(r + m)];
}

/** boundingBox returns the smallest range that holds every point, per channel. */
export function boundingBox(pts: Triple[]): { lower: Triple; upper: Triple } {
  const lower: Triple = [255, 255, 255];
  const upper: Triple = [0, 0, 0];
  for (const p of pts)
    for (let i = 0; i < 3; i++) {
      lower[i] = Math.min(lower[i]!, p[i]!);
      upper[i] = Math.max(upper[i]!, p[i]!);
    }
  return { lower, upper };
}

/**
 * hsvBox is boundingBox for HSV points, with the hue taken as the shortest arc that holds
 * every hue (so reds near 0 and 179 give a wrapped range rather than the whole circle).
 */
export function hsvBox(pts: Triple[]): { lower: Triple; upper: Triple } {
  const box = boundingBox(pts);
  const hues = [...new Set(pts.map((p) => p[0]))].sort((a, b) => a - b);
  if (hues.length > 1) {
    // the largest gap between consecutive hues (circularly) is what the range leaves out
    let gapAt = hues.length - 1;
    let gap = hues[0]! + 180 - hues[hues.length - 1]!;
    for (let i = 0; i < hues.length - 1; i++) {
      const g = hues[i + 1]! - hues[i]!;
      if (g > gap) [gap, gapAt] = [g, i];
    }
    box.lower[0] = hues[(gapAt + 1) % hues.length]!;
    box.upper[0] = hues[gapAt]!;
  }
  return box;
}

/**
 * widenRange grows a range by `margin` on every channel, clamped to the space's limits;
 * hue wraps round instead of clamping. A hue range that would cover the circle becomes 0..179.
 */
export function widenRange(space: Space, box: { lower: Triple; upper: Triple }, margin: Triple): { lower: Triple; upper: Triple } {
  const lower = [...box.lower] as Triple;
  const upper = [...box.upper] as Triple;
  for (let i = 0; i < 3; i++) {
    const max = channelMax(space, i);
    if (space === 'hsv' && i === 0) {
      const span = lower[0] <= upper[0] ? upper[0] - lower[0] : 180 - lower[0] + upper[0];
      if (span + 2 * margin[0] >= 179) {
        lower[0] = 0;
        upper[0] = 179;
      } else {
        lower[0] = (lower[0] - margin[0] + 180) % 180;
        upper[0] = (upper[0] + margin[0]) % 180;
      }
    } else {
      lower[i] = Math.max(0, lower[i]! - margin[i]!);
      upper[i] = Math.min(max, upper[i]! + margin[i]!);
    }
  }
  return { lower, upper };
}
