/**
 * The segmentation methods' bench: ms per frame of each method through its Segmenter, and of a
 * direct OpenCV loop making the same OpenCV calls on the same frames (same thread rule: the
 * conversions and inRange on OpenCV's thread alone, as the segmenters do), measured back to
 * back in alternating rounds so that the machine's drift falls on both sides of each ratio.
 * Frames are decoded once before timing (decoding is not measured). Also: k-means at K = 4 with
 * the cost of handing its points to the binding, and the generated models' sustained inference
 * rate with what `apply` costs the stream meanwhile.
 *
 * `node .bench/build/test/bench/methods.js [FILE] [--frames N] [--rounds R] [--model-seconds S]` runs it
 * in a worker thread (the binding is loaded once, by the worker) and prints one JSON line;
 * `runMethodsBench` runs that in a fresh process, for `npm run bench`.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type * as CvModule from '../../server/cv.js';
import type { Segmenter } from '../../server/segment/methods/types.js';
import type { Method } from '../../shared/methods.js';
import { r2 } from './figures.js';

type Mat = CvModule.Mat;

/** MethodFigure is one method's cost: ms per frame through the segmenter and directly, and their ratio. */
export interface MethodFigure {
  name: string;
  segmenterMs: number;
  directMs: number;
  ratio: number;
}

/** ModelFigure is a generated model's inference cost and what the stream pays meanwhile. */
export interface ModelFigure {
  name: string;
  input: string;
  /** one synchronous inference (blob, forward, labels), ms */
  inferenceMs: number;
  /** inferences per second sustained off the main thread while the stream runs (cap 60: the schema's most) */
  sustainedFps: number;
  /** what `apply` costs per frame while the model infers: median and slowest, ms */
  applyMs: { p50: number; max: number };
  /** frames applied per second meanwhile, the stream paced at STREAM_FPS */
  framesPerSecond: number;
}

/** MethodsBench is the whole result. */
export interface MethodsBench {
  frames: { file: string; cols: number; rows: number; count: number };
  rounds: number;
  methods: MethodFigure[];
  clusters: { k: number; width: number; points: number; pointsMs: number; kmeansMs: number };
  models: ModelFigure[];
}

/** MethodsBenchOptions: frames decoded (looped over), rounds per method, seconds per model. */
export interface MethodsBenchOptions {
  frames?: number;
  rounds?: number;
  modelSeconds?: number;
}

/** STREAM_FPS paces the frames given to a model segmenter, as a camera would. */
export const STREAM_FPS = 30;

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/**
 * benchMethods measures every method on frames decoded from `file`. It must run in the one
 * thread of its process that loads the binding (the CLI below runs it in a worker).
 */
