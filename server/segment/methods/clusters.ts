/**
 * The cluster method: k-means colour clustering (cv.kmeans) of a copy of the frame scaled down
 * to `width` px, its labels scaled back up to the frame with nearest-neighbour, the clusters
 * listed in `foreground` being the mask.
 *
 * k-means numbers its clusters arbitrarily, and anew on every call: left alone, "cluster 2" would
 * be the sky on one frame and the road on the next. The binding's cv.kmeans cannot be handed
 * initial labels or centres (its labels are output-only, so KMEANS_USE_INITIAL_LABELS is not
 * available), so the warm start is by matching: each frame's centres are matched to the previous
 * frame's (the assignment of least total squared distance, exact for k <= 8) and take their
 * indices. The first frame (and any frame after k or the space changes) numbers its clusters
 * from darkest to lightest, so that a saved `foreground` means the same colours after a restart.
 */
import { clusterRegionName, regionColour, type ClustersMethod, type Method } from '../../../shared/methods.js';
import { blank, cv, type Mat } from '../../cv.js';
import { unionMask } from './regions.js';
import { checkKind, type MethodInfo, type MethodResult, type Region, type Segmenter } from './types.js';

type Centre = [number, number, number];

/** KMEANS_EPSILON stops k-means early once no centre moves more than this (channel levels). */
export const KMEANS_EPSILON = 0.5;

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
    const { k, space, width, attempts, iterations, foreground } = this.method;
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
    const points = new Array<InstanceType<typeof cv.Point3>>(n);
    for (let i = 0; i < n; i++) points[i] = new cv.Point3(px[i * 3]!, px[i * 3 + 1]!, px[i * 3 + 2]!);
    const criteria = new cv.TermCriteria(cv.termCriteria.COUNT + cv.termCriteria.EPS, iterations, KMEANS_EPSILON);
    const { labels, centers } = cv.kmeans(points, k, criteria, attempts, cv.KMEANS_PP_CENTERS);
    const found: Centre[] = centers.map((c) => [c.x, c.y, c.z]);
    const index = this.centres && this.centres.length === k ? matchCentres(this.centres, found) : orderByLightness(found, space);
    const centres = new Array<Centre>(k);
    found.forEach((c, j) => (centres[index[j]!] = c));
    this.centres = centres;

    // each cluster's colour is the mean BGR of its pixels (exact for a flat colour, where a
    // centre found in 8-bit Lab and converted back would be off by the Lab rounding)
    const counts = new Array<number>(k).fill(0);
    const sums = new Float64Array(k * 3);
    const labelled = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) {
      const l = index[labels[i]!]!;
      labelled[i] = l;
      counts[l]!++;
      sums[l * 3] = sums[l * 3]! + bgrPx[i * 3]!;
      sums[l * 3 + 1] = sums[l * 3 + 1]! + bgrPx[i * 3 + 1]!;
      sums[l * 3 + 2] = sums[l * 3 + 2]! + bgrPx[i * 3 + 2]!;
    }
    const mean = (l: number, c: number): number => (counts[l] ? Math.round(sums[l * 3 + c]! / counts[l]!) : 0);
    const labelSmall = new cv.Mat(labelled, rows, cols, cv.CV_8UC1);
    const label = labelSmall.rows === frame.rows && labelSmall.cols === frame.cols ? labelSmall : labelSmall.resize(frame.rows, frame.cols, 0, 0, cv.INTER_NEAREST);
    const regions: Region[] = foreground.map((i) => ({ name: clusterRegionName(i), color: regionColour(i), mask: label.inRange(i, i) }));
    if (label !== labelSmall) label.release();
    labelSmall.release();
    const info: MethodInfo = {
      clusters: centres.map((_, i) => ({ index: i, bgr: [mean(i, 0), mean(i, 1), mean(i, 2)], coverage: Math.round((10000 * counts[i]!) / n) / 100 })),
    };
    return { mask: unionMask(regions, frame.rows, frame.cols), regions, info };
  }

  /** release forgets the centres. */
  release(): void {
    this.centres = null;
  }
}
