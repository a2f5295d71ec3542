/**
 * JPEG decoding and pixel statistics with real OpenCV, for checking what viewers receive.
 */
import { cv, type Mat } from '../../server/cv.js';

/** decode decodes a JPEG (colour or grey) into a Mat; the caller releases it. */
export function decode(jpeg: Uint8Array, grey = false): Mat {
  return cv.imdecode(Buffer.from(jpeg), grey ? cv.IMREAD_GRAYSCALE : cv.IMREAD_COLOR);
}

/** fractionOf returns the fraction of pixels of a 1-channel Mat that satisfy `pred`. */
export function fractionOf(mask: Mat, pred: (v: number) => boolean): number {
  const d = mask.getData();
  let n = 0;
  for (let i = 0; i < d.length; i++) if (pred(d[i]!)) n++;
  return n / d.length;
}

/** meanAbsDiff is the mean absolute difference of two same-size images, per channel value. */
export function meanAbsDiff(a: Mat, b: Mat): number {
  const x = a.getData();
  const y = b.getData();
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.abs(x[i]! - y[i]!);
  return s / x.length;
}
