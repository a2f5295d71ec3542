/**
 * The colour method against today's masks (mask.ts's rangeMask, segmentFrame) and against
 * OpenCV's own Lab conversion and inRange, pixel by pixel, on a generated frame and on frames
 * of the generated clip.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cv, type Mat } from '../../../../server/cv.js';
import { rangeMask, toSpace } from '../../../../server/segment/mask.js';
import { ColourSegmenter } from '../../../../server/segment/methods/colour.js';
import { createSegmenter, releaseResult } from '../../../../server/segment/methods/index.js';
import { SegmentState, segmentFrame } from '../../../../server/segment/segment.js';
import { DEFAULT_EDGES, type ColourMethod } from '../../../../shared/methods.js';
import { DEFAULT_SETTINGS, cloneSettings, type ColorRange } from '../../../../shared/settings.js';
import { clipFrames, expectSameMask, orMasks, releaseAll, syntheticFrame } from '../../../helpers/frames.js';

const deps = { modelsDir: null, log: () => undefined };
const HSV: ColorRange[] = [
  { name: 'red', color: '#ff0000', lower: [170, 100, 80], upper: [10, 255, 255] },
  { name: 'green', color: '#00ff00', lower: [35, 50, 50], upper: [85, 255, 255] },
  { name: 'narrow wrap', color: '#ff00ff', lower: [179, 0, 0], upper: [0, 255, 255] },
];
const BGR: ColorRange[] = [
  { name: 'blueish', color: '#0000ff', lower: [100, 0, 0], upper: [255, 120, 90] },
  { name: 'bright', color: '#ffffff', lower: [200, 200, 200], upper: [255, 255, 255] },
];
const LAB: ColorRange[] = [
  { name: 'reddish', color: '#ff0000', lower: [20, 150, 130], upper: [255, 255, 255] }, // a > 150: red
  { name: 'bluish', color: '#0000ff', lower: [0, 0, 0], upper: [255, 255, 110] }, // b < 110: blue
  { name: 'light', color: '#ffffff', lower: [240, 0, 0], upper: [255, 255, 255] }, // white (L 255), not green (L 224)
];

let frames: Mat[] = [];
beforeAll(() => {
  frames = [syntheticFrame(320, 240, 1), syntheticFrame(161, 97, 7), ...clipFrames(3)];
  expect(frames.length).toBe(5);
});
afterAll(() => releaseAll(...frames));

describe('colour method', () => {
  for (const [space, ranges] of [
    ['hsv', HSV],
    ['bgr', BGR],
  ] as const) {
    it(`${space}: each region is exactly rangeMask's mask, and the mask is their OR`, () => {
      const seg = createSegmenter({ kind: 'colour', space, ranges }, deps);
      expect(seg.kind).toBe('colour');
      for (const frame of frames) {
        const result = seg.apply(frame);
        const converted = toSpace(frame, space);
        const want = ranges.map((r) => rangeMask(converted, space, r));
        expect(result.regions.map((r) => [r.name, r.color])).toEqual(ranges.map((r) => [r.name, r.color]));
        result.regions.forEach((r, i) => expectSameMask(r.mask, want[i]!, r.name));
        const union = orMasks(want);
        expectSameMask(result.mask, union, 'union');
        expect(result.mask).not.toBe(result.regions[0]!.mask);
        releaseResult(result);
        releaseAll(union, ...want, converted !== frame ? converted : null);
      }
      seg.release();
    });
  }

  it("with today's default settings the mask is segmentFrame's mask", () => {
    const seg = new ColourSegmenter(DEFAULT_SETTINGS.method as ColourMethod);
    const settings = { ...cloneSettings(DEFAULT_SETTINGS), blobs: false };
    for (const frame of frames) {
      const today = segmentFrame(frame, settings, new SegmentState({ modelsDir: null, log: () => undefined }));
      const result = seg.apply(frame);
      expectSameMask(result.mask, today.mask);
      expectSameMask(result.regions[0]!.mask, today.mask);
      releaseResult(result);
      today.mask.release();
    }
    seg.release();
  });

  it('lab: each region is inRange on cvtColor(COLOR_BGR2Lab), no channel wrapping', () => {
    const seg = createSegmenter({ kind: 'colour', space: 'lab', ranges: LAB }, deps);
    for (const frame of frames) {
      const result = seg.apply(frame);
      const lab = frame.cvtColor(cv.COLOR_BGR2Lab);
      const want = LAB.map((r) => lab.inRange(new cv.Vec3(...r.lower), new cv.Vec3(...r.upper)));
      result.regions.forEach((r, i) => expectSameMask(r.mask, want[i]!, r.name));
      expect(want.some((m) => m.countNonZero() > 0)).toBe(true);
      const union = orMasks(want);
      expectSameMask(result.mask, union, 'union');
      releaseResult(result);
      releaseAll(union, lab, ...want);
    }
    seg.release();
  });

  it('lab selects what it should: pure red is in the red range, pure blue in the blue one', () => {
    const px = new cv.Mat(Buffer.from([0, 0, 255, 255, 0, 0, 255, 255, 255, 0, 255, 0]), 1, 4, cv.CV_8UC3); // red, blue, white, green
    const seg = new ColourSegmenter({ kind: 'colour', space: 'lab', ranges: LAB });
    const result = seg.apply(px);
    expect(result.regions.map((r) => [...r.mask.getData()])).toEqual([
      [255, 0, 0, 0],
      [0, 255, 0, 0],
      [0, 0, 255, 0],
    ]);
    releaseResult(result);
    px.release();
  });

  it('update changes the ranges and space; no ranges give an empty mask; another kind is refused', () => {
    const frame = frames[0]!;
    const seg = new ColourSegmenter({ kind: 'colour', space: 'hsv', ranges: HSV });
    seg.update({ kind: 'colour', space: 'bgr', ranges: [{ lower: [0, 0, 0], upper: [255, 255, 255] }] } satisfies ColourMethod);
    let r = seg.apply(frame);
    expect(r.regions.map((x) => x.name)).toEqual(['range1']);
    expect(r.mask.countNonZero()).toBe(frame.rows * frame.cols);
    releaseResult(r);
    seg.update({ kind: 'colour', space: 'bgr', ranges: [] });
    r = seg.apply(frame);
    expect(r.regions).toEqual([]);
    expect([r.mask.rows, r.mask.cols, r.mask.type, r.mask.countNonZero()]).toEqual([frame.rows, frame.cols, cv.CV_8UC1, 0]);
    releaseResult(r);
    expect(() => seg.update(DEFAULT_EDGES)).toThrow(/a colour segmenter cannot take a edges method/);
    seg.release();
  });
});
