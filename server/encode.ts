/**
 * The encode stage: one JPEG per frame and watched view, by libjpeg(-turbo) through OpenCV.
 */
import { cv, type Mat } from './cv.js';

/** encodeJpeg compresses an 8-bit BGR or grey image at `quality` (1..100). */
export function encodeJpeg(image: Mat, quality: number): Buffer {
  return cv.imencode('.jpg', image, [cv.IMWRITE_JPEG_QUALITY, quality]);
}
