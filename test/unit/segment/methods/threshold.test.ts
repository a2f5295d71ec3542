/**
 * The threshold method against the same OpenCV calls on the same frames, pixel by pixel: fixed
 * levels on every channel, Otsu (mask and level) and adaptive thresholds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cv, type Mat } from '../../../../server/cv.js';
import { extractChannel } from '../../../../server/segment/methods/channel.js';
import { releaseResult } from '../../../../server/segment/methods/regions.js';
import { ThresholdSegmenter, histogramOf, otsuLevelOf } from '../../../../server/segment/methods/threshold.js';
import { CHANNELS, DEFAULT_THRESHOLD, type Channel, type ThresholdMethod } from '../../../../shared/methods.js';
import { clipFrames, expectSameMask, releaseAll, syntheticFrame } from '../../../helpers/frames.js';

/** the channel the plain way: convert, split, take one */
function channelOf(frame: Mat, c: Channel): Mat {
  if (c === 'gray') return frame.cvtColor(cv.COLOR_BGR2GRAY);
  const [code, i] = (
    {
      h: [cv.COLOR_BGR2HSV, 0],
      s: [cv.COLOR_BGR2HSV, 1],
      v: [cv.COLOR_BGR2HSV, 2],
      l: [cv.COLOR_BGR2Lab, 0],
      a: [cv.COLOR_BGR2Lab, 1],
      b: [cv.COLOR_BGR2Lab, 2],
      blue: [-1, 0],
      green: [-1, 1],
      red: [-1, 2],
    } as const
  )[c];
  const conv = code === -1 ? frame : frame.cvtColor(code);
  const planes = cv.split(conv);
  if (conv !== frame) conv.release();
  planes.forEach((p, j) => j !== i && p.release());
  return planes[i]!;
}

const method = (m: Partial<ThresholdMethod>): ThresholdMethod => ({ ...DEFAULT_THRESHOLD, ...m });

let frames: Mat[] = [];
beforeAll(() => {
  frames = [syntheticFrame(320, 240, 1), syntheticFrame(161, 97, 3), ...clipFrames(30).filter((_, i) => i % 10 === 0)];
  expect(frames.length).toBe(5);
});
afterAll(() => releaseAll(...frames));

describe('channels', () => {
  it('extractChannel gives exactly the converted and split channel, for every channel', () => {
    for (const frame of frames.slice(0, 2))
      for (const c of CHANNELS) {
        const got = extractChannel(frame, c);
        const want = channelOf(frame, c);
        expectSameMask(got, want, c);
        releaseAll(got, want);
      }
  });
});

