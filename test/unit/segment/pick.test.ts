/**
 * Pick by clicking: the proposal selects what was sampled, wrapped reds wrap, and the cost is
 * bounded whatever the box (at most PICK_SAMPLES pixels, percentiles from histograms).
 */
import { describe, expect, it } from 'vitest';
import { cv } from '../../../server/cv.js';
import { PICK_SAMPLES, proposeRange, sampleBox } from '../../../server/segment/pick.js';
import { SegmentState, segmentFrame } from '../../../server/segment/segment.js';
import { DEFAULT_SETTINGS, cloneSettings, type Settings } from '../../../shared/settings.js';

describe('pick', () => {
  it('proposes a range round the sampled pixels that selects them', () => {
    const frame = new cv.Mat(100, 100, cv.CV_8UC3, [30, 120, 20]); // green background
    frame.drawCircle(new cv.Point2(50, 50), 20, new cv.Vec3(20, 60, 230), -1, cv.LINE_8); // red-orange disc
    const samples = sampleBox(frame, { x: 0.5, y: 0.5, w: 0, h: 0 }, 'hsv');
    expect(samples.length).toBe(7 * 7 * 3);
    const { lower, upper } = proposeRange(samples, 'hsv');
    const s: Settings = { ...cloneSettings(DEFAULT_SETTINGS), method: { kind: 'colour', space: 'hsv', ranges: [{ name: 'p', color: '#ff0000', lower, upper }] } };
    const seg = segmentFrame(frame, s, new SegmentState({ modelsDir: null, log: () => undefined }));
    const a = seg.analysis.ranges[0]!;
    expect(a.blobs).toBe(1); // the disc, not the background
    expect(a.top![0]!.area).toBeGreaterThan(1200);
    expect(Math.abs(a.top![0]!.cx - 50)).toBeLessThan(1);
    seg.mask.release();
    frame.release();
  });

  it('wrapped reds: samples on both sides of hue 0 give a wrapped range', () => {
    const px = new Uint8Array([178, 200, 200, 1, 210, 210, 177, 190, 220, 2, 205, 215]);
    const { lower, upper } = proposeRange(px, 'hsv');
    expect(lower[0]).toBeGreaterThan(upper[0]);
    expect(lower[0]).toBeLessThanOrEqual(177);
    expect(upper[0]).toBeGreaterThanOrEqual(2);
  });
});

describe('pick costs', () => {
  it('a full-frame box of a 1920x1080 frame samples at most PICK_SAMPLES pixels, spread over the whole box', () => {
    const frame = new cv.Mat(1080, 1920, cv.CV_8UC3, [0, 0, 0]);
    frame.drawRectangle(new cv.Point2(0, 0), new cv.Point2(959, 1079), new cv.Vec3(0, 0, 255), -1, cv.LINE_8); // left half red
    frame.drawRectangle(new cv.Point2(960, 0), new cv.Point2(1919, 1079), new cv.Vec3(255, 0, 0), -1, cv.LINE_8); // right half blue
    const samples = sampleBox(frame, { x: 0, y: 0, w: 1, h: 1 }, 'bgr');
    const n = samples.length / 3;
    expect(n).toBeLessThanOrEqual(PICK_SAMPLES);
    expect(n).toBeGreaterThan(PICK_SAMPLES * 0.9);
    let red = 0;
    for (let k = 0; k < n; k++) if (samples[k * 3 + 2] === 255) red++;
    expect(red / n).toBeGreaterThan(0.45); // both halves are in the sample
    expect(red / n).toBeLessThan(0.55);
    frame.release();
  });

  it('percentiles from histograms: the 5th..95th spread, widened by the margin', () => {
    const n = 1000;
    const px = new Uint8Array(n * 3);
    for (let k = 0; k < n; k++) px.set([Math.floor((k / n) * 100), 128, 200], k * 3); // B spread 0..99
    const { lower, upper } = proposeRange(px, 'bgr');
    expect(lower[0]).toBe(0); // 5th percentile 4, less the margin of 30
    expect(upper[0]).toBe(94 + 30);
    expect([lower[1], upper[1]]).toEqual([98, 158]);
  });
});
