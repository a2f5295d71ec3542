/**
 * The cluster method: k-means colour clustering of a copy of the frame scaled down to `width`
 * px, its labels scaled back up to the frame with nearest-neighbour, the clusters listed in
 * `foreground` being the mask.
 *
 * k-means numbers its clusters arbitrarily, and from a random start finds a different split on
 * every call: left alone, "cluster 2" would be the sky on one frame and the road on the next,
 * and two close colours (a textured wall) would be split one way, then another. So only the
 * first frame (and a frame after k or the space changes) runs cv.kmeans from k-means++ seeds,
 * numbering its clusters from darkest to lightest so that a saved `foreground` means the same
 * colours after a restart. Every later frame starts from the previous frame's centres (the
 * warm start cv.kmeans cannot do: the binding's labels are output-only, so
 * KMEANS_USE_INITIAL_LABELS is not available) and refines them with Lloyd's iterations here:
 * a still scene keeps the same split and numbers, a moving one carries them along. So that a
 * scene that changes a lot is not held to a stale split, every RESEED_FRAMES frames cv.kmeans
 * also runs from fresh seeds, and its split replaces the warm one only when it fits the
 * picture clearly better (RESEED_GAIN); it then takes the previous indices by matching centres
 * (the assignment of least total squared distance, exact for k <= 8).
 */
import { clusterRegionName, regionColour, type ClustersMethod, type Method } from '../../../shared/methods.js';
import { blank, cv, type Mat } from '../../cv.js';
import { unionMask } from './regions.js';
import { checkKind, type MethodInfo, type MethodResult, type Region, type Segmenter } from './types.js';

type Centre = [number, number, number];

/** KMEANS_EPSILON stops k-means early once no centre moves more than this (channel levels). */
export const KMEANS_EPSILON = 0.5;
/** RESEED_FRAMES: how often (frames) a fresh k-means is tried against the warm-started one */
export const RESEED_FRAMES = 30;
/** RESEED_GAIN: a fresh split replaces the warm one when its compactness is below this share of the warm one's */
export const RESEED_GAIN = 0.8;

/** Clustering is one split of the points: a label per point, the centres, and the sum of squared distances to them. */
interface Clustering {
  labels: Uint8Array;
  centres: Centre[];
  compactness: number;
}

/** assign labels each point (n x 3 channel values in `px`) with its nearest centre; returns the compactness. */
function assign(px: ArrayLike<number>, n: number, centres: readonly Centre[], labels: Uint8Array): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const [a, b, c] = [px[i * 3]!, px[i * 3 + 1]!, px[i * 3 + 2]!];
    let best = Number.POSITIVE_INFINITY;
    let label = 0;
    for (let j = 0; j < centres.length; j++) {
      const m = centres[j]!;
      const d = (a - m[0]) ** 2 + (b - m[1]) ** 2 + (c - m[2]) ** 2;
      if (d < best) {
        best = d;
        label = j;
      }
    }
    labels[i] = label;
    total += best;
  }
  return total;
}

/**
 * refine runs Lloyd's iterations from `start`: each point to its nearest centre, each centre to
 * the mean of its points, until no centre moves more than KMEANS_EPSILON or `iterations` have
 * run. A centre left without points stays where it was.
 */
export function refine(px: ArrayLike<number>, n: number, start: readonly Centre[], iterations: number): Clustering {
  const k = start.length;
  const centres = start.map((c): Centre => [c[0], c[1], c[2]]);
  const labels = new Uint8Array(n);
  const sums = new Float64Array(k * 3);
  const counts = new Uint32Array(k);
  for (let step = 0; step < iterations; step++) {
    assign(px, n, centres, labels);
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const l = labels[i]!;
      counts[l]!++;
      for (let ch = 0; ch < 3; ch++) sums[l * 3 + ch] = sums[l * 3 + ch]! + px[i * 3 + ch]!;
    }
    let moved = 0;
    for (let j = 0; j < k; j++) {
      if (!counts[j]) continue;
      const m: Centre = [sums[j * 3]! / counts[j]!, sums[j * 3 + 1]! / counts[j]!, sums[j * 3 + 2]! / counts[j]!];
      const c = centres[j]!;
      moved = Math.max(moved, (m[0] - c[0]) ** 2 + (m[1] - c[1]) ** 2 + (m[2] - c[2]) ** 2);
      centres[j] = m;
    }
    if (moved <= KMEANS_EPSILON ** 2) break;
  }
  return { labels, centres, compactness: assign(px, n, centres, labels) };
}

