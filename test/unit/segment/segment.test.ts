/**
 * Cleanup, analysis, motion and OpenCV's threads against OpenCV, on generated frames with known
 * shapes (and a generated clip for motion).
 */
import { describe, expect, it } from 'vitest';
import { openReader } from '../../../server/capture/open.js';
import { cv, onOneThread, type Mat } from '../../../server/cv.js';
import { analyseMask } from '../../../server/segment/analysis.js';
import { cleanMask, dropSmallBlobs } from '../../../server/segment/cleanup.js';
import { SegmentState, segmentFrame } from '../../../server/segment/segment.js';
import { DEFAULT_SETTINGS, cloneSettings, type Settings } from '../../../shared/settings.js';
import { clipPath } from '../../helpers/fixtures.js';

const state = (): SegmentState => new SegmentState({ modelsDir: null, log: () => undefined });
const black = (w = 200, h = 100): Mat => new cv.Mat(h, w, cv.CV_8UC1, 0);
const fillRect = (m: Mat, x: number, y: number, w: number, h: number, v = 255): void =>
  m.drawRectangle(new cv.Point2(x, y), new cv.Point2(x + w - 1, y + h - 1), new cv.Vec3(v, v, v), -1, cv.LINE_8);
const count = (m: Mat): number => m.countNonZero();

describe('analysis', () => {
  it('counts blobs and gives their exact areas, boxes and centroids, largest first', () => {
    const m = black();
    fillRect(m, 10, 10, 20, 10); // 200 px, centroid (19.5, 14.5)
    fillRect(m, 100, 40, 30, 30); // 900 px, centroid (114.5, 54.5)
    fillRect(m, 180, 90, 2, 2); // 4 px
    const a = analyseMask(m, 'tape', '#00ff00');
    expect(a).toMatchObject({ name: 'tape', color: '#00ff00', blobs: 3, coverage: Math.round(((100 * 1104) / 20000) * 100) / 100 });
    expect(a.top).toEqual([
      { area: 900, x: 100, y: 40, w: 30, h: 30, cx: 114.5, cy: 54.5 },
      { area: 200, x: 10, y: 10, w: 20, h: 10, cx: 19.5, cy: 14.5 },
      { area: 4, x: 180, y: 90, w: 2, h: 2, cx: 180.5, cy: 90.5 },
    ]);
    m.release();
  });

  it('with blobs off gives the same coverage and no blob fields', () => {
    const m = black();
    fillRect(m, 10, 10, 20, 10);
    fillRect(m, 100, 40, 30, 30);
    const on = analyseMask(m, 'tape', '#00ff00', true);
    const off = analyseMask(m, 'tape', '#00ff00', false);
    expect(off).toEqual({ name: 'tape', color: '#00ff00', coverage: on.coverage });
    expect(on.coverage).toBe(Math.round(((100 * 1100) / 20000) * 100) / 100);
    m.release();
  });

  it('on a smaller analysis copy, areas set in picture pixels mean the same things (minimum blob area, target area filters)', () => {
    // an 80x80 red box (6400 px) in a 640x480 picture; at analysis width 160 it is 20x20 (400 px) on the copy
    const frame = new cv.Mat(480, 640, cv.CV_8UC3, [0, 0, 0]);
    frame.drawRectangle(new cv.Point2(200, 200), new cv.Point2(279, 279), new cv.Vec3(0, 0, 255), -1, cv.LINE_8);
    const base = cloneSettings(DEFAULT_SETTINGS);
    const s: Settings = { ...base, blur: 0, open: 0, close: 0, minArea: 1000, transform: { ...base.transform, analysisWidth: 160 } };
    const kept = segmentFrame(frame, s, state());
    const red = kept.analysis.targets!.find((t) => t.name === 'red')!;
    expect(red.targets).toHaveLength(1);
    expect(red.targets[0]!.box).toMatchObject({ x: 200, y: 200, w: 80, h: 80 });
    const tooSmall = segmentFrame(frame, { ...s, minArea: 7000 }, state());
    expect(tooSmall.analysis.targets!.find((t) => t.name === 'red')!.targets).toHaveLength(0);
    const filtered = segmentFrame(frame, { ...s, minArea: 0, targets: { ...s.targets, filters: { ...s.targets.filters, minArea: 5000 } } }, state());
    expect(filtered.analysis.targets!.find((t) => t.name === 'red')!.targets).toHaveLength(1);
    for (const r of [kept, tooSmall, filtered]) {
      r.mask.release();
      if (r.picture !== frame) r.picture.release();
    }
    frame.release();
  });

  it('segmentFrame finds blobs only when settings.blobs asks for them, with the same mask either way', () => {
    const frame = new cv.Mat(100, 200, cv.CV_8UC3, [0, 0, 0]);
    frame.drawRectangle(new cv.Point2(10, 10), new cv.Point2(39, 39), new cv.Vec3(0, 0, 255), -1, cv.LINE_8);
    frame.drawRectangle(new cv.Point2(100, 50), new cv.Point2(109, 59), new cv.Vec3(0, 0, 255), -1, cv.LINE_8);
    const st = state();
    const on = segmentFrame(frame, { ...cloneSettings(DEFAULT_SETTINGS), blobs: true }, st);
    const off = segmentFrame(frame, { ...cloneSettings(DEFAULT_SETTINGS), blobs: false }, st);
    expect(on.analysis.ranges[0]).toMatchObject({ blobs: 2, top: [{ area: 900 }, { area: 100 }] });
    expect(off.analysis.ranges[0]!.blobs).toBeUndefined();
    expect(off.analysis.ranges[0]!.top).toBeUndefined();
    expect(off.analysis.coverage).toBe(on.analysis.coverage);
    const diff = on.mask.absdiff(off.mask);
    expect(diff.countNonZero()).toBe(0);
    for (const m of [frame, on.mask, off.mask, diff]) m.release();
  });
});

