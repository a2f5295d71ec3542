/**
 * One 8-bit channel of a BGR frame, for the methods that look at a single channel (threshold,
 * edges): grey, one of HSV or 8-bit Lab, or one of the frame's own B, G, R.
 */
import type { Channel } from '../../../shared/methods.js';
import { cv, onOneThread, type Mat } from '../../cv.js';

/** CHANNEL_SOURCES says which conversion gives each channel, and its index in the result. */
const CHANNEL_SOURCES: Record<Channel, { code: number | null; index: number }> = {
  gray: { code: cv.COLOR_BGR2GRAY, index: 0 },
  h: { code: cv.COLOR_BGR2HSV, index: 0 },
  s: { code: cv.COLOR_BGR2HSV, index: 1 },
  v: { code: cv.COLOR_BGR2HSV, index: 2 },
  l: { code: cv.COLOR_BGR2Lab, index: 0 },
  a: { code: cv.COLOR_BGR2Lab, index: 1 },
  b: { code: cv.COLOR_BGR2Lab, index: 2 },
  blue: { code: null, index: 0 },
  green: { code: null, index: 1 },
  red: { code: null, index: 2 },
};

/**
 * extractChannel returns one channel of a BGR frame as a new 8-bit single-channel Mat (the
 * caller releases it). The conversion runs on OpenCV's thread alone, as the colour ranges'
 * does (see cv.ts's onOneThread).
 */
export function extractChannel(frame: Mat, channel: Channel): Mat {
  const { code, index } = CHANNEL_SOURCES[channel];
  if (code === cv.COLOR_BGR2GRAY) return onOneThread(() => frame.cvtColor(code));
  const converted = code === null ? frame : onOneThread(() => frame.cvtColor(code));
  const planes = converted.splitChannels();
  if (converted !== frame) converted.release();
  for (let i = 0; i < planes.length; i++) if (i !== index) planes[i]!.release();
  return planes[index]!;
}