/** fresh runs cv.kmeans from k-means++ seeds (its best of `attempts`), labels and compactness worked out against its centres. */
function fresh(px: ArrayLike<number>, n: number, k: number, attempts: number, iterations: number): Clustering {
  const points = new Array<InstanceType<typeof cv.Point3>>(n);
  for (let i = 0; i < n; i++) points[i] = new cv.Point3(px[i * 3]!, px[i * 3 + 1]!, px[i * 3 + 2]!);
  const criteria = new cv.TermCriteria(cv.termCriteria.COUNT + cv.termCriteria.EPS, iterations, KMEANS_EPSILON);
  const { centers } = cv.kmeans(points, k, criteria, attempts, cv.KMEANS_PP_CENTERS);
  const centres = centers.map((c): Centre => [c.x, c.y, c.z]);
  const labels = new Uint8Array(n);
  return { labels, centres, compactness: assign(px, n, centres, labels) };
}

/** renumber gives a clustering's centres the indices `index` (new centre j becomes index[j]). */
function renumber(c: Clustering, index: readonly number[]): Clustering {
  const centres = new Array<Centre>(c.centres.length);
  c.centres.forEach((m, j) => (centres[index[j]!] = m));
  const labels = c.labels.map((l) => index[l]!);
  return { labels, centres, compactness: c.compactness };
}

/** lightness orders colours for the first numbering: Lab's L, or BGR's luma (Rec. 601). */
function lightness(c: Centre, space: ClustersMethod['space']): number {
  return space === 'lab' ? c[0] : 0.114 * c[0] + 0.587 * c[1] + 0.299 * c[2];
}

/** orderByLightness gives each centre its index when there is no previous frame: darkest 0 (ties by channel). */
export function orderByLightness(centres: readonly Centre[], space: ClustersMethod['space']): number[] {
  const order = centres.map((_, j) => j);
  order.sort((a, b) => {
    const ca = centres[a]!;
    const cb = centres[b]!;
    return lightness(ca, space) - lightness(cb, space) || ca[0] - cb[0] || ca[1] - cb[1] || ca[2] - cb[2] || a - b;
  });
  const index = new Array<number>(centres.length);
  order.forEach((j, rank) => (index[j] = rank));
  return index;
}

/**
 * matchCentres returns, for each new centre j, the index of the previous centre it takes over:
 * the one-to-one assignment of least total squared distance (dynamic programming over subsets,
 * k * 2^k steps). `previous` and `next` have the same length.
 */
