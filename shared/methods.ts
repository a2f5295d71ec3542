/**
 * Segmentation methods: what turns a frame into region masks before the common stages (blur,
 * motion gate, cleanup, analysis, targets, zones, views). One schema per method, a union of
 * them discriminated on `kind`, their defaults and limits, and the cross-field checks a schema
 * cannot express. Pure data and pure functions: imported by the server and the browser.
 *
 * It imports no values from settings.ts, so that settings.ts may import its values (its
 * defaults can hold DEFAULT_METHOD) without an import cycle: the few limits it needs are its
 * own (equal to settings.ts's LIMITS; a test holds them together), and range naming comes from
 * ranges.ts.
 */
import { z } from 'zod';
import { RANGE_COLORS, RESERVED_RANGE_NAMES, completeRanges, rangeNamesProblem } from './ranges.js';
import type { ColorRange, Triple } from './settings.js';

/** METHOD_KINDS lists the segmentation methods, in the order a viewer offers them. */
export const METHOD_KINDS = ['colour', 'threshold', 'edges', 'clusters', 'model'] as const;
/** MethodKind is one of METHOD_KINDS. */
export type MethodKind = (typeof METHOD_KINDS)[number];

/**
 * COLOUR_SPACES are the spaces a colour range can be written in: OpenCV's 8-bit HSV (H 0..179,
 * wraps round through 0 when lower > upper), BGR, and 8-bit Lab (L, a and b each 0..255, a and
 * b centred on 128; no channel wraps).
 */
export const COLOUR_SPACES = ['hsv', 'bgr', 'lab'] as const;
/** ColourSpace is one of COLOUR_SPACES. */
export type ColourSpace = (typeof COLOUR_SPACES)[number];

/** COLOUR_CHANNEL_NAMES labels the three channels of each colour space, in OpenCV order (settings.ts's CHANNEL_NAMES, and Lab). */
export const COLOUR_CHANNEL_NAMES: Record<ColourSpace, readonly [string, string, string]> = { hsv: ['H', 'S', 'V'], bgr: ['B', 'G', 'R'], lab: ['L', 'a', 'b'] };

/**
 * CHANNELS are the single channels a threshold or edge method can look at: grey (OpenCV's
 * BGR2GRAY), H, S or V of HSV, L, a or b of 8-bit Lab, or one of the frame's own B, G, R.
 */
export const CHANNELS = ['gray', 'h', 's', 'v', 'l', 'a', 'b', 'blue', 'green', 'red'] as const;
/** Channel is one of CHANNELS. */
export type Channel = (typeof CHANNELS)[number];

/** THRESHOLD_MODES: a fixed level, Otsu's level chosen per frame, or a level per neighbourhood. */
export const THRESHOLD_MODES = ['fixed', 'otsu', 'adaptive'] as const;
/** ThresholdMode is one of THRESHOLD_MODES. */
export type ThresholdMode = (typeof THRESHOLD_MODES)[number];

/** ADAPTIVE_METHODS: the neighbourhood's plain mean, or its Gaussian-weighted mean. */
export const ADAPTIVE_METHODS = ['mean', 'gaussian'] as const;
/** AdaptiveMethod is one of ADAPTIVE_METHODS. */
export type AdaptiveMethod = (typeof ADAPTIVE_METHODS)[number];

/** CANNY_APERTURES are the Sobel kernel sizes Canny accepts, px. */
export const CANNY_APERTURES = [3, 5, 7] as const;

/** CLUSTER_SPACES are the spaces k-means can measure colour distances in. */
export const CLUSTER_SPACES = ['bgr', 'lab'] as const;
/** ClusterSpace is one of CLUSTER_SPACES. */
export type ClusterSpace = (typeof CLUSTER_SPACES)[number];

/**
 * MODEL_SCORES says how a model's outputs become the 0..1 score the threshold is compared
 * with: `softmax` over the classes of each pixel (for models that end in raw logits), or `raw`
 * (the model already gives probabilities, e.g. it ends in a Softmax or Sigmoid).
 */
