/**
 * The edge method against OpenCV's Canny on the same channel, pixel by pixel, and its filled
 * variant against findContours + drawContours.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blank, cv, type Mat } from '../../../../server/cv.js';
import { EdgesSegmenter } from '../../../../server/segment/methods/edges.js';
import { releaseResult } from '../../../../server/segment/methods/regions.js';
import { DEFAULT_EDGES, type EdgesMethod } from '../../../../shared/methods.js';
import { clipFrames, expectSameMask, releaseAll, syntheticFrame } from '../../../helpers/frames.js';

const method = (m: Partial<EdgesMethod>): EdgesMethod => ({ ...DEFAULT_EDGES, ...m });

let frames: Mat[] = [];
beforeAll(() => {
  frames = [syntheticFrame(320, 240, 1), syntheticFrame(200, 150, 9), ...clipFrames(2)];
});
afterAll(() => releaseAll(...frames));

describe('edges method', () => {
  it('gives exactly Canny on the channel, for each aperture and norm', () => {
    for (const frame of frames)
      for (const aperture of [3, 5, 7] as const)
        for (const l2 of [false, true]) {
          // levels scale with the Sobel kernel: 7 px kernels give far larger gradients
          const [low, high] = aperture === 3 ? [50, 150] : aperture === 5 ? [400, 900] : [900, 1000];
          const seg = new EdgesSegmenter(method({ channel: 'gray', low, high, aperture, l2 }));
          const r = seg.apply(frame);
          const gray = frame.cvtColor(cv.COLOR_BGR2GRAY);
          const want = gray.canny(low, high, aperture, l2);
          expect(r.regions.map((x) => x.name)).toEqual(['edges']);
          expectSameMask(r.regions[0]!.mask, want, `aperture ${aperture} l2 ${l2}`);
          expectSameMask(r.mask, want, 'union');
          releaseResult(r);
          releaseAll(gray, want);
        }
  });

  it('on another channel: Canny of that channel', () => {
    const frame = frames[0]!;
    const seg = new EdgesSegmenter(method({ channel: 'red' }));
    const r = seg.apply(frame);
    const red = cv.split(frame);
    const want = red[2]!.canny(50, 150, 3, false);
    expectSameMask(r.mask, want);
    releaseResult(r);
    releaseAll(want, ...red);
  });

  it('fill: the outer contours of the edges, filled (a drawn outline becomes a solid box)', () => {
    const frame = blank(100, 200, cv.CV_8UC3, [30, 30, 30]);
    frame.drawRectangle(new cv.Point2(20, 20), new cv.Point2(79, 59), new cv.Vec3(220, 220, 220), 2, cv.LINE_8); // an outline
    frame.drawCircle(new cv.Point2(150, 50), 25, new cv.Vec3(200, 200, 200), -1, cv.LINE_8); // a solid disc
    const seg = new EdgesSegmenter(method({ fill: true }));
    const r = seg.apply(frame);
    const gray = frame.cvtColor(cv.COLOR_BGR2GRAY);
    const edges = gray.canny(50, 150, 3, false);
    const want = blank(100, 200, cv.CV_8UC1, 0);
    want.drawContours(
      edges.findContours(cv.RETR_EXTERNAL, cv.CHAIN_APPROX_SIMPLE).map((c) => c.getPoints()),
      -1,
      new cv.Vec3(255, 255, 255),
      -1,
      cv.LINE_8,
    );
    expectSameMask(r.mask, want);
    // the box's inside is filled, not just its outline
    expect(r.mask.at(40, 50)).toBe(255);
    expect(r.mask.at(50, 150)).toBe(255);
    expect(r.mask.at(5, 5)).toBe(0);
    const unfilled = new EdgesSegmenter(method({ fill: false })).apply(frame);
    expect(unfilled.mask.at(40, 50)).toBe(0);
    expect(r.mask.countNonZero()).toBeGreaterThan(3 * unfilled.mask.countNonZero());
    releaseResult(r);
    releaseResult(unfilled);
    releaseAll(frame, gray, edges, want);
  });
});
