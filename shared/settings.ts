/**
 * A camera's settings: the one object every viewer of it tunes and sees. The segmentation
 * recipe (the method, then the common stages: blur, motion, cleanup, blobs and targets) beside
 * the camera's geometry (zones, input transform) and its output (JPEG quality), which presets
 * leave alone. Pure data and pure functions, imported by the server, the camera processes and
 * the browser.
 */
import { COLOUR_CHANNEL_NAMES, COLOUR_SPACES, DEFAULT_METHOD, colourChannelMax, colourRangeProblem, type ColourSpace, type Method } from './methods.js';
import { DEFAULT_TARGET_SETTINGS, type TargetSettings } from './targets.js';
import { DEFAULT_TRANSFORM, type Transform } from './transform.js';
import type { Zone } from './zones.js';

export { RANGE_COLORS, RESERVED_RANGE_NAMES, completeRanges, rangeNamesProblem } from './ranges.js';

/** SPACES lists the colour spaces a range can be expressed in (OpenCV's 8-bit HSV, BGR and Lab). */
export const SPACES = COLOUR_SPACES;
export type Space = ColourSpace;

/** VIEWS lists what a viewer can choose to watch. `side` is original | masked side by side. */
export const VIEWS = ['masked', 'mask', 'original', 'side'] as const;
export type View = (typeof VIEWS)[number];

/** MOTION_MODES: off, motion alone, or the method's regions AND motion ("the red thing that moves"). */
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

/** RangeInput is a range as a client may write it: the name and colour may be left out. */
export type RangeInput = Omit<ColorRange, 'name' | 'color'> & { name?: string; color?: string };

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

/** Output is how frames leave the camera: not part of the segmentation recipe. */
export interface Output {
  /** JPEG quality, 1..100. */
  quality: number;
}

/** Settings is a camera's whole configuration. */
export interface Settings {
  /** What turns a frame into regions: colour ranges by default. */
  method: Method;
  /** Gaussian blur kernel before the method, px (0 = off, odd otherwise). */
  blur: number;
  /** Morphological open kernel, px (0 = off): removes specks. */
  open: number;
  /** Morphological close kernel, px (0 = off): fills holes. */
  close: number;
  /** Blobs smaller than this many px are dropped from the mask (0 = keep all). */
  minArea: number;
  /**
   * Find each region's blobs (connected components: their count, and area, box and centroid
   * of the largest) and its targets (contours, filtered and sorted). Off leaves coverage only
   * and saves a labelling pass and a contour pass over each region's mask.
   */
  blobs: boolean;
  motion: Motion;
  /** Which shapes are a region's targets, in which order, and the crosshair they are measured from. */
  targets: TargetSettings;
  /** Named polygons of the picture: analysed on their own (include) or cut out (exclude). */
  zones: Zone[];
  /** Flip, turn, crop and analysis size, applied to every frame as it arrives. */
  transform: Transform;
  output: Output;
}

/** RECIPE_KEYS are the settings a preset holds: the segmentation, not the camera's geometry or output. */
export const RECIPE_KEYS = ['method', 'blur', 'open', 'close', 'minArea', 'blobs', 'motion', 'targets'] as const;
/** Recipe is the part of the settings a preset holds. */
export type Recipe = Pick<Settings, (typeof RECIPE_KEYS)[number]>;

/** recipeOf is the part of settings a preset holds. */
export function recipeOf(s: Settings): Recipe {
  return Object.fromEntries(RECIPE_KEYS.map((k) => [k, s[k]])) as Recipe;
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
export const CHANNEL_NAMES = COLOUR_CHANNEL_NAMES;

/** channelMax returns the largest value channel `i` can take in `space`. */
export function channelMax(space: Space, i: number): number {
  return colourChannelMax(space, i);
}

/** DEFAULT_SETTINGS: colour ranges with one HSV range of saturated reds (hue wraps 170..10). */
export const DEFAULT_SETTINGS: Settings = {
  method: DEFAULT_METHOD,
  blur: 0,
  open: 0,
  close: 0,
  minArea: 0,
  blobs: true,
  motion: { mode: 'off', algorithm: 'mog2', history: 500, learningRate: -1, shadows: true },
  targets: DEFAULT_TARGET_SETTINGS,
  zones: [],
  transform: DEFAULT_TRANSFORM,
  output: { quality: 80 },
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
export function rangeProblem(space: Space, range: Pick<ColorRange, 'lower' | 'upper'>): string | null {
  return colourRangeProblem(space, range);
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

/**
 * bgrToLab converts one 8-bit BGR pixel as cv.cvtColor(COLOR_BGR2Lab) does: sRGB gamma undone,
 * XYZ under D65, CIE L*a*b*, then L scaled to 0..255 and a, b offset by 128.
 */
export function bgrToLab([b, g, r]: Triple): Triple {
  const lin = (v: number): number => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
  const [R, G, B] = [lin(r / 255), lin(g / 255), lin(b / 255)];
  const X = (0.412453 * R + 0.35758 * G + 0.180423 * B) / 0.950456;
  const Y = 0.212671 * R + 0.71516 * G + 0.072169 * B;
  const Z = (0.019334 * R + 0.119193 * G + 0.950227 * B) / 1.088754;
  const f = (t: number): number => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
  const L = Y > 0.008856 ? 116 * Math.cbrt(Y) - 16 : 903.3 * Y;
  const clamp = (v: number): number => Math.max(0, Math.min(255, Math.round(v)));
  return [clamp((L * 255) / 100), clamp(500 * (f(X) - f(Y)) + 128), clamp(200 * (f(Y) - f(Z)) + 128)];
}

/** hsvToBgr converts one 8-bit HSV pixel (H in 0..179) to BGR. */
export function hsvToBgr([h, s, v]: Triple): Triple {
  const hh = (h * 2) % 360;
  const c = (v * s) / 255;
  const x = c * (1 - Math.abs(((hh / 60) % 2) - 1));
  const m = v - c;
  const [r, g, b] = hh < 60 ? [c, x, 0] : hh < 120 ? [x, c, 0] : hh < 180 ? [0, c, x] : hh < 240 ? [0, x, c] : hh < 300 ? [x, 0, c] : [c, 0, x];
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