export const MODEL_SCORES = ['softmax', 'raw'] as const;
/** ModelScores is one of MODEL_SCORES. */
export type ModelScores = (typeof MODEL_SCORES)[number];

/** METHOD_LIMITS are the bounds every method field is validated against (units in the names). */
export const METHOD_LIMITS = {
  hueMax: 179, // = LIMITS.hueMax: OpenCV 8-bit hue is degrees / 2
  channelMax: 255, // = LIMITS.channelMax
  maxRanges: 8, // = LIMITS.maxRanges; also the most foreground classes
  nameLength: 32, // = LIMITS.nameLength
  level: [0, 255], // 8-bit channel level
  blockSize: [3, 255], // px, odd
  adaptiveC: [-255, 255], // subtracted from the neighbourhood mean
  canny: [0, 1000], // gradient magnitude
  k: [2, 8], // clusters
  clusterWidth: [32, 640], // px of the downscaled copy k-means runs on
  attempts: [1, 5],
  iterations: [1, 50],
  modelSide: [8, 2048], // px of the model's input
  scale: [1e-6, 255], // blob = (pixel - mean) * scale
  maxClasses: 255, // labels are 8-bit, 255 meaning "no class"
  classNameLength: 32,
  maxFps: [0.1, 60], // the model's own rate cap, inferences per second
  modelFileLength: 128,
} as const;

// ---------------------------------------------------------------------------------------
// Schemas.

const int = z.number().int('must be a whole number');
const channelValue = int;
const triple = z.tuple([channelValue, channelValue, channelValue], { error: 'must be three numbers' });
const between = (range: readonly [number, number]) => z.number().min(range[0]).max(range[1]);
const intBetween = (range: readonly [number, number]) => int.min(range[0]).max(range[1]);

/**
 * colourRangeSchema validates one colour range as a client writes it: the name and colour may
 * be left out (completeMethod fills them in). Bounds are checked against the method's space by
 * methodProblem, as rangeProblem does for the settings' ranges.
 */
export const colourRangeSchema = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(METHOD_LIMITS.nameLength).optional(),
  color: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #ff8800')
    .optional(),
  lower: triple,
  upper: triple,
});
/** ColourRange is one range of a colour method; `name` and `color` are filled in by completeMethod. */
export type ColourRange = z.infer<typeof colourRangeSchema>;

/** colourMethodSchema validates the colour method: ranges in one space, OR-ed together. */
export const colourMethodSchema = z.strictObject({
  kind: z.literal('colour'),
  space: z.enum(COLOUR_SPACES),
  ranges: z.array(colourRangeSchema).max(METHOD_LIMITS.maxRanges, `at most ${METHOD_LIMITS.maxRanges} ranges are allowed`),
});
/** ColourMethod is the colour method's configuration. */
export type ColourMethod = z.infer<typeof colourMethodSchema>;

/** adaptiveSchema: the neighbourhood (blockSize, odd px) and the constant subtracted from its mean. */
export const adaptiveSchema = z.strictObject({
  method: z.enum(ADAPTIVE_METHODS),
  blockSize: intBetween(METHOD_LIMITS.blockSize),
  c: between(METHOD_LIMITS.adaptiveC),
});
/** Adaptive is the adaptive threshold's neighbourhood. */
export type Adaptive = z.infer<typeof adaptiveSchema>;

/**
 * thresholdMethodSchema validates the threshold method: the pixels of one channel above a level
 * (`value` when fixed, Otsu's per frame, or the neighbourhood's mean minus `c`), or below it
 * when inverted.
 */
export const thresholdMethodSchema = z.strictObject({
  kind: z.literal('threshold'),
  channel: z.enum(CHANNELS),
  mode: z.enum(THRESHOLD_MODES),
  value: intBetween(METHOD_LIMITS.level),
  adaptive: adaptiveSchema,
  invert: z.boolean(),
});
/** ThresholdMethod is the threshold method's configuration. */
export type ThresholdMethod = z.infer<typeof thresholdMethodSchema>;

/**
 * edgesMethodSchema validates the edge method: Canny on one channel with hysteresis levels
 * `low` and `high`, Sobel `aperture` px and the L2 gradient norm when `l2`; the mask is the
 * edges, or with `fill` the filled outer contours the edges close.
 */