export async function benchMethods(file: string, options: MethodsBenchOptions = {}): Promise<MethodsBench> {
  const { cv, blank, onOneThread } = await import('../../server/cv.js');
  const { createSegmenter, releaseResult } = await import('../../server/segment/methods/index.js');
  const { ModelSegmenter, blobOf, labelsOf } = await import('../../server/segment/methods/model.js');
  const { DEFAULT_MODEL, DEFAULT_COLOUR } = await import('../../shared/methods.js');
  const { modelsDir } = await import('../helpers/onnx.js');
  const count = options.frames ?? 30;
  const rounds = options.rounds ?? 3;
  const modelSeconds = options.modelSeconds ?? 3;

  const cap = new cv.VideoCapture(file, cv.CAP_FFMPEG);
  const frames: Mat[] = [];
  while (frames.length < count) {
    const f = cap.read();
    if (f.empty) {
      f.release();
      if (!frames.length) throw new Error(`no frame in ${file}`);
      break;
    }
    frames.push(f);
  }
  cap.release();
  const rows = frames[0]!.rows;
  const cols = frames[0]!.cols;
  const passes = Math.max(1, Math.ceil(60 / frames.length)); // at least 60 frames per timing
  const deps = { modelsDir: null, log: (m: string) => process.stderr.write(`${m}\n`) };

  /** time runs `work` over every frame `passes` times and returns ms per frame */
  const time = (work: (f: Mat) => void): number => {
    for (const f of frames.slice(0, 5)) work(f); // warm up
    const t0 = performance.now();
    for (let p = 0; p < passes; p++) for (const f of frames) work(f);
    return (performance.now() - t0) / (passes * frames.length);
  };
  const release = (...ms: Mat[]): void => ms.forEach((m) => m.release());

  const red = DEFAULT_COLOUR.ranges[0]!;
  const [l1, u1] = [red.lower, red.upper];
  const cases: { name: string; method: Method; direct: (f: Mat) => void }[] = [
    {
      name: 'colour hsv (wrapped red)',
      method: DEFAULT_COLOUR,
      direct: (f) => {
        const hsv = onOneThread(() => f.cvtColor(cv.COLOR_BGR2HSV));
        const m = onOneThread(() => {
          const a = hsv.inRange(new cv.Vec3(l1[0], l1[1], l1[2]), new cv.Vec3(179, u1[1], u1[2]));
          const b = hsv.inRange(new cv.Vec3(0, l1[1], l1[2]), new cv.Vec3(u1[0], u1[1], u1[2]));
          const o = a.bitwiseOr(b);
          release(a, b);
          return o;
        });
        release(hsv, m, m.copy());
      },
    },
    {
      name: 'colour lab',
      method: { kind: 'colour', space: 'lab', ranges: [{ name: 'red', lower: [20, 150, 130], upper: [255, 255, 255] }] },
      direct: (f) => {
        const lab = onOneThread(() => f.cvtColor(cv.COLOR_BGR2Lab));
        const m = onOneThread(() => lab.inRange(new cv.Vec3(20, 150, 130), new cv.Vec3(255, 255, 255)));
        release(lab, m, m.copy());
      },
    },
    {
      name: 'threshold fixed (grey)',
      method: { kind: 'threshold', channel: 'gray', mode: 'fixed', value: 128, adaptive: { method: 'mean', blockSize: 31, c: 5 }, invert: false },
      direct: (f) => {
        const g = onOneThread(() => f.cvtColor(cv.COLOR_BGR2GRAY));
        const m = g.threshold(128, 255, cv.THRESH_BINARY);
        release(g, m, m.copy());
      },
    },
    {
      name: 'threshold otsu (grey)',
      method: { kind: 'threshold', channel: 'gray', mode: 'otsu', value: 128, adaptive: { method: 'mean', blockSize: 31, c: 5 }, invert: false },
      direct: (f) => {
        const g = onOneThread(() => f.cvtColor(cv.COLOR_BGR2GRAY));
        const m = g.threshold(0, 255, cv.THRESH_BINARY + cv.THRESH_OTSU);
        release(g, m, m.copy());
      },
    },
    {
      name: 'threshold adaptive (gaussian 31 px)',
      method: { kind: 'threshold', channel: 'gray', mode: 'adaptive', value: 128, adaptive: { method: 'gaussian', blockSize: 31, c: 5 }, invert: false },
      direct: (f) => {
        const g = onOneThread(() => f.cvtColor(cv.COLOR_BGR2GRAY));
        const m = g.adaptiveThreshold(255, cv.ADAPTIVE_THRESH_GAUSSIAN_C, cv.THRESH_BINARY, 31, 5);
        release(g, m, m.copy());
      },
    },
    {
      name: 'threshold fixed (hue)',
      method: { kind: 'threshold', channel: 'h', mode: 'fixed', value: 90, adaptive: { method: 'mean', blockSize: 31, c: 5 }, invert: false },
      direct: (f) => {
        const hsv = onOneThread(() => f.cvtColor(cv.COLOR_BGR2HSV));
        const planes = hsv.splitChannels();
        const m = planes[0]!.threshold(90, 255, cv.THRESH_BINARY);
        release(hsv, ...planes, m, m.copy());
      },
    },
    {
      name: 'edges canny 50/150',
      method: { kind: 'edges', channel: 'gray', low: 50, high: 150, aperture: 3, l2: false, fill: false },
      direct: (f) => {
        const g = onOneThread(() => f.cvtColor(cv.COLOR_BGR2GRAY));
        const m = g.canny(50, 150, 3, false);
        release(g, m, m.copy());
      },
    },
    {
      name: 'edges canny, filled',
      method: { kind: 'edges', channel: 'gray', low: 50, high: 150, aperture: 3, l2: false, fill: true },
      direct: (f) => {
        const g = onOneThread(() => f.cvtColor(cv.COLOR_BGR2GRAY));
        const e = g.canny(50, 150, 3, false);
        const filled = blank(e.rows, e.cols, cv.CV_8UC1, 0);
        const contours = e.findContours(cv.RETR_EXTERNAL, cv.CHAIN_APPROX_SIMPLE).map((c) => c.getPoints());
        if (contours.length) filled.drawContours(contours, -1, new cv.Vec3(255, 255, 255), -1, cv.LINE_8);
        release(g, e, filled, filled.copy());
      },
    },
  ];

  // k-means at K = 4 on a 128 px copy, Lab: the segmenter's calls without its matching and colour means
  const K = 4;
  const KW = 128;
  const kmeansCalls = (f: Mat, t?: { points: number; kmeans: number }): void => {
    const kr = Math.max(1, Math.round((f.rows * KW) / f.cols));
    const small = f.resize(kr, KW, 0, 0, cv.INTER_AREA);
    const lab = small.cvtColor(cv.COLOR_BGR2Lab);
    const px = lab.getData();
    const n = kr * KW;
    const a = performance.now();
    const points = new Array<InstanceType<typeof cv.Point3>>(n);
    for (let i = 0; i < n; i++) points[i] = new cv.Point3(px[i * 3]!, px[i * 3 + 1]!, px[i * 3 + 2]!);
    const b = performance.now();
    const { labels } = cv.kmeans(points, K, new cv.TermCriteria(cv.termCriteria.COUNT + cv.termCriteria.EPS, 10, 0.5), 1, cv.KMEANS_PP_CENTERS);
    const c = performance.now();
    if (t) {
      t.points += b - a;
      t.kmeans += c - b;
    }
    const buf = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) buf[i] = labels[i]!;
    const ls = new cv.Mat(buf, kr, KW, cv.CV_8UC1);
    const lf = ls.resize(f.rows, f.cols, 0, 0, cv.INTER_NEAREST);
    const m = lf.inRange(0, 0);
    release(small, lab, ls, lf, m, m.copy());
  };
  cases.push({
    name: `clusters k=${K} (${KW} px, lab)`,
    method: { kind: 'clusters', k: K, width: KW, attempts: 1, iterations: 10, space: 'lab', foreground: [0] },
    direct: (f) => kmeansCalls(f),
  });

  const methods: MethodFigure[] = [];
  /** compare times `ours` and `direct` in alternating rounds (so that neither always runs warmer) and records their medians */
  const compare = (name: string, ours: (f: Mat) => void, direct: (f: Mat) => void): void => {
    const s: number[] = [];
    const d: number[] = [];
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) {
        s.push(time(ours));
        d.push(time(direct));
      } else {
        d.push(time(direct));
        s.push(time(ours));
      }
    }
    methods.push({ name, segmenterMs: r2(median(s)), directMs: r2(median(d)), ratio: r2(median(s) / median(d)) });
  };
  for (const c of cases) {
    const seg: Segmenter = createSegmenter(c.method, deps);
    compare(c.name, (f) => releaseResult(seg.apply(f)), c.direct);
    seg.release();
  }

  // targets and zones, the common stages after any method, on each frame's wrapped-red colour
  // mask (made once, before timing): through findTargets / analyseZones, and as the same
  // OpenCV calls directly (contours; per kept contour its box, rotated box and moments)
  const { findTargets } = await import('../../server/segment/targets.js');
  const { ZoneCache, analyseZones } = await import('../../server/segment/zones.js');
  const { DEFAULT_TARGET_SETTINGS } = await import('../../shared/targets.js');
  const colour = createSegmenter(DEFAULT_COLOUR, deps);
  const masks = new Map<Mat, Mat>();
  for (const f of frames) {
    const r = colour.apply(f);
    masks.set(f, r.mask.copy());
    releaseResult(r);
  }
  colour.release();
  const directTargets = (m: Mat): number => {
    const contours = m.findContours(cv.RETR_EXTERNAL, cv.CHAIN_APPROX_SIMPLE);
    const kept = contours.map((c) => ({ c, area: c.area, box: c.boundingRect() })).sort((a, b) => b.area - a.area);
    for (const k of kept) {
      k.c.minAreaRect();
      k.c.moments();
    }
    return kept.length;
  };
  const zoneCache = new ZoneCache();
  const zoneSet = zoneCache.get(
    [
      {
        name: 'left',
        kind: 'include',
        points: [
          [0, 0],
          [0.5, 0],
          [0.5, 1],
          [0, 1],
        ],
      },
      {
        name: 'door',
        kind: 'include',
        points: [
          [0.55, 0.2],
          [0.95, 0.3],
          [0.8, 0.9],
        ],
      },
    ],
    cols,
    rows,
  );
  const stageCases: { name: string; stage: (m: Mat) => void; direct: (m: Mat) => void }[] = [
    { name: 'targets (default filters, best 5)', stage: (m) => void findTargets(m, DEFAULT_TARGET_SETTINGS), direct: (m) => void directTargets(m) },
    {
      name: 'zones (2 include zones, coverage and targets)',
      stage: (m) => void analyseZones([{ name: 'red', mask: m }], zoneSet, DEFAULT_TARGET_SETTINGS),
      direct: (m) => {
        for (const z of zoneSet.include) {
          const inside = blank(rows, cols, cv.CV_8UC1, 0);
          m.copyTo(inside, z.mask).release();
          inside.countNonZero();
          directTargets(inside);
          inside.release();
        }
      },
    },
  ];
  for (const c of stageCases)
    compare(
      c.name,
      (f) => c.stage(masks.get(f)!),
      (f) => c.direct(masks.get(f)!),
    );
  zoneCache.release();
  release(...masks.values());

  const kt = { points: 0, kmeans: 0 };
  for (const f of frames) kmeansCalls(f, kt);
  const kr = Math.max(1, Math.round((rows * KW) / cols));
  const clusters = { k: K, width: KW, points: kr * KW, pointsMs: r2(kt.points / frames.length), kmeansMs: r2(kt.kmeans / frames.length) };

  // the generated models: a 1x1 Conv (redgreen) and the same behind 8 3x3 Convs of 32 channels (slow)
  const dir = modelsDir();
  const models: ModelFigure[] = [];
  try {
    const specs = [
      { name: 'redgreen (1x1 Conv)', file: dir.make('redgreen', 'rg.onnx', 256, 256), side: 256 },
      { name: 'slow (8 3x3 Convs, 32 channels)', file: dir.make('slow', 'slow.onnx', 256, 256, 8), side: 256 },
    ];
    for (const spec of specs) {
      const method = {
        ...DEFAULT_MODEL,
        file: spec.file,
        input: { width: spec.side, height: spec.side },
        classes: ['other', 'red'],
        foreground: ['red'],
        swapRB: false,
        threshold: 0,
        maxFps: 60,
      };
      // one synchronous inference, directly
      const net = cv.readNetFromONNX(`${dir.dir}/${spec.file}`);
      const one = (f: Mat): void => {
        const blob = blobOf(f, method);
        net.setInput(blob);
        const out = net.forward();
        release(blob, labelsOf(out, 2, 'softmax', 0), out);
      };
      one(frames[0]!);
      const reps = spec.name.startsWith('slow') ? 5 : 30;
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) one(frames[i % frames.length]!);
      const inferenceMs = (performance.now() - t0) / reps;
      // sustained off the main thread under a stream paced at STREAM_FPS (the cap at its most)
      const seg = new ModelSegmenter(method, { ...deps, modelsDir: dir.dir });
      await seg.whenIdle();
      const applied: number[] = [];
      let fps = 0;
      const start = performance.now();
      let n = 0;
      while (performance.now() - start < modelSeconds * 1000) {
        const a = performance.now();
        const r = seg.apply(frames[n++ % frames.length]!);
        applied.push(performance.now() - a);
        fps = r.info!.model!.fps;
        releaseResult(r);
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, start + (n * 1000) / STREAM_FPS - performance.now())));
      }
      const wall = (performance.now() - start) / 1000;
      await seg.whenIdle();
      seg.release();
      models.push({
        name: spec.name,
        input: `${spec.side}x${spec.side}`,
        inferenceMs: r2(inferenceMs),
        sustainedFps: fps,
        applyMs: { p50: r2(median(applied)), max: r2(Math.max(...applied)) },
        framesPerSecond: Math.round(applied.length / wall),
      });
    }
  } finally {
    dir.remove();
  }
  release(...frames);
  return { frames: { file, cols, rows, count: frames.length }, rounds, methods, clusters, models };
}

