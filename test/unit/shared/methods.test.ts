/**
 * The method schemas, defaults and cross-field checks (shared by the server and the viewer).
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CLUSTERS,
  DEFAULT_EDGES,
  DEFAULT_METHOD,
  DEFAULT_MODEL,
  DEFAULT_THRESHOLD,
  COLOUR_CHANNEL_NAMES,
  METHOD_DEFAULTS,
  METHOD_KINDS,
  METHOD_LIMITS,
  cloneMethod,
  colourRangeProblem,
  completeMethod,
  methodProblem,
  methodSchema,
  modelFileSchema,
  regionNames,
  type Method,
} from '../../../shared/methods.js';
import * as ranges from '../../../shared/ranges.js';
import * as settings from '../../../shared/settings.js';
import { CHANNEL_NAMES, DEFAULT_SETTINGS, LIMITS, rangeProblem, type ColorRange, type Triple } from '../../../shared/settings.js';
import { ZONE_LIMITS } from '../../../shared/zones.js';

const parse = (m: unknown) => methodSchema.safeParse(m);

describe('method schemas', () => {
  it('every kind has a default that parses and passes its checks', () => {
    expect([...METHOD_KINDS]).toEqual(['colour', 'threshold', 'edges', 'clusters', 'model']);
    for (const kind of METHOD_KINDS) {
      const d = METHOD_DEFAULTS[kind];
      expect(d.kind).toBe(kind);
      const p = parse(d);
      expect(p.success, `${kind}: ${p.error?.message}`).toBe(true);
      expect(p.data).toEqual(d);
      expect(methodProblem(d)).toBeNull();
    }
  });

  it("the default method is today's colour segmentation: the default settings' space and ranges", () => {
    expect(DEFAULT_SETTINGS.method).toEqual(DEFAULT_METHOD);
  });

  it("the limits and names written here (to keep the import cycle with settings.ts harmless) equal settings.ts's", () => {
    expect(METHOD_LIMITS.hueMax).toBe(LIMITS.hueMax);
    expect(METHOD_LIMITS.channelMax).toBe(LIMITS.channelMax);
    expect(METHOD_LIMITS.maxRanges).toBe(LIMITS.maxRanges);
    expect(METHOD_LIMITS.nameLength).toBe(LIMITS.nameLength);
    expect(ZONE_LIMITS.nameLength).toBe(LIMITS.nameLength);
    expect(COLOUR_CHANNEL_NAMES.hsv).toEqual(CHANNEL_NAMES.hsv);
    expect(COLOUR_CHANNEL_NAMES.bgr).toEqual(CHANNEL_NAMES.bgr);
  });

  it("ranges.ts names ranges exactly as settings.ts does (it is to replace settings.ts's copies)", () => {
    expect(ranges.RANGE_COLORS).toEqual(settings.RANGE_COLORS);
    expect(ranges.RESERVED_RANGE_NAMES).toEqual(settings.RESERVED_RANGE_NAMES);
    const input = [
      { lower: [0, 0, 0], upper: [1, 1, 1] },
      { name: 'range1', lower: [0, 0, 0], upper: [1, 1, 1] },
      { color: '#123456', lower: [0, 0, 0], upper: [1, 1, 1] },
    ] as settings.RangeInput[];
    expect(ranges.completeRanges(input)).toEqual(settings.completeRanges(input));
    for (const names of [['a', 'b'], ['a', 'a'], ['all'], ['x', 'motion']]) {
      const list = names.map((name) => ({ name, color: '#000000', lower: [0, 0, 0] as Triple, upper: [1, 1, 1] as Triple }));
      expect(ranges.rangeNamesProblem(list)).toBe(settings.rangeNamesProblem(list));
    }
  });

  it("colourRangeProblem gives rangeProblem's answer for HSV and BGR", () => {
    const bounds: [Triple, Triple][] = [
      [
        [170, 100, 80],
        [10, 255, 255],
      ],
      [
        [0, 0, 0],
        [179, 255, 255],
      ],
      [
        [0, 0, 0],
        [180, 255, 255],
      ],
      [
        [10, 200, 0],
        [20, 100, 255],
      ],
      [
        [200, 0, 0],
        [100, 255, 255],
      ],
      [
        [-1, 0, 0],
        [10, 10, 10],
      ],
      [
        [0, 0, 0],
        [255, 256, 0],
      ],
    ];
    for (const space of ['hsv', 'bgr'] as const)
      for (const [lower, upper] of bounds) {
        const r: ColorRange = { name: 'r', color: '#000000', lower, upper };
        expect(colourRangeProblem(space, r), `${space} ${lower} ${upper}`).toBe(rangeProblem(space, r));
      }
  });

  it('kind discriminates, and unknown fields or kinds are refused', () => {
    expect(parse({ ...DEFAULT_THRESHOLD, kind: 'edges' }).success).toBe(false);
    expect(parse({ ...DEFAULT_EDGES, extra: 1 }).success).toBe(false);
    expect(parse({ kind: 'magic' }).success).toBe(false);
    expect(parse({ ...DEFAULT_EDGES, aperture: 4 }).success).toBe(false);
    expect(parse({ ...DEFAULT_CLUSTERS, k: 9 }).success).toBe(false);
    expect(parse({ ...DEFAULT_CLUSTERS, width: 16 }).success).toBe(false);
    expect(parse({ ...DEFAULT_THRESHOLD, value: 256 }).success).toBe(false);
    expect(parse({ ...DEFAULT_THRESHOLD, channel: 'alpha' }).success).toBe(false);
    expect(parse({ ...DEFAULT_MODEL, threshold: 1.5 }).success).toBe(false);
    expect(parse({ ...DEFAULT_MODEL, maxFps: 0 }).success).toBe(false);
  });

  it('colour ranges may leave out their name and colour, which completeMethod fills in', () => {
    const m = parse({
      kind: 'colour',
      space: 'lab',
      ranges: [
        { lower: [0, 0, 0], upper: [255, 120, 255] },
        { name: 'x', lower: [1, 1, 1], upper: [2, 2, 2] },
      ],
    });
    expect(m.success).toBe(true);
    const done = completeMethod(m.data!);
    expect(done.kind === 'colour' && done.ranges.map((r) => [r.name, r.color])).toEqual([
      ['range1', '#ff3b30'],
      ['x', '#34c759'],
    ]);
    expect(completeMethod(DEFAULT_EDGES)).toBe(DEFAULT_EDGES);
  });

  it('a model file is a plain .onnx file name, never a path', () => {
    for (const ok of ['model.onnx', 'deeplab_v3-mobile.1.onnx', 'A.onnx']) expect(modelFileSchema.safeParse(ok).success, ok).toBe(true);
    for (const bad of ['../model.onnx', 'models/model.onnx', '/etc/x.onnx', 'model.onnx.txt', 'model', '.onnx', 'a b.onnx', 'm\0.onnx', `${'a'.repeat(130)}.onnx`]) {
      expect(modelFileSchema.safeParse(bad).success, bad).toBe(false);
    }
  });
});

describe('methodProblem', () => {
  const colour = (space: 'hsv' | 'bgr' | 'lab', lower: number[], upper: number[]): Method => ({
    kind: 'colour',
    space,
    ranges: [{ name: 'r', lower: lower as never, upper: upper as never }],
  });

  it("HSV hue wraps, other channels do not; the sentences are rangeProblem's", () => {
    expect(methodProblem(colour('hsv', [170, 0, 0], [10, 255, 255]))).toBeNull();
    const r = { name: 'r', color: '#000000', lower: [0, 200, 0] as [number, number, number], upper: [10, 100, 255] as [number, number, number] };
    expect(methodProblem(colour('hsv', r.lower, r.upper))).toBe(`ranges.0 (r): ${rangeProblem('hsv', r)}`);
    expect(methodProblem(colour('bgr', [200, 0, 0], [100, 255, 255]))).toMatch(/lower B \(200\) is above upper B \(100\)/);
    expect(methodProblem(colour('hsv', [0, 0, 0], [180, 255, 255]))).toMatch(/upper H is 180, outside 0..179/);
  });

  it('Lab: every channel is 0..255 and none wraps', () => {
    expect(methodProblem(colour('lab', [0, 0, 0], [255, 255, 255]))).toBeNull();
    expect(colourRangeProblem('lab', { lower: [200, 0, 0], upper: [10, 255, 255] })).toBe('lower L (200) is above upper L (10)');
    expect(colourRangeProblem('lab', { lower: [0, 0, 0], upper: [255, 256, 255] })).toBe('upper a is 256, outside 0..255');
    expect(colourRangeProblem('lab', { lower: [0, 0, 130], upper: [255, 255, 120] })).toBe('lower b (130) is above upper b (120)');
  });

  it('range names must differ and must not be reserved', () => {
    const m: Method = {
      kind: 'colour',
      space: 'bgr',
      ranges: [
        { name: 'a', lower: [0, 0, 0], upper: [1, 1, 1] },
        { name: 'a', lower: [0, 0, 0], upper: [1, 1, 1] },
      ],
    };
    expect(methodProblem(m)).toMatch(/two ranges are named "a"/);
    expect(methodProblem({ ...m, ranges: [{ name: 'motion', lower: [0, 0, 0], upper: [1, 1, 1] }] })).toMatch(/reserved/);
  });

  it('threshold: the adaptive block size must be odd', () => {
    expect(methodProblem({ ...DEFAULT_THRESHOLD, mode: 'adaptive', adaptive: { method: 'mean', blockSize: 10, c: 2 } })).toBe('adaptive block size must be odd, got 10 px');
    expect(methodProblem({ ...DEFAULT_THRESHOLD, adaptive: { method: 'mean', blockSize: 11, c: 2 } })).toBeNull();
  });

  it('edges: low must not be above high', () => {
    expect(methodProblem({ ...DEFAULT_EDGES, low: 200, high: 100 })).toBe('the low edge level (200) must not be above the high one (100)');
  });

  it('clusters: the foreground clusters must exist, once each', () => {
    expect(methodProblem({ ...DEFAULT_CLUSTERS, k: 3, foreground: [0, 3] })).toBe('foreground cluster 3 does not exist: with k = 3 the clusters are 0..2');
    expect(methodProblem({ ...DEFAULT_CLUSTERS, foreground: [1, 1] })).toBe('foreground cluster 1 is listed twice');
    expect(methodProblem({ ...DEFAULT_CLUSTERS, foreground: [] })).toBeNull();
  });

  it('model: foreground classes are named classes, class names differ, none is reserved', () => {
    expect(methodProblem({ ...DEFAULT_MODEL, foreground: ['cat'] })).toBe('foreground class "cat" is not one of the model\'s classes');
    expect(methodProblem({ ...DEFAULT_MODEL, classes: ['a', 'a'], foreground: [] })).toBe('two classes are named "a"; class names must differ');
    expect(methodProblem({ ...DEFAULT_MODEL, classes: ['background', 'all'], foreground: ['all'] })).toMatch(/may not be named "all"/);
    expect(methodProblem({ ...DEFAULT_MODEL, foreground: ['foreground', 'foreground'] })).toBe('foreground class "foreground" is listed twice');
  });
});

describe('region names', () => {
  it('each method names its regions the same way every frame', () => {
    expect(regionNames(DEFAULT_METHOD)).toEqual(['red']);
    expect(regionNames(DEFAULT_THRESHOLD)).toEqual(['threshold']);
    expect(regionNames(DEFAULT_EDGES)).toEqual(['edges']);
    expect(regionNames({ ...DEFAULT_CLUSTERS, foreground: [2, 0] })).toEqual(['cluster2', 'cluster0']);
    expect(regionNames(DEFAULT_MODEL)).toEqual(['foreground']);
  });

  it('cloneMethod is a deep copy', () => {
    const a = cloneMethod(DEFAULT_MODEL);
    a.input.width = 1;
    expect(DEFAULT_MODEL.input.width).toBe(256);
  });
});
