/**
 * The model method: semantic segmentation by an ONNX model through OpenCV's dnn module.
 *
 * Pre-processing is cv.blobFromImage with the settings' input size, mean, scale and swapRB (the
 * whole frame is stretched to the input size; no crop). The model's output is N x C x H x W
 * scores (N = 1, C = the number of classes); each pixel takes the class of its highest score
 * (the first on a tie) if that class's score reaches the threshold (softmax over the classes,
 * or the raw output, as the settings say), else no class. The H x W labels are scaled to the
 * frame with nearest-neighbour, and each foreground class's pixels are one region.
 *
 * A slow model must not slow the stream: inference runs at most `maxFps` times a second, on
 * libuv's thread pool (net.forwardAsync, checked to exist and to give forward's output), one at
 * a time; every frame in between reuses the newest labels. Loading the file is off the main
 * thread too (readNetFromONNXAsync), once per file (again only if the file changes on disk).
 * While either is in flight, OpenCV's thread count is held (see threads.ts). With `sync` (for
 * a binding without forwardAsync, and for comparison) inference runs in `apply` itself, still
 * at most `maxFps` times a second.
 */
import { statSync } from 'node:fs';
import { regionColour, type Method, type ModelMethod } from '../../../shared/methods.js';
import { resolveModelFile } from './files.js';

export { listModels, resolveModelFile } from './files.js';
import { blank, cv, type Mat } from '../../cv.js';
import { unionMask } from './regions.js';
import { runOffThread } from './threads.js';
import { checkKind, type MethodResult, type Region, type Segmenter, type SegmenterDeps } from './types.js';

type Net = ReturnType<typeof cv.readNetFromONNX>;

/** NO_CLASS labels the pixels whose best score is below the threshold. */
export const NO_CLASS = 255;

/** FPS_WINDOW is how many of the latest inferences the reported rate is measured over. */
export const FPS_WINDOW = 8;

/** ModelOptions are the segmenter's dependencies, plus a clock (ms; tests give their own) and the sync switch. */
export interface ModelOptions extends SegmenterDeps {
  now?: () => number;
  sync?: boolean;
}

/**
 * blobOf makes the model's input from a BGR frame. `mean` is always B, G, R: OpenCV wants it in
 * the order of the blob's channels (R, G, B when swapping), so it is handed over in that order.
 */
export function blobOf(frame: Mat, m: ModelMethod): Mat {
  const [b, g, r] = m.mean;
  const mean = m.swapRB ? new cv.Vec3(r, g, b) : new cv.Vec3(b, g, r);
  return cv.blobFromImage(frame, m.scale, new cv.Size(m.input.width, m.input.height), mean, m.swapRB, false, cv.CV_32F);
}

/**
 * labelsOf turns a model's output (1 x C x H x W, or C x H x W, float scores) into H x W 8-bit
 * labels: the class of each pixel's highest score (the first on a tie), or NO_CLASS where that
 * class's score (softmax over the classes, or raw) is below `threshold`. All of it is OpenCV
 * calls on whole planes. Throws if C is not the number of classes named.
 */