export const edgesMethodSchema = z.strictObject({
  kind: z.literal('edges'),
  channel: z.enum(CHANNELS),
  low: between(METHOD_LIMITS.canny),
  high: between(METHOD_LIMITS.canny),
  aperture: z.union([z.literal(3), z.literal(5), z.literal(7)], { error: 'must be 3, 5 or 7' }),
  l2: z.boolean(),
  fill: z.boolean(),
});
/** EdgesMethod is the edge method's configuration. */
export type EdgesMethod = z.infer<typeof edgesMethodSchema>;

/**
 * clustersMethodSchema validates k-means colour clustering: `k` clusters found on a copy
 * scaled down to `width` px, with at most `attempts` restarts of at most `iterations` steps,
 * colour distances measured in `space`; `foreground` lists the cluster indices (0..k-1) whose
 * pixels are the mask. Indices stay with their colour from frame to frame.
 */
export const clustersMethodSchema = z.strictObject({
  kind: z.literal('clusters'),
  k: intBetween(METHOD_LIMITS.k),
  width: intBetween(METHOD_LIMITS.clusterWidth),
  attempts: intBetween(METHOD_LIMITS.attempts),
  iterations: intBetween(METHOD_LIMITS.iterations),
  space: z.enum(CLUSTER_SPACES),
  foreground: z.array(intBetween([0, METHOD_LIMITS.k[1] - 1])).max(METHOD_LIMITS.k[1]),
});
/** ClustersMethod is the cluster method's configuration. */
export type ClustersMethod = z.infer<typeof clustersMethodSchema>;

const className = z.string().trim().min(1, 'must not be empty').max(METHOD_LIMITS.classNameLength);

/**
 * modelFileSchema is a model's file NAME: the server resolves it inside the models folder it
 * was given, so no client can name a path.
 */
export const modelFileSchema = z
  .string()
  .max(METHOD_LIMITS.modelFileLength)
  .regex(/^[\w.-]+\.onnx$/, 'must be the name of an .onnx file in the models folder (letters, digits, _ . -)');

/**
 * modelMethodSchema validates semantic segmentation with an ONNX model through OpenCV's dnn:
 * the frame is resized to `input` px, `mean` (B, G, R order) subtracted, multiplied by `scale`,
 * R and B swapped when `swapRB` (for models trained on RGB). The model's output is one score
 * per class (`classes` names its channels in order) per pixel; each pixel takes its best class
 * if that class's score (see `scores`) reaches `threshold`. `foreground` names the classes
 * whose pixels are the mask. Inference runs at most `maxFps` times a second; frames in between
 * reuse the newest mask.
 */
export const modelMethodSchema = z.strictObject({
  kind: z.literal('model'),
  file: modelFileSchema,
  input: z.strictObject({ width: intBetween(METHOD_LIMITS.modelSide), height: intBetween(METHOD_LIMITS.modelSide) }),
  mean: z.tuple([between(METHOD_LIMITS.level), between(METHOD_LIMITS.level), between(METHOD_LIMITS.level)], { error: 'must be three numbers' }),
  scale: between(METHOD_LIMITS.scale),
  swapRB: z.boolean(),
  classes: z.array(className).min(1, 'must name at least one class').max(METHOD_LIMITS.maxClasses),
  foreground: z.array(className).max(METHOD_LIMITS.maxRanges, `at most ${METHOD_LIMITS.maxRanges} foreground classes are allowed`),
  scores: z.enum(MODEL_SCORES),
  threshold: between([0, 1]),
  maxFps: between(METHOD_LIMITS.maxFps),
});
/** ModelMethod is the model method's configuration. */
export type ModelMethod = z.infer<typeof modelMethodSchema>;

/** methodSchema validates any method, told apart by `kind`. */
export const methodSchema = z.discriminatedUnion('kind', [colourMethodSchema, thresholdMethodSchema, edgesMethodSchema, clustersMethodSchema, modelMethodSchema]);
/** Method is one segmentation method's whole configuration. */
export type Method = z.infer<typeof methodSchema>;
/** MethodOf picks the configuration type of one kind. */
export type MethodOf<K extends MethodKind> = Extract<Method, { kind: K }>;