describe('cleanup', () => {
  it('open removes specks narrower than the kernel and keeps big blobs', () => {
    const m = black();
    fillRect(m, 20, 20, 40, 40);
    for (let i = 0; i < 10; i++) fillRect(m, 100 + i * 8, 10 + (i % 3) * 20, 2, 2);
    const cleaned = cleanMask(m.copy(), 5, 0, 0);
    expect(analyseMask(cleaned, 'x', '#000000').blobs).toBe(1);
    expect(count(cleaned)).toBeGreaterThan(1500); // the 40x40 block survives (corners rounded)
    m.release();
    cleaned.release();
  });

  it('close fills holes smaller than the kernel', () => {
    const m = black();
    fillRect(m, 20, 20, 40, 40);
    fillRect(m, 38, 38, 3, 3, 0); // a 9 px hole
    expect(count(m)).toBe(1600 - 9);
    const cleaned = cleanMask(m.copy(), 0, 5, 0);
    expect(count(cleaned)).toBe(1600);
    m.release();
    cleaned.release();
  });

  it('minimum area drops small blobs, keeps large ones whole', () => {
    const m = black();
    fillRect(m, 10, 10, 30, 30); // ~900 px
    fillRect(m, 100, 10, 6, 6); // ~36 px
    fillRect(m, 150, 50, 12, 12); // ~144 px
    const dropped = dropSmallBlobs(m, 100);
    expect(dropped).toBe(1);
    const a = analyseMask(m, 'x', '#000000');
    expect(a.blobs).toBe(2);
    expect(a.top!.map((b) => b.area)).toEqual([900, 144]);
    m.release();
  });

  it('blur before thresholding smooths salt noise out of the mask', () => {
    const frame = new cv.Mat(100, 100, cv.CV_8UC3, [0, 0, 0]);
    for (let i = 0; i < 200; i++) frame.set((i * 37) % 100, (i * 61) % 100, [0, 0, 255]); // isolated red pixels
    frame.drawRectangle(new cv.Point2(30, 30), new cv.Point2(69, 69), new cv.Vec3(0, 0, 255), -1, cv.LINE_8);
    const s: Settings = { ...cloneSettings(DEFAULT_SETTINGS), blur: 0 };
    const sharp = segmentFrame(frame, s, state());
    const blurred = segmentFrame(frame, { ...s, blur: 7 }, state());
    expect(sharp.analysis.ranges[0]!.blobs).toBeGreaterThan(50); // specks outside the block
    expect(blurred.analysis.ranges[0]!.blobs).toBe(1);
    for (const m of [frame, sharp.mask, blurred.mask]) m.release();
  });
});

describe('motion', () => {
  it('colour AND motion isolates the one moving red box among still red boxes', async () => {
    const reader = openReader(
      { kind: 'file', path: clipPath('motion'), text: 'motion' },
      {
        width: 320,
        height: 240,
        fps: 0,
        fourcc: null,
        rtspTransport: 'tcp',
        loop: true,
        openTimeoutMs: 5000,
        stallTimeoutMs: 5000,
        retry: { minMs: 500, maxMs: 30_000 },
        controls: {},
      },
    );
    const motion = state();
    const base = cloneSettings(DEFAULT_SETTINGS);
    const colourOnly: Settings = { ...base, open: 3, minArea: 150 };
    const colourAndMotion: Settings = { ...colourOnly, motion: { ...base.motion, mode: 'and', history: 50 } };
    let last = null;
    let colour = null;
    for (let i = 0; i < 90; i++) {
      const f = await reader.read();
      if (!f) break;
      last?.mask.release();
      last = segmentFrame(f, colourAndMotion, motion);
      if (i === 89) {
        colour = segmentFrame(f, colourOnly, state());
        colour.mask.release();
      }
      f.release();
    }
    reader.close();
    expect(colour!.analysis.ranges[0]!.blobs).toBe(3); // three red boxes
    const moving = last!.analysis.ranges[0]!;
    expect(moving.blobs).toBe(1); // only the one that moves
    const box = moving.top![0]!;
    expect(box.cy).toBeGreaterThan(100);
    expect(box.cy).toBeLessThan(140); // it moves along y = 100..140
    last!.mask.release();
  });
});

describe('OpenCV threads', () => {
  it('onOneThread runs its calls on one thread and gives the pool back, also when they throw', () => {
    const pool = cv.getNumThreads();
    expect(onOneThread(() => cv.getNumThreads())).toBe(1);
    expect(cv.getNumThreads()).toBe(pool);
    expect(() =>
      onOneThread(() => {
        throw new Error('inRange failed');
      }),
    ).toThrow('inRange failed');
    expect(cv.getNumThreads()).toBe(pool);
  });
});