export function labelsOf(out: Mat, classes: number, scores: ModelMethod['scores'], threshold: number): Mat {
  const sizes = out.sizes;
  const dims = sizes.length === 4 && sizes[0] === 1 ? sizes.slice(1) : sizes;
  if (dims.length !== 3) throw new Error(`the model's output has shape ${sizes.join('x')}, not 1xCxHxW`);
  const [C, H, W] = dims as [number, number, number];
  if (C !== classes) throw new Error(`the model gives ${C} class score${C === 1 ? '' : 's'} per pixel, but ${classes} class${classes === 1 ? ' is' : 'es are'} named`);
  const flat = out.flattenFloat(C * H, W); // a header on out's data: out must outlive it
  const planes = Array.from({ length: C }, (_, c) => flat.getRegion(new cv.Rect(0, c * H, W, H)));
  const label = blank(H, W, cv.CV_8UC1, 0);
  const best = planes[0]!.copy();
  for (let c = 1; c < C; c++) {
    const diff = planes[c]!.sub(best);
    const above = diff.threshold(0, 255, cv.THRESH_BINARY); // strictly greater: the first maximum wins a tie
    const mask = above.convertTo(cv.CV_8U);
    label.setTo(c, mask).release();
    planes[c]!.copyTo(best, mask).release();
    for (const m of [diff, above, mask]) m.release();
  }
  if (threshold > 0) {
    let keep: Mat;
    if (scores === 'raw') keep = best.inRange(threshold, 3.4e38);
    else {
      // softmax of the best class = 1 / sum over c of exp(s_c - s_best): it reaches the
      // threshold where that sum is at most 1 / threshold
      let sum: Mat | null = null;
      for (const p of planes) {
        const d = p.sub(best);
        const e = d.exp();
        d.release();
        if (!sum) sum = e;
        else {
          const next: Mat = sum.add(e);
          sum.release();
          e.release();
          sum = next;
        }
      }
      keep = sum!.inRange(0, 1 / threshold);
      sum!.release();
    }
    const drop = keep.bitwiseNot();
    label.setTo(NO_CLASS, drop).release();
    keep.release();
    drop.release();
  }
  best.release();
  for (const p of planes) p.release();
  flat.release();
  return label;
}

interface Labels {
  small: Mat;
  /** `small` at the size of the frames being segmented, made when first needed. */
  full: Mat | null;
  /** when the frame these labels were computed from was given to apply, ms */
  madeAt: number;
}

/** ModelSegmenter runs the model method. */
export class ModelSegmenter implements Segmenter {
  readonly kind = 'model' as const;
  private method: ModelMethod;
  private readonly deps: ModelOptions;
  private readonly now: () => number;
  private readonly sync: boolean;
  private net: Net | null = null;
  private netFile: { path: string; mtimeMs: number; size: number } | null = null;
  /** bumped whenever the net changes: results of an older net are dropped */
  private generation = 0;
  private loading: Promise<void> | null = null;
  private inferring: Promise<void> | null = null;
  private lastStart = Number.NEGATIVE_INFINITY;
  private labels: Labels | null = null;
  private completions: number[] = [];
  private lastProblem: string | null = null;
  private released = false;

  constructor(method: ModelMethod, deps: ModelOptions) {
    this.method = method;
    this.deps = deps;
    this.now = deps.now ?? (() => performance.now());
    this.sync = deps.sync ?? typeof cv.Net.prototype.forwardAsync !== 'function';
    this.load(resolveModelFile(deps.modelsDir, method.file));
  }

  /**
   * update takes new settings. A new file name, or the same file changed on disk, loads the
   * new model (and the old one's labels are dropped); any other change applies from the next
   * inference on, and a new foreground from the next frame.
   */
  update(method: Method): void {
    checkKind('model', method);
    const path = resolveModelFile(this.deps.modelsDir, method.file); // throws before anything changes
    this.method = method;
    this.load(path);
  }

  /** problem is why the model could not be loaded or run, or null: for the camera's status. */
  problem(): string | null {
    return this.lastProblem;
  }

  /** async tells whether inference is off the main thread (forwardAsync) rather than in apply. */
  get async(): boolean {
    return !this.sync;
  }

  /** whenIdle resolves once no load and no inference is in flight (for tests, benches and a clean shutdown). */
  async whenIdle(): Promise<void> {
    while (this.loading || this.inferring) await Promise.all([this.loading, this.inferring]);
  }

  /**
   * apply starts an inference on this frame if the model is loaded, none is in flight and the
   * rate cap allows, and returns the regions of the newest labels (empty masks before the first).
   */
  apply(frame: Mat): MethodResult {
    const now = this.now();
    if (this.net && !this.inferring && now - this.lastStart >= 1000 / this.method.maxFps) this.infer(frame, now);
    const regions = this.regions(frame);
    const labels = this.labels;
    return {
      mask: unionMask(regions, frame.rows, frame.cols),
      regions,
      info: { model: { fps: this.fps(), age: labels ? Math.round(now - labels.madeAt) : -1 } },
    };
  }

  /** release drops the model and its labels; an inference in flight finishes and is discarded. */
  release(): void {
    this.released = true;
    this.generation++;
    this.net = null;
    this.dropLabels();
  }