describe('threshold method', () => {
  it('fixed: cv.threshold at the value, on every channel, inverted or not', () => {
    for (const frame of frames.slice(0, 3))
      for (const channel of CHANNELS)
        for (const invert of [false, true]) {
          const seg = new ThresholdSegmenter(method({ mode: 'fixed', channel, value: 100, invert }));
          const r = seg.apply(frame);
          const ch = channelOf(frame, channel);
          const want = ch.threshold(100, 255, invert ? cv.THRESH_BINARY_INV : cv.THRESH_BINARY);
          expect(r.regions.map((x) => x.name)).toEqual(['threshold']);
          expectSameMask(r.regions[0]!.mask, want, `${channel} invert=${invert}`);
          expectSameMask(r.mask, want, 'union');
          expect(r.info).toBeUndefined();
          releaseResult(r);
          releaseAll(ch, want);
        }
  });

  it('otsu: the mask of THRESH_OTSU, and the level OpenCV chose', () => {
    for (const frame of frames)
      for (const channel of ['gray', 's', 'red', 'l'] as const)
        for (const invert of [false, true]) {
          const seg = new ThresholdSegmenter(method({ mode: 'otsu', channel, invert }));
          const r = seg.apply(frame);
          const ch = channelOf(frame, channel);
          const type = invert ? cv.THRESH_BINARY_INV : cv.THRESH_BINARY;
          const want = ch.threshold(0, 255, type + cv.THRESH_OTSU);
          expectSameMask(r.regions[0]!.mask, want, `otsu ${channel}`);
          // the level reported is the one the mask was cut at: pixels above it are selected
          const level = r.info!.otsuLevel!;
          expect(level).toBeGreaterThan(0);
          expect(level).toBeLessThan(255);
          const atLevel = ch.threshold(level, 255, type);
          expectSameMask(atLevel, want, 'otsu level');
          // and it is OpenCV's own level (computed from the histogram by OpenCV's arithmetic)
          expect(level).toBe(otsuLevelOf(histogramOf(ch)));
          releaseResult(r);
          releaseAll(ch, want, atLevel);
        }
  });

  it('otsu on a flat frame selects nothing at level 0, as OpenCV does', () => {
    const flat = new cv.Mat(Buffer.alloc(300, 77), 10, 10, cv.CV_8UC3);
    const r = new ThresholdSegmenter(method({ mode: 'otsu', channel: 'red' })).apply(flat);
    expect(r.info).toEqual({ otsuLevel: 0 });
    expect(r.mask.countNonZero()).toBe(100); // every pixel (77) is above 0
    const inv = new ThresholdSegmenter(method({ mode: 'otsu', channel: 'red', invert: true })).apply(flat);
    expect(inv.mask.countNonZero()).toBe(0);
    releaseResult(r);
    releaseResult(inv);
    flat.release();
  });

  it('otsuLevelOf: a two-valued histogram splits between the values; one value gives 0', () => {
    const h = new Array(256).fill(0);
    h[40] = 500;
    h[200] = 300;
    expect(otsuLevelOf(h)).toBe(40); // the first level of maximum separation: "at or below 40" vs "above"
    expect(otsuLevelOf(new Array(256).fill(0).map((_, i) => (i === 77 ? 10 : 0)))).toBe(0);
    const m = new cv.Mat(Buffer.from([1, 1, 2, 255]), 2, 2, cv.CV_8UC1);
    expect([...histogramOf(m)].filter((v) => v > 0)).toEqual([2, 1, 1]);
    m.release();
  });

  it('adaptive: cv.adaptiveThreshold with the method, block size and constant', () => {
    for (const frame of frames.slice(0, 3))
      for (const [am, code] of [
        ['mean', cv.ADAPTIVE_THRESH_MEAN_C],
        ['gaussian', cv.ADAPTIVE_THRESH_GAUSSIAN_C],
      ] as const)
        for (const [blockSize, c, invert] of [
          [3, 0, false],
          [11, 2, false],
          [31, -5, true],
          [255, 10, false],
        ] as const) {
          const seg = new ThresholdSegmenter(method({ mode: 'adaptive', channel: 'v', adaptive: { method: am, blockSize, c }, invert }));
          const r = seg.apply(frame);
          const ch = channelOf(frame, 'v');
          const want = ch.adaptiveThreshold(255, code, invert ? cv.THRESH_BINARY_INV : cv.THRESH_BINARY, blockSize, c);
          expectSameMask(r.regions[0]!.mask, want, `${am} ${blockSize} ${c}`);
          releaseResult(r);
          releaseAll(ch, want);
        }
  });

  it('update switches mode; another kind is refused', () => {
    const seg = new ThresholdSegmenter(method({ mode: 'fixed', value: 0 }));
    let r = seg.apply(frames[0]!);
    const nonzero = r.mask.countNonZero();
    releaseResult(r);
    seg.update(method({ mode: 'fixed', value: 254 }));
    r = seg.apply(frames[0]!);
    expect(r.mask.countNonZero()).toBeLessThan(nonzero);
    releaseResult(r);
    expect(() => seg.update({ kind: 'colour', space: 'hsv', ranges: [] })).toThrow(/cannot take a colour method/);
  });
});
