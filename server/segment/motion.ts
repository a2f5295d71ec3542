/**
 * Motion segmentation: OpenCV's background subtractors (MOG2 or KNN), giving an 8-bit mask of
 * what moves. Shadows (marked 127 by OpenCV) are left out of the mask.
 */
import type { Motion } from '../../shared/settings.js';
import { cv, type Mat } from '../cv.js';

type Subtractor = InstanceType<typeof cv.BackgroundSubtractorMOG2> | InstanceType<typeof cv.BackgroundSubtractorKNN>;

/** MotionDetector keeps one background model; it is rebuilt when its parameters change. */
export class MotionDetector {
  private model: Subtractor | null = null;
  private key = '';

  /** apply feeds one frame to the model and returns the motion mask (caller releases it). */
  apply(frame: Mat, motion: Motion): Mat {
    const key = `${motion.algorithm}/${motion.history}/${motion.shadows}`;
    if (!this.model || key !== this.key) {
      this.model =
        motion.algorithm === 'mog2' ? new cv.BackgroundSubtractorMOG2(motion.history, 16, motion.shadows) : new cv.BackgroundSubtractorKNN(motion.history, 400, motion.shadows);
      this.key = key;
    }
    const raw = this.model.apply(frame, motion.learningRate);
    const mask = raw.threshold(200, 255, cv.THRESH_BINARY); // 127 = shadow, 255 = moving
    raw.release();
    return mask;
  }

  reset(): void {
    this.model = null;
    this.key = '';
  }
}
