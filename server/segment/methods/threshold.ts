/**
 * The threshold method: one channel against a level (cv.threshold), Otsu's level for the frame
 * (THRESH_OTSU), or a level per neighbourhood (cv.adaptiveThreshold). The binding drops the
 * level cv.threshold returns, so Otsu's is read back from its mask: the highest value of the
 * channel that the level left unselected (one masked minMaxLoc, cheaper than a second
 * histogram). Cutting at that level gives the same mask; it is OpenCV's level itself unless the
 * grey levels between the two are absent from the frame (otsuLevelOf computes OpenCV's own).
 */
import { THRESHOLD_REGION, regionColour, type Method, type ThresholdMethod } from '../../../shared/methods.js';
import { cv, type Mat } from '../../cv.js';
import { extractChannel } from './channel.js';
import { checkKind, type MethodResult, type Segmenter } from './types.js';

/** FLT_EPSILON is C's float epsilon, which OpenCV's Otsu uses to skip empty classes. */
const FLT_EPSILON = 1.1920928955078125e-7;

/**
 * otsuLevelOf returns the level Otsu's method picks for a histogram of 256 counts (for checks;
 * the segmenter reads the level back from OpenCV's mask): the level
 * that maximises the between-class variance of "at or below" and "above" it, the first such
 * level on a tie, 0 for a histogram of one value (the same sums, in the same order, as
 * OpenCV 4.6's getThreshVal_Otsu).
 */
export function otsuLevelOf(h: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < 256; i++) total += h[i]!;
  if (total === 0) return 0;
  const scale = 1 / total;
  let mu = 0;
  for (let i = 0; i < 256; i++) mu += i * h[i]!;
  mu *= scale;
  let mu1 = 0;
  let q1 = 0;
  let maxSigma = 0;
  let maxVal = 0;
  for (let i = 0; i < 256; i++) {
    const p = h[i]! * scale;
    mu1 *= q1;
    q1 += p;
    const q2 = 1 - q1;
    if (Math.min(q1, q2) < FLT_EPSILON || Math.max(q1, q2) > 1 - FLT_EPSILON) continue;
    mu1 = (mu1 + i * p) / q1;
    const mu2 = (mu - q1 * mu1) / q2;
    const sigma = q1 * q2 * (mu1 - mu2) * (mu1 - mu2);
    if (sigma > maxSigma) {
      maxSigma = sigma;
      maxVal = i;
    }
  }
  return maxVal;
}

const HIST_AXES = [new cv.HistAxes({ channel: 0, bins: 256, ranges: [0, 256] })];

/** histogramOf counts the values of an 8-bit single-channel Mat (cv.calcHist). */
export function histogramOf(channel: Mat): Float64Array {
  const hist = cv.calcHist(channel, HIST_AXES);
  const data = hist.getData(); // CV_64F, 256 x 1
  hist.release();
  const h = new Float64Array(256);
  for (let i = 0; i < 256; i++) h[i] = data.readDoubleLE(i * 8);
  return h;
}

/** thresholdChannel applies the method to one 8-bit channel; `level` is the level used (null for adaptive). */
export function thresholdChannel(channel: Mat, m: ThresholdMethod): { mask: Mat; level: number | null } {
  const type = m.invert ? cv.THRESH_BINARY_INV : cv.THRESH_BINARY;
  switch (m.mode) {
    case 'fixed':
      return { mask: channel.threshold(m.value, 255, type), level: m.value };
    case 'otsu': {
      // "at or below the level" is what the mask leaves out, or what it selects when inverted
      const below = channel.threshold(0, 255, cv.THRESH_BINARY_INV + cv.THRESH_OTSU);
      const level = channel.minMaxLoc(below).maxVal; // 0 when nothing is at or below it (OpenCV's level then)
      if (m.invert) return { mask: below, level };
      const mask = below.bitwiseNot();
      below.release();
      return { mask, level };
    }
    case 'adaptive': {
      const method = m.adaptive.method === 'mean' ? cv.ADAPTIVE_THRESH_MEAN_C : cv.ADAPTIVE_THRESH_GAUSSIAN_C;
      return { mask: channel.adaptiveThreshold(255, method, type, m.adaptive.blockSize, m.adaptive.c), level: null };
    }
  }
}

/** ThresholdSegmenter runs the threshold method: one region, named `threshold`. */
export class ThresholdSegmenter implements Segmenter {
  readonly kind = 'threshold' as const;
  private method: ThresholdMethod;

  constructor(method: ThresholdMethod) {
    this.method = method;
  }

  /** update takes new threshold settings. */
  update(method: Method): void {
    checkKind('threshold', method);
    this.method = method;
  }

  /** apply thresholds the frame's channel; Otsu reports its level in `info.otsuLevel`. */
  apply(frame: Mat): MethodResult {
    const channel = extractChannel(frame, this.method.channel);
    const { mask, level } = thresholdChannel(channel, this.method);
    channel.release();
    const result: MethodResult = { mask: mask.copy(), regions: [{ name: THRESHOLD_REGION, color: regionColour(0), mask }] };
    if (this.method.mode === 'otsu') result.info = { otsuLevel: level! };
    return result;
  }

  /** release has nothing to free: the segmenter keeps no Mats. */
  release(): void {}
}
