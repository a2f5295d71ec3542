/**
 * Mask cleanup: blur before thresholding, morphological open (removes specks) and close
 * (fills holes), and dropping blobs below a minimum area.
 */
import { cv, type Mat } from '../cv.js';

/** blurFrame returns a Gaussian-blurred copy (kernel px, odd), or null when blur is off. */
export function blurFrame(frame: Mat, kernel: number): Mat | null {
  return kernel > 1 ? frame.gaussianBlur(new cv.Size(kernel, kernel), 0) : null;
}

const kernels = new Map<number, Mat>();
function ellipse(size: number): Mat {
  let k = kernels.get(size);
  if (!k) {
    k = cv.getStructuringElement(cv.MORPH_ELLIPSE, new cv.Size(size, size));
    kernels.set(size, k);
  }
  return k;
}

/**
 * cleanMask applies open, then close, then the minimum blob area to a mask. It consumes `mask`
 * (releasing it when it makes a new one) and returns the cleaned mask.
 */
export function cleanMask(mask: Mat, open: number, close: number, minArea: number): Mat {
  let m = mask;
  for (const [size, op] of [
    [open, cv.MORPH_OPEN],
    [close, cv.MORPH_CLOSE],
  ] as const) {
    if (size > 1) {
      const next = m.morphologyEx(ellipse(size), op);
      m.release();
      m = next;
    }
  }
  if (minArea > 0) dropSmallBlobs(m, minArea);
  return m;
}

/** dropSmallBlobs erases, in place, every outer blob whose contour area is below `minArea` px. */
export function dropSmallBlobs(mask: Mat, minArea: number): number {
  const small = mask
    .findContours(cv.RETR_EXTERNAL, cv.CHAIN_APPROX_SIMPLE)
    .filter((c) => c.area < minArea)
    .map((c) => c.getPoints());
  if (small.length) mask.drawContours(small, -1, new cv.Vec3(0, 0, 0), -1, cv.LINE_8);
  return small.length;
}