  private load(path: string): void {
    const st = statSync(path);
    const f = this.netFile;
    if (f && f.path === path && f.mtimeMs === st.mtimeMs && f.size === st.size) return;
    this.netFile = { path, mtimeMs: st.mtimeMs, size: st.size };
    const generation = ++this.generation;
    this.net = null;
    this.dropLabels();
    this.completions = [];
    this.lastStart = Number.NEGATIVE_INFINITY;
    const loaded = (net: Net): void => {
      if (generation !== this.generation) return;
      this.net = net;
      this.lastProblem = null;
    };
    const failed = (e: unknown): void => {
      if (generation !== this.generation) return;
      this.report(`model ${this.method.file} could not be loaded: ${(e as Error).message ?? String(e)}`);
    };
    if (this.sync) {
      try {
        loaded(cv.readNetFromONNX(path));
      } catch (e) {
        failed(e);
      }
      return;
    }
    const p: Promise<void> = runOffThread(() => cv.readNetFromONNXAsync(path))
      .then(loaded, failed)
      .finally(() => {
        if (this.loading === p) this.loading = null;
      });
    this.loading = p;
  }

  private infer(frame: Mat, now: number): void {
    const net = this.net!;
    const generation = this.generation;
    const blob = blobOf(frame, this.method);
    this.lastStart = now;
    try {
      net.setInput(blob);
    } catch (e) {
      blob.release();
      this.report(`model ${this.method.file} refused its input: ${(e as Error).message ?? String(e)}`);
      return;
    }
    blob.release();
    if (this.sync) {
      let out: Mat;
      try {
        out = net.forward();
      } catch (e) {
        this.report(`model ${this.method.file} failed: ${(e as Error).message ?? String(e)}`);
        return;
      }
      this.finish(out, generation, now);
      return;
    }
    const p: Promise<void> = runOffThread(() => net.forwardAsync())
      .then(
        (out) => this.finish(out, generation, now),
        (e: unknown) => {
          if (generation === this.generation) this.report(`model ${this.method.file} failed: ${(e as Error).message ?? String(e)}`);
        },
      )
      .finally(() => {
        if (this.inferring === p) this.inferring = null;
      });
    this.inferring = p;
  }

  private finish(out: Mat, generation: number, startedAt: number): void {
    if (this.released || generation !== this.generation) {
      out.release();
      return;
    }
    let small: Mat;
    try {
      small = labelsOf(out, this.method.classes.length, this.method.scores, this.method.threshold);
    } catch (e) {
      this.report(`model ${this.method.file}: ${(e as Error).message ?? String(e)}`);
      return;
    } finally {
      out.release();
    }
    this.dropLabels();
    this.labels = { small, full: null, madeAt: startedAt };
    this.lastProblem = null;
    this.completions.push(this.now());
    if (this.completions.length > FPS_WINDOW) this.completions.shift();
  }

  private regions(frame: Mat): Region[] {
    const l = this.labels;
    let full: Mat | null = null;
    if (l) {
      if (!l.full || l.full.rows !== frame.rows || l.full.cols !== frame.cols) {
        l.full?.release();
        l.full = l.small.resize(frame.rows, frame.cols, 0, 0, cv.INTER_NEAREST);
      }
      full = l.full;
    }
    return this.method.foreground.map((name, i) => {
      const index = this.method.classes.indexOf(name);
      const mask = full && index >= 0 ? full.inRange(index, index) : blank(frame.rows, frame.cols, cv.CV_8UC1, 0);
      return { name, color: regionColour(i), mask };
    });
  }

  private fps(): number {
    const c = this.completions;
    if (c.length < 2) return 0;
    return Math.round((10000 * (c.length - 1)) / (c[c.length - 1]! - c[0]!)) / 10;
  }

  private dropLabels(): void {
    this.labels?.small.release();
    this.labels?.full?.release();
    this.labels = null;
  }

  /** report logs a problem once (until it changes) and keeps it for problem(). */
  private report(message: string): void {
    if (message !== this.lastProblem) this.deps.log(message);
    this.lastProblem = message;
  }
}
