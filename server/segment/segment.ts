/**
 * Segmentation of one frame, natively in OpenCV, the same common stages around every method:
 *
 *   transform (flip, turn, crop) → the picture viewers see
 *   → analysis copy (scaled down if asked) → blur → the method's regions (or motion alone)
 *   → per region: exclude zones, motion gate, open/close/minimum area, coverage, blobs, targets
 *   → the union mask, the include zones' analysis → back to the picture's size
 *
 * The method itself is a Segmenter (server/segment/methods/), kept in a SegmentState with the
 * motion model and the rasterised zones from frame to frame.
 */
import type { Analysis, MethodInfo, RangeAnalysis } from '../../shared/protocol.js';
import type { Settings } from '../../shared/settings.js';
import type { RegionTargets, TargetSettings } from '../../shared/targets.js';
import { blank, cv, type Mat } from '../cv.js';
import { analyseMask, coverage } from './analysis.js';
import { blurFrame, cleanMask } from './cleanup.js';
import { histogramOf } from './methods/threshold.js';
import { extractChannel } from './methods/channel.js';
import { updateSegmenter, type Segmenter, type SegmenterDeps } from './methods/index.js';
import { MotionDetector } from './motion.js';
import { regionTargets } from './targets.js';
import { downscaleForAnalysis, scaleFactors, scaleTarget, transformFrame, upscaleMask } from './transform.js';
import { ZoneCache, analyseZones, removeExcluded } from './zones.js';

/** MOTION_NAME labels the motion mask's analysis when motion is used alone. */
export const MOTION_NAME = 'motion';

/** SegmentState is what segmentation keeps from frame to frame: the method's segmenter, the motion model, the rasterised zones. */
export class SegmentState {
  readonly motion = new MotionDetector();
  readonly zones = new ZoneCache();
  private segmenter: Segmenter | null = null;

  constructor(private readonly deps: SegmenterDeps) {}

  /** segmenterFor returns the segmenter of the current method (updated in place, or made anew for another kind). */
  segmenterFor(settings: Settings): Segmenter {
    this.segmenter = updateSegmenter(this.segmenter, settings.method, this.deps);
    return this.segmenter;
  }

  /** problem is why the current method cannot do its work now (frames still pass), or null. */
  problem(): string | null {
    return this.segmenter?.problem?.() ?? null;
  }

  release(): void {
    this.segmenter?.release();
    this.segmenter = null;
    this.zones.release();
  }
}

/** Segmented is the picture (the transformed frame; the caller releases it when it is not the frame), its mask (the caller releases it) and what was found. */
export interface Segmented {
  picture: Mat;
  mask: Mat;
  analysis: Analysis;
}

/** segmentFrame segments `frame` under `settings`. It never keeps the frame. */
export function segmentFrame(frame: Mat, settings: Settings, state: SegmentState): Segmented {
  const picture = transformFrame(frame, settings.transform) ?? frame;
  try {
    return segmentPicture(picture, settings, state);
  } catch (e) {
    if (picture !== frame) picture.release();
    throw e;
  }
}

function segmentPicture(picture: Mat, settings: Settings, state: SegmentState): Segmented {
  const small = downscaleForAnalysis(picture, settings.transform.analysisWidth);
  const analysed = small ?? picture;
  const blurred = blurFrame(analysed, settings.blur);
  const src = blurred ?? analysed;
  const moving = settings.motion.mode === 'off' ? null : state.motion.apply(src, settings.motion);
  const zoneSet = state.zones.get(settings.zones, src.cols, src.rows);
  let regions: { name: string; color: string; mask: Mat }[];
  let info: MethodInfo | undefined;
  try {
    if (settings.motion.mode === 'only') {
      regions = [{ name: MOTION_NAME, color: '#ffffff', mask: moving! }];
    } else {
      const result = state.segmenterFor(settings).apply(src);
      result.mask.release(); // the union is made again from the cleaned regions
      regions = result.regions;
      info = result.info ? { ...result.info } : undefined;
      if (settings.method.kind === 'threshold' || settings.method.kind === 'edges') {
        const channel = extractChannel(src, settings.method.channel);
        const h = histogramOf(channel);
        channel.release();
        const top = Math.max(1, ...h);
        info = { ...info, histogram: [...h].map((v) => Math.round((1000 * v) / top)) };
      }
    }
  } finally {
    blurred?.release();
  }

  // areas are set in picture pixels; on a smaller analysis copy the same thing covers fewer
  const k = small ? (small.cols * small.rows) / (picture.cols * picture.rows) : 1;
  const minArea = Math.round(settings.minArea * k);
  const targetSettings = k === 1 ? settings.targets : scaledAreas(settings.targets, k);
  const ranges: RangeAnalysis[] = [];
  const targets: RegionTargets[] = [];
  for (const r of regions) {
    removeExcluded(r.mask, zoneSet);
    if (moving && settings.motion.mode === 'and') {
      const both = r.mask.bitwiseAnd(moving);
      r.mask.release();
      r.mask = both;
    }
    r.mask = cleanMask(r.mask, settings.open, settings.close, minArea);
    ranges.push(analyseMask(r.mask, r.name, r.color, settings.blobs));
    if (settings.blobs) targets.push(regionTargets(r, targetSettings));
  }
  if (moving && settings.motion.mode !== 'only') moving.release();
  const zones = zoneSet.include.length ? analyseZones(regions, zoneSet, targetSettings) : undefined;
  let mask = unionOf(
    regions.map((r) => r.mask),
    src.rows,
    src.cols,
  );
  // one region: its analysis already counted the mask's pixels
  const total = ranges.length === 1 ? ranges[0]!.coverage : coverage(mask);
  if (small) {
    // what was found on the small copy, at the picture's size
    const { sx, sy } = scaleFactors(picture, small);
    const big = upscaleMask(mask, picture.cols, picture.rows);
    mask.release();
    mask = big;
    small.release();
    for (const r of ranges)
      r.top = r.top?.map((b) => ({
        area: Math.round(b.area * sx * sy),
        x: Math.round(b.x * sx),
        y: Math.round(b.y * sy),
        w: Math.round(b.w * sx),
        h: Math.round(b.h * sy),
        cx: Math.round(b.cx * sx * 10) / 10,
        cy: Math.round(b.cy * sy * 10) / 10,
      }));
    for (const t of targets) t.targets = t.targets.map((x) => scaleTarget(x, sx, sy));
    for (const z of zones ?? []) for (const r of z.regions) r.targets = r.targets.map((x) => scaleTarget(x, sx, sy));
  }
  const analysis: Analysis = {
    coverage: total,
    method: settings.method.kind,
    ranges,
    ...(info ? { info } : {}),
    ...(settings.blobs ? { targets } : {}),
    ...(zones ? { zones } : {}),
  };
  return { picture, mask, analysis };
}

/** unionOf ORs masks into a new mask, consuming them. */
function unionOf(masks: Mat[], rows: number, cols: number): Mat {
  if (masks.length === 0) return blank(rows, cols, cv.CV_8UC1, 0);
  let union = masks[0]!;
  for (const m of masks.slice(1)) {
    const next = union.bitwiseOr(m);
    union.release();
    m.release();
    union = next;
  }
  return union;
}

/** scaledAreas gives target filters in pixels of an analysis copy whose area is `k` times the picture's. */
function scaledAreas(t: TargetSettings, k: number): TargetSettings {
  const f = t.filters;
  return { ...t, filters: { ...f, minArea: f.minArea * k, maxArea: f.maxArea === null ? null : f.maxArea * k } };
}