// ---------------------------------------------------------------------------------------
// Defaults.

/** DEFAULT_COLOUR is today's default (settings.ts's DEFAULT_SETTINGS space and ranges): one HSV range of saturated reds (hue wraps 170..10). */
export const DEFAULT_COLOUR: ColourMethod = {
  kind: 'colour',
  space: 'hsv',
  ranges: [{ name: 'red', color: '#ff3b30', lower: [170, 100, 80], upper: [10, 255, 255] }],
};

/** DEFAULT_THRESHOLD: Otsu on grey, the bright side selected. */
export const DEFAULT_THRESHOLD: ThresholdMethod = {
  kind: 'threshold',
  channel: 'gray',
  mode: 'otsu',
  value: 128,
  adaptive: { method: 'gaussian', blockSize: 31, c: 5 },
  invert: false,
};

/** DEFAULT_EDGES: Canny on grey with the usual 1:3 hysteresis, 3 px Sobel, L1 norm. */
export const DEFAULT_EDGES: EdgesMethod = { kind: 'edges', channel: 'gray', low: 50, high: 150, aperture: 3, l2: false, fill: false };

/** DEFAULT_CLUSTERS: four Lab clusters on a 128 px wide copy, the darkest one selected. */
export const DEFAULT_CLUSTERS: ClustersMethod = { kind: 'clusters', k: 4, width: 128, attempts: 1, iterations: 10, space: 'lab', foreground: [0] };

/**
 * DEFAULT_MODEL is a starting point for a two-class (background, foreground) model on
 * 256x256 RGB input scaled to 0..1; the file has to be put in the models folder.
 */
export const DEFAULT_MODEL: ModelMethod = {
  kind: 'model',
  file: 'model.onnx',
  input: { width: 256, height: 256 },
  mean: [0, 0, 0],
  scale: 1 / 255,
  swapRB: true,
  classes: ['background', 'foreground'],
  foreground: ['foreground'],
  scores: 'softmax',
  threshold: 0.5,
  maxFps: 5,
};

/** DEFAULT_METHOD is the colour method with today's default range, so that old settings load unchanged. */
export const DEFAULT_METHOD: Method = DEFAULT_COLOUR;

/** METHOD_DEFAULTS gives each kind's default, for a viewer that switches method. */
export const METHOD_DEFAULTS: { [K in MethodKind]: MethodOf<K> } = {
  colour: DEFAULT_COLOUR,
  threshold: DEFAULT_THRESHOLD,
  edges: DEFAULT_EDGES,
  clusters: DEFAULT_CLUSTERS,
  model: DEFAULT_MODEL,
};

/** cloneMethod deep-copies a method (methods are plain JSON data). */
export function cloneMethod<M extends Method>(m: M): M {
  return JSON.parse(JSON.stringify(m)) as M;
}

// ---------------------------------------------------------------------------------------
// Cross-field checks.

/** colourChannelMax returns the largest value channel `i` can take in `space` (hue stops at 179). */
export function colourChannelMax(space: ColourSpace, i: number): number {
  return space === 'hsv' && i === 0 ? METHOD_LIMITS.hueMax : METHOD_LIMITS.channelMax;
}

/**
 * colourRangeProblem returns why a range cannot be used in `space`, or null: every bound
 * within the channel's limits, lower <= upper except HSV's hue, which wraps when lower > upper
 * (the sentences of settings.ts's rangeProblem).
 */
export function colourRangeProblem(space: ColourSpace, range: Pick<ColourRange, 'lower' | 'upper'>): string | null {
  for (let i = 0; i < 3; i++) {
    const max = colourChannelMax(space, i);
    const name = COLOUR_CHANNEL_NAMES[space][i];
    for (const [which, v] of [
      ['lower', range.lower[i]!],
      ['upper', range.upper[i]!],
    ] as const) {
      if (v < 0 || v > max) return `${which} ${name} is ${v}, outside 0..${max}`;
    }
    const wraps = space === 'hsv' && i === 0;
    if (!wraps && range.lower[i]! > range.upper[i]!) return `lower ${name} (${range.lower[i]}) is above upper ${name} (${range.upper[i]})`;
  }
  return null;
}

