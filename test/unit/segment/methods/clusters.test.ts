/**
 * k-means colour clustering on synthetic frames of K flat colours: it finds the colours, numbers
 * them darkest first, keeps each colour's index from frame to frame (also when the picture
 * shifts), and its masks are the colours' pixels.
 */
import { describe, expect, it } from 'vitest';
import { blank, cv, type Mat } from '../../../../server/cv.js';
import { DemoScene } from '../../../../server/capture/demo.js';
import { ClustersSegmenter, matchCentres, orderByLightness, RESEED_FRAMES, refine } from '../../../../server/segment/methods/clusters.js';
import { releaseResult } from '../../../../server/segment/methods/regions.js';
import type { MethodResult } from '../../../../server/segment/methods/types.js';
import { DEFAULT_CLUSTERS, type ClustersMethod } from '../../../../shared/methods.js';
import { expectSameMask, releaseAll } from '../../../helpers/frames.js';

type Bgr = [number, number, number];
const COLOURS: Bgr[] = [
  [200, 40, 30], // blue
  [30, 180, 40], // green
  [20, 40, 220], // red
  [235, 235, 235], // white
];

/**
 * stripes: a cols x rows frame of vertical stripes, colour i of `colours` over the columns
 * [edges[i], edges[i+1]), every stripe `shift` px to the right (wrapping round).
 */
function stripes(cols: number, rows: number, colours: Bgr[], edges: number[], shift = 0): Mat {
  const f = blank(rows, cols, cv.CV_8UC3, 0);
  colours.forEach((c, i) => {
    for (const [x0, x1] of split(edges[i]! + shift, edges[i + 1]! + shift, cols)) {
      f.drawRectangle(new cv.Point2(x0, 0), new cv.Point2(x1 - 1, rows - 1), new cv.Vec3(...c), -1, cv.LINE_8);
    }
  });
  return f;
}
function split(a: number, b: number, cols: number): [number, number][] {
  if (b <= cols) return [[a, b]];
  if (a >= cols) return [[a - cols, b - cols]];
  return [
    [a, cols],
    [0, b - cols],
  ];
}

const method = (m: Partial<ClustersMethod>): ClustersMethod => ({ ...DEFAULT_CLUSTERS, ...m });
const dist = (a: Bgr, b: Bgr): number => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
/** the index of the reported cluster nearest each colour */
const indexOf = (r: MethodResult, colours: Bgr[]): number[] =>
  colours.map((c) => r.info!.clusters!.reduce((best, k) => (dist(k.bgr, c) < dist(r.info!.clusters![best]!.bgr, c) ? k.index : best), 0));

