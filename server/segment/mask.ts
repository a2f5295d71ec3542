/**
 * Colour masks: a frame and the settings' ranges in, one 8-bit mask per range out
 * (255 = selected), computed by OpenCV's inRange. In HSV a hue range whose lower bound is above
 * its upper bound wraps round through 0: 170..10 selects 170..179 and 0..10.
 */
import { hueWraps, type ColorRange, type Space } from '../../shared/settings.js';
import { cv, type Mat } from '../cv.js';

/** toSpace returns the frame in the ranges' colour space (a new Mat for HSV, the frame for BGR). */
export function toSpace(frame: Mat, space: Space): Mat {
  return space === 'hsv' ? frame.cvtColor(cv.COLOR_BGR2HSV) : frame;
}

/** rangeMask selects the pixels of `converted` (already in `space`) inside `range`. */
export function rangeMask(converted: Mat, space: Space, range: ColorRange): Mat {
  const [l0, l1, l2] = range.lower;
  const [u0, u1, u2] = range.upper;
  if (!hueWraps(space, range)) return converted.inRange(new cv.Vec3(l0, l1, l2), new cv.Vec3(u0, u1, u2));
  const high = converted.inRange(new cv.Vec3(l0, l1, l2), new cv.Vec3(179, u1, u2));
  const low = converted.inRange(new cv.Vec3(0, l1, l2), new cv.Vec3(u0, u1, u2));
  const both = high.bitwiseOr(low);
  high.release();
  low.release();
  return both;
}

/** applyMask returns the frame where the mask is set and black elsewhere, written into `dst`. */
export function applyMask(frame: Mat, mask: Mat, dst: Mat): Mat {
  dst.setTo(new cv.Vec3(0, 0, 0));
  // Mat.bitwiseAnd ignores a mask argument: copyTo is the masked AND. It returns a second
  // wrapper of dst, released at once so that no header outlives the frame.
  frame.copyTo(dst, mask).release();
  return dst;
}