const HERE = fileURLToPath(import.meta.url);

/** runMethodsBench runs this bench in a fresh process (its own binding, its own allocator state) and returns its result. */
export function runMethodsBench(file: string, options: MethodsBenchOptions = {}): MethodsBench {
  const args = [HERE, file];
  if (options.frames) args.push('--frames', String(options.frames));
  if (options.rounds) args.push('--rounds', String(options.rounds));
  if (options.modelSeconds) args.push('--model-seconds', String(options.modelSeconds));
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').pop()!) as MethodsBench;
}

/** formatMethodsBench renders the result as a plain table. */
export function formatMethodsBench(b: MethodsBench): string {
  const lines = [
    `methods on ${b.frames.cols}x${b.frames.rows} (${b.frames.count} frames, median of ${b.rounds} rounds)`,
    'method                                  segmenter ms  direct ms  ratio',
  ];
  for (const m of b.methods) lines.push(`${m.name.padEnd(40)}${String(m.segmenterMs).padStart(12)}${String(m.directMs).padStart(11)}${String(m.ratio).padStart(7)}`);
  lines.push(`k-means k=${b.clusters.k} on ${b.clusters.points} points: ${b.clusters.pointsMs} ms making the points, ${b.clusters.kmeansMs} ms in cv.kmeans`);
  for (const m of b.models) {
    lines.push(
      `model ${m.name} ${m.input}: ${m.inferenceMs} ms per inference, ${m.sustainedFps} inferences/s sustained; apply ${m.applyMs.p50} ms (max ${m.applyMs.max}) at ${m.framesPerSecond} frames/s`,
    );
  }
  return lines.join('\n');
}

const isEntry = process.argv[1] === HERE;
if (isEntry && isMainThread) {
  const argv = process.argv.slice(2);
  const flag = (name: string): number | undefined => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : undefined);
  const { CLIPS, makeClip } = await import('../helpers/fixtures.js');
  const file = argv[0] && !argv[0].startsWith('--') ? argv[0] : await makeClip(CLIPS.hd.file, CLIPS.hd.lavfi, CLIPS.hd.seconds);
  const options: MethodsBenchOptions = { frames: flag('--frames'), rounds: flag('--rounds'), modelSeconds: flag('--model-seconds') };
  const worker = new Worker(new URL(import.meta.url), { workerData: { segcamMethodsBench: true, file, options } });
  worker.once('message', (result: MethodsBench) => {
    process.stderr.write(`${formatMethodsBench(result)}\n`);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  });
  worker.once('error', (e) => {
    process.stderr.write(`methods.js: ${e.stack ?? e.message}\n`);
    process.exit(1);
  });
} else if (!isMainThread && parentPort && (workerData as { segcamMethodsBench?: boolean } | null)?.segcamMethodsBench) {
  const { file, options } = workerData as { file: string; options: MethodsBenchOptions };
  parentPort.postMessage(await benchMethods(file, options));
}