/** completeColourRanges names and colours every range that lacks them (settings.ts's rule). */
export function completeColourRanges(ranges: readonly ColourRange[]): ColorRange[] {
  return completeRanges(ranges.map((r) => ({ ...r, lower: [...r.lower] as Triple, upper: [...r.upper] as Triple })));
}

/** completeMethod returns the method with every colour range named and coloured; other kinds are returned as they are. */
export function completeMethod(m: Method): Method {
  return m.kind === 'colour' ? { ...m, ranges: completeColourRanges(m.ranges) } : m;
}

/** firstDuplicate returns the first name that appears twice, or null. */
function firstDuplicate(names: readonly string[]): string | null {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) return n;
    seen.add(n);
  }
  return null;
}

/**
 * methodProblem says, in one sentence, why a schema-valid method cannot be used, or null:
 * the checks that span fields (range bounds against the space, odd block sizes, hysteresis
 * order, foreground clusters and classes that exist, region names that can be told apart).
 */
export function methodProblem(m: Method): string | null {
  switch (m.kind) {
    case 'colour': {
      for (let i = 0; i < m.ranges.length; i++) {
        const r = m.ranges[i]!;
        const problem = colourRangeProblem(m.space, r);
        if (problem) return `ranges.${i}${r.name ? ` (${r.name})` : ''}: ${problem}`;
      }
      const names = rangeNamesProblem(completeColourRanges(m.ranges));
      return names ? `ranges: ${names}` : null;
    }
    case 'threshold':
      if (m.adaptive.blockSize % 2 === 0) return `adaptive block size must be odd, got ${m.adaptive.blockSize} px`;
      return null;
    case 'edges':
      if (m.low > m.high) return `the low edge level (${m.low}) must not be above the high one (${m.high})`;
      return null;
    case 'clusters': {
      for (const i of m.foreground) {
        if (i >= m.k) return `foreground cluster ${i} does not exist: with k = ${m.k} the clusters are 0..${m.k - 1}`;
      }
      const twice = firstDuplicate(m.foreground.map(String));
      return twice === null ? null : `foreground cluster ${twice} is listed twice`;
    }
    case 'model': {
      const twice = firstDuplicate(m.classes);
      if (twice !== null) return `two classes are named "${twice}"; class names must differ`;
      for (const f of m.foreground) {
        if (!m.classes.includes(f)) return `foreground class "${f}" is not one of the model's classes`;
        if (RESERVED_RANGE_NAMES.includes(f)) return `a foreground class may not be named "${f}" (reserved for ${f === 'all' ? 'the whole mask' : 'the motion mask'})`;
      }
      const fg = firstDuplicate(m.foreground);
      return fg === null ? null : `foreground class "${fg}" is listed twice`;
    }
  }
}

// ---------------------------------------------------------------------------------------
// Region names: what each method's regions are called and coloured (the keys of their
// analysis and metrics).

/** THRESHOLD_REGION names the threshold method's region. */
export const THRESHOLD_REGION = 'threshold';
/** EDGES_REGION names the edge method's region. */
export const EDGES_REGION = 'edges';

/** clusterRegionName names cluster `i`'s region. */
export function clusterRegionName(i: number): string {
  return `cluster${i}`;
}

/** regionColour is the overlay colour of the region at position `i` (the ranges' palette). */
export function regionColour(i: number): string {
  return RANGE_COLORS[i % RANGE_COLORS.length]!;
}

/**
 * regionNames lists, in order, the names of the regions a method gives (each frame gives the
 * same list, so that analyses and metrics keep their keys).
 */
export function regionNames(m: Method): string[] {
  switch (m.kind) {
    case 'colour':
      return completeColourRanges(m.ranges).map((r) => r.name);
    case 'threshold':
      return [THRESHOLD_REGION];
    case 'edges':
      return [EDGES_REGION];
    case 'clusters':
      return m.foreground.map(clusterRegionName);
    case 'model':
      return [...m.foreground];
  }
}
