/**
 * Views: what a viewer chooses to watch, rendered from a frame and its mask. The masked and
 * side-by-side images are drawn into buffers kept from frame to frame (no per-frame allocation).
 */
import type { View } from '../../shared/settings.js';
import { blank, cv, type Mat } from '../cv.js';
import { applyMask } from './mask.js';

/** ViewRenderer renders views; returned Mats are borrowed until the next frame. */
export class ViewRenderer {
  private masked: Mat | null = null;
  private side: { all: Mat; left: Mat; right: Mat } | null = null;
  private maskedFor = -1;

  /** render returns `view` of this frame; call `nextFrame()` before each new frame. */
  render(view: View, frame: Mat, mask: Mat, seq: number): Mat {
    if (view === 'original') return frame;
    if (view === 'mask') return mask;
    const masked = this.maskedOf(frame, mask, seq);
    if (view === 'masked') return masked;
    const side = this.sideBuffers(frame.cols, frame.rows);
    frame.copyTo(side.left).release();
    masked.copyTo(side.right).release();
    return side.all;
  }

  private maskedOf(frame: Mat, mask: Mat, seq: number): Mat {
    if (!this.masked || this.masked.cols !== frame.cols || this.masked.rows !== frame.rows) {
      this.masked?.release();
      this.masked = blank(frame.rows, frame.cols, cv.CV_8UC3, 0);
      this.maskedFor = -1;
    }
    if (this.maskedFor !== seq) {
      applyMask(frame, mask, this.masked);
      this.maskedFor = seq;
    }
    return this.masked;
  }

  private sideBuffers(w: number, h: number): { all: Mat; left: Mat; right: Mat } {
    if (!this.side || this.side.all.cols !== 2 * w || this.side.all.rows !== h) {
      this.releaseSide();
      const all = blank(h, 2 * w, cv.CV_8UC3, 0);
      this.side = { all, left: all.getRegion(new cv.Rect(0, 0, w, h)), right: all.getRegion(new cv.Rect(w, 0, w, h)) };
    }
    return this.side;
  }

  private releaseSide(): void {
    if (!this.side) return;
    this.side.left.release();
    this.side.right.release();
    this.side.all.release();
    this.side = null;
  }

  release(): void {
    this.masked?.release();
    this.masked = null;
    this.releaseSide();
  }
}
