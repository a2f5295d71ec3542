/**
 * Segmentation of one frame, natively in OpenCV: optional blur, colour ranges (OR-ed), optional
 * motion (alone or AND-ed with the colours), cleanup per range, and the analysis of each range
 * (coverage; blobs when `settings.blobs` asks for them).
 */
import type { Analysis, RangeAnalysis } from '../../shared/protocol.js';
import type { Settings } from '../../shared/settings.js';
import { blank, cv, onOneThread, type Mat } from '../cv.js';
import { analyseMask, coverage } from './analysis.js';
import { blurFrame, cleanMask } from './cleanup.js';
import { rangeMask, toSpace } from './mask.js';
import { MotionDetector } from './motion.js';

/** Segmented is the final mask (caller releases it) and what it found. */
export interface Segmented {
  mask: Mat;
  analysis: Analysis;
}

/** MOTION_NAME labels the motion mask's analysis when motion is used alone. */
export const MOTION_NAME = 'motion';

/** segmentFrame computes the mask of `frame` under `settings`. `motion` keeps its model across frames. */
export function segmentFrame(frame: Mat, settings: Settings, motion: MotionDetector): Segmented {
  const blurred = blurFrame(frame, settings.blur);
  const src = blurred ?? frame;
  const moving = settings.motion.mode === 'off' ? null : motion.apply(src, settings.motion);
  const ranges: RangeAnalysis[] = [];
  let final: Mat;
  const clean = (m: Mat): Mat => cleanMask(m, settings.open, settings.close, settings.minArea);

  if (settings.motion.mode === 'only') {
    final = clean(moving!);
    ranges.push(analyseMask(final, MOTION_NAME, '#ffffff', settings.blobs));
  } else {
    const converted = onOneThread(() => toSpace(src, settings.space));
    const masks: Mat[] = [];
    for (const range of settings.ranges) {
      let m = onOneThread(() => rangeMask(converted, settings.space, range));
      if (moving) {
        const both = m.bitwiseAnd(moving);
        m.release();
        m = both;
      }
      m = clean(m);
      ranges.push(analyseMask(m, range.name, range.color, settings.blobs));
      masks.push(m);
    }
    final = unionOf(masks, frame.rows, frame.cols);
    if (converted !== src) converted.release();
    moving?.release();
  }
  blurred?.release();
  // one range: its analysis already counted the mask's pixels
  const total = ranges.length === 1 ? ranges[0]!.coverage : coverage(final);
  return { mask: final, analysis: { coverage: total, ranges } };
}

/** unionOf ORs masks into one, consuming them (a single mask is returned as it is). */
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
