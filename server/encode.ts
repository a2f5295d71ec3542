/**
 * The encode stage: one JPEG per frame and watched view, by libjpeg(-turbo) through OpenCV.
 */
import { cv, type Mat } from './cv.js';

/** encodeJpeg compresses an 8-bit BGR or grey image at `quality` (1..100). */
export function encodeJpeg(image: Mat, quality: number): Buffer {
  return cv.imencode('.jpg', image, [cv.IMWRITE_JPEG_QUALITY, quality]);
}

/**
 * encodeJpegAsync is encodeJpeg on libuv's thread pool, so that the OpenCV thread can segment
 * the next frame meanwhile. `image` must stay unchanged and unreleased until it resolves.
 */
export function encodeJpegAsync(image: Mat, quality: number): Promise<Buffer> {
  return cv.imencodeAsync('.jpg', image, [cv.IMWRITE_JPEG_QUALITY, quality]);
}