export function matchCentres(previous: readonly Centre[], next: readonly Centre[]): number[] {
  const k = next.length;
  const cost = next.map((a) => previous.map((b) => (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 + (a[2] - b[2]) ** 2));
  const full = (1 << k) - 1;
  const best = new Float64Array(1 << k).fill(Number.POSITIVE_INFINITY);
  const choice = new Int8Array(1 << k).fill(-1);
  best[0] = 0;
  for (let used = 0; used < full; used++) {
    if (best[used] === Number.POSITIVE_INFINITY) continue;
    let j = 0; // the next new centre to place is the count of previous centres used
    for (let u = used; u; u &= u - 1) j++;
    for (let i = 0; i < k; i++) {
      if (used & (1 << i)) continue;
      const to = used | (1 << i);
      const c = best[used]! + cost[j]![i]!;
      if (c < best[to]!) {
        best[to] = c;
        choice[to] = i;
      }
    }
  }
  const index = new Array<number>(k);
  let used = full;
  for (let j = k - 1; j >= 0; j--) {
    const i = choice[used]!;
    index[j] = i;
    used &= ~(1 << i);
  }
  return index;
}

/** ClustersSegmenter runs the cluster method; its state is the previous frame's centres. */
export class ClustersSegmenter implements Segmenter {
  readonly kind = 'clusters' as const;
  private method: ClustersMethod;
  private centres: Centre[] | null = null;
  /** frames clustered since the last fresh k-means */
  private sinceFresh = 0;

  constructor(method: ClustersMethod) {
    this.method = method;
  }

  /**
   * update takes new settings. The centres (and so the numbering) are kept unless k or the
   * space changes: a new foreground, width, attempts or iterations count keeps every
   * cluster's index.
   */
  update(method: Method): void {
    checkKind('clusters', method);
    if (method.k !== this.method.k || method.space !== this.method.space) this.centres = null;
    this.method = method;
  }

  /**
   * apply clusters the frame; `info.clusters` gives each cluster's colour (the mean B, G, R of its
   * pixels, 0 for an empty cluster) and coverage (% of the downscaled picture's pixels).
   */
  apply(frame: Mat): MethodResult {
    const { k, space, width, foreground } = this.method;
    const cols = Math.min(width, frame.cols);
    const rows = Math.max(1, Math.round((frame.rows * cols) / frame.cols));
    const small = cols === frame.cols && rows === frame.rows ? frame : frame.resize(rows, cols, 0, 0, cv.INTER_AREA);
    const data = space === 'lab' ? small.cvtColor(cv.COLOR_BGR2Lab) : small;
    const n = rows * cols;
    const empty = (): MethodResult => {
      const regions = foreground.map((i) => ({ name: clusterRegionName(i), color: regionColour(i), mask: blank(frame.rows, frame.cols, cv.CV_8UC1, 0) }));
      return { mask: blank(frame.rows, frame.cols, cv.CV_8UC1, 0), regions, info: { clusters: [] } };
    };
    if (n < k) {
      if (data !== small) data.release();
      if (small !== frame) small.release();
      return empty();
    }
    const px = data.getData();
    const bgrPx = data === small ? px : small.getData();
    if (data !== small) data.release();
    if (small !== frame) small.release();
    const split = this.cluster(px, n);
    this.centres = split.centres;

    // each cluster's colour is the mean BGR of its pixels (exact for a flat colour, where a
    // centre found in 8-bit Lab and converted back would be off by the Lab rounding)
    const counts = new Array<number>(k).fill(0);
    const sums = new Float64Array(k * 3);
    for (let i = 0; i < n; i++) {
      const l = split.labels[i]!;
      counts[l]!++;
      sums[l * 3] = sums[l * 3]! + bgrPx[i * 3]!;
      sums[l * 3 + 1] = sums[l * 3 + 1]! + bgrPx[i * 3 + 1]!;
      sums[l * 3 + 2] = sums[l * 3 + 2]! + bgrPx[i * 3 + 2]!;
    }
    const labelled = Buffer.from(split.labels.buffer, split.labels.byteOffset, n);
    const mean = (l: number, c: number): number => (counts[l] ? Math.round(sums[l * 3 + c]! / counts[l]!) : 0);
    const labelSmall = new cv.Mat(labelled, rows, cols, cv.CV_8UC1);
    const label = labelSmall.rows === frame.rows && labelSmall.cols === frame.cols ? labelSmall : labelSmall.resize(frame.rows, frame.cols, 0, 0, cv.INTER_NEAREST);
    const regions: Region[] = foreground.map((i) => ({ name: clusterRegionName(i), color: regionColour(i), mask: label.inRange(i, i) }));
    if (label !== labelSmall) label.release();
    labelSmall.release();
    const info: MethodInfo = {
      clusters: split.centres.map((_, i) => ({ index: i, bgr: [mean(i, 0), mean(i, 1), mean(i, 2)], coverage: Math.round((10000 * counts[i]!) / n) / 100 })),
    };
    return { mask: unionMask(regions, frame.rows, frame.cols), regions, info };
  }

  /**
   * cluster splits this frame's points: from fresh seeds on the first frame, else from the
   * previous centres (and now and then against fresh seeds, kept only if clearly better).
   */
  private cluster(px: ArrayLike<number>, n: number): Clustering {
    const { k, space, attempts, iterations } = this.method;
    if (!this.centres || this.centres.length !== k) {
      this.sinceFresh = 0;
      const c = fresh(px, n, k, attempts, iterations);
      return renumber(c, orderByLightness(c.centres, space));
    }
    const warm = refine(px, n, this.centres, iterations);
    if (++this.sinceFresh < RESEED_FRAMES) return warm;
    this.sinceFresh = 0;
    const c = fresh(px, n, k, attempts, iterations);
    return c.compactness < warm.compactness * RESEED_GAIN ? renumber(c, matchCentres(warm.centres, c.centres)) : warm;
  }

  /** release forgets the centres. */
  release(): void {
    this.centres = null;
  }
}