describe('clusters method', () => {
  for (const space of ['bgr', 'lab'] as const) {
    it(`${space}: finds K flat colours within a few levels, with their coverage, darkest first`, () => {
      // 640 x 360 scaled to 128 px: 5 px per px, stripe edges on multiples of 5 stay pure
      const edges = [0, 100, 300, 450, 640];
      const frame = stripes(640, 360, COLOURS, edges);
      const seg = new ClustersSegmenter(method({ k: 4, space, width: 128, foreground: [0, 1, 2, 3] }));
      const r = seg.apply(frame);
      const clusters = r.info!.clusters!;
      expect(clusters.map((c) => c.index)).toEqual([0, 1, 2, 3]);
      const found = indexOf(r, COLOURS);
      expect(new Set(found).size).toBe(4);
      COLOURS.forEach((c, i) => {
        const k = clusters[found[i]!]!;
        expect(dist(k.bgr, c), `colour ${c} found as ${k.bgr}`).toBeLessThanOrEqual(3);
        expect(k.coverage).toBeCloseTo((100 * (edges[i + 1]! - edges[i]!)) / 640, 1);
      });
      // numbered darkest to lightest: white last
      expect(found[3]).toBe(3);
      const lum = clusters.map((c) => 0.114 * c.bgr[0] + 0.587 * c.bgr[1] + 0.299 * c.bgr[2]);
      if (space === 'bgr') expect([...lum].sort((a, b) => a - b)).toEqual(lum);
      // each region is exactly its colour's pixels, the mask all of them
      expect(r.regions.map((x) => x.name)).toEqual(['cluster0', 'cluster1', 'cluster2', 'cluster3']);
      COLOURS.forEach((c, i) => {
        const want = frame.inRange(new cv.Vec3(...c), new cv.Vec3(...c));
        expectSameMask(r.regions[found[i]!]!.mask, want, `cluster of ${c}`);
        want.release();
      });
      expect(r.mask.countNonZero()).toBe(640 * 360);
      releaseResult(r);
      seg.release();
      frame.release();
    });
  }

  it("keeps each colour's index over 5 frames, also as the picture shifts", () => {
    const seg = new ClustersSegmenter(method({ k: 4, space: 'lab', width: 96, attempts: 1, iterations: 10, foreground: [0] }));
    let first: number[] | null = null;
    for (const shift of [0, 3, 7, 12, 18]) {
      const frame = stripes(480, 270, COLOURS, [0, 90, 250, 380, 480], shift);
      const r = seg.apply(frame);
      const found = indexOf(r, COLOURS);
      expect(new Set(found).size).toBe(4);
      first ??= found;
      expect(found, `shift ${shift}`).toEqual(first);
      for (const c of r.info!.clusters!) expect(Math.min(...COLOURS.map((k) => dist(k, c.bgr)))).toBeLessThanOrEqual(16); // boundary pixels, mixed by the downscale, join a cluster
      releaseResult(r);
      frame.release();
    }
    seg.release();
  });

  it("keeps the indices when the colours' places change (the same colour, wherever it is)", () => {
    const seg = new ClustersSegmenter(method({ k: 3, space: 'bgr', width: 64, foreground: [] }));
    const three = COLOURS.slice(0, 3);
    const a = stripes(320, 180, three, [0, 100, 200, 320]);
    const b = stripes(320, 180, [three[2]!, three[0]!, three[1]!], [0, 60, 250, 320]);
    const ra = seg.apply(a);
    const rb = seg.apply(b);
    expect(indexOf(rb, three)).toEqual(indexOf(ra, three));
    expect(ra.regions).toEqual([]);
    expect(ra.mask.countNonZero()).toBe(0);
    for (const x of [ra, rb]) releaseResult(x);
    releaseAll(a, b);
    seg.release();
  });

  it('a still, textured scene keeps the same split frame after frame (two close greys are not split anew each time)', () => {
    // the demo's background: two bands of noisy grey, 18 levels apart, under coloured shapes.
    // From fresh seeds every frame, k-means split the greys one way, then another: cluster 0
    // was 94% of the picture on one frame and 47% on the next.
    const scene = new DemoScene(320, 240);
    const frame = scene.draw(1);
    const seg = new ClustersSegmenter(method({ k: 4, space: 'lab', width: 128, foreground: [0, 1, 2, 3] }));
    let first: Mat[] | null = null;
    for (let i = 0; i < RESEED_FRAMES + 5; i++) {
      const r = seg.apply(frame); // past a fresh-seed trial, too
      if (!first) first = r.regions.map((x) => x.mask.copy());
      else r.regions.forEach((x, j) => expect(x.mask.absdiff(first![j]!).countNonZero(), `frame ${i}, cluster ${j}`).toBe(0));
      releaseResult(r);
    }
    releaseAll(frame, ...first!);
    seg.release();
  });

  it('refine moves centres to the means of their points, and leaves an empty cluster where it was', () => {
    // points: 10 at (0,0,0) and 10 at (100,100,100); centres start at 10 and 90, and far away at 250
    const px = [...Array.from({ length: 30 }, () => 0), ...Array.from({ length: 30 }, () => 100)];
    const r = refine(
      px,
      20,
      [
        [10, 10, 10],
        [90, 90, 90],
        [250, 250, 250],
      ],
      10,
    );
    expect(r.centres).toEqual([
      [0, 0, 0],
      [100, 100, 100],
      [250, 250, 250],
    ]);
    expect([...r.labels]).toEqual([...Array.from({ length: 10 }, () => 0), ...Array.from({ length: 10 }, () => 1)]);
    expect(r.compactness).toBe(0);
  });

  it('a new foreground keeps the numbering; a new k starts it again', () => {
    const frame = stripes(320, 180, COLOURS, [0, 80, 160, 240, 320]);
    const seg = new ClustersSegmenter(method({ k: 4, space: 'bgr', width: 64, foreground: [0] }));
    const r1 = seg.apply(frame);
    const before = indexOf(r1, COLOURS);
    seg.update(method({ k: 4, space: 'bgr', width: 64, foreground: [before[2]!] })); // the red one
    const r2 = seg.apply(frame);
    expect(indexOf(r2, COLOURS)).toEqual(before);
    const red = frame.inRange(new cv.Vec3(...COLOURS[2]!), new cv.Vec3(...COLOURS[2]!));
    expectSameMask(r2.mask, red, 'red cluster');
    seg.update(method({ k: 2, space: 'bgr', width: 64, foreground: [0, 1] }));
    const r3 = seg.apply(frame);
    expect(r3.info!.clusters!.length).toBe(2);
    expect(r3.mask.countNonZero()).toBe(320 * 180);
    for (const x of [r1, r2, r3]) releaseResult(x);
    releaseAll(frame, red);
    seg.release();
  });

  it('a frame too small for k gives empty masks', () => {
    const tiny = blank(1, 3, cv.CV_8UC3, 0);
    const seg = new ClustersSegmenter(method({ k: 4, foreground: [1] }));
    const r = seg.apply(tiny);
    expect(r.regions.length).toBe(1);
    expect(r.mask.countNonZero()).toBe(0);
    releaseResult(r);
    tiny.release();
  });

  it('matchCentres finds the assignment of least total distance; orderByLightness numbers darkest first', () => {
    const prev: Bgr[] = [
      [0, 0, 0],
      [100, 100, 100],
      [200, 200, 200],
      [50, 200, 50],
    ];
    const next: Bgr[] = [
      [52, 198, 49],
      [199, 201, 205],
      [3, 1, 0],
      [104, 97, 99],
    ];
    expect(matchCentres(prev, next)).toEqual([3, 2, 0, 1]);
    // greedy would give the first new centre its nearest old one; the optimum may not
    expect(
      matchCentres(
        [
          [0, 0, 0],
          [10, 0, 0],
        ],
        [
          [6, 0, 0],
          [20, 0, 0],
        ],
      ),
    ).toEqual([0, 1]);
    expect(orderByLightness(next, 'bgr')).toEqual([2, 3, 0, 1]);
    expect(
      orderByLightness(
        [
          [90, 0, 0],
          [10, 255, 255],
        ],
        'lab',
      ),
    ).toEqual([1, 0]);
  });
});
