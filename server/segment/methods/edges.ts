/**
 * The edge method: Canny on one channel. The mask is the edge pixels, or with `fill` the outer
 * contours the edges make, filled (a closed outline becomes a solid shape; an open edge stays
 * a thin one).
 */
import { EDGES_REGION, regionColour, type EdgesMethod, type Method } from '../../../shared/methods.js';
import { blank, cv, type Mat } from '../../cv.js';
import { extractChannel } from './channel.js';
import { checkKind, type MethodResult, type Segmenter } from './types.js';

/** edgeMask returns Canny's edges of one 8-bit channel (0 | 255), filled when `m.fill`. */
export function edgeMask(channel: Mat, m: EdgesMethod): Mat {
  const edges = channel.canny(m.low, m.high, m.aperture, m.l2);
  if (!m.fill) return edges;
  const contours = edges.findContours(cv.RETR_EXTERNAL, cv.CHAIN_APPROX_SIMPLE).map((c) => c.getPoints());
  const filled = blank(edges.rows, edges.cols, cv.CV_8UC1, 0);
  if (contours.length) filled.drawContours(contours, -1, new cv.Vec3(255, 255, 255), -1, cv.LINE_8);
  edges.release();
  return filled;
}

/** EdgesSegmenter runs the edge method: one region, named `edges`. */
export class EdgesSegmenter implements Segmenter {
  readonly kind = 'edges' as const;
  private method: EdgesMethod;

  constructor(method: EdgesMethod) {
    this.method = method;
  }

  /** update takes new edge settings. */
  update(method: Method): void {
    checkKind('edges', method);
    this.method = method;
  }

  /** apply finds the edges of the frame's channel. */
  apply(frame: Mat): MethodResult {
    const channel = extractChannel(frame, this.method.channel);
    const mask = edgeMask(channel, this.method);
    channel.release();
    return { mask: mask.copy(), regions: [{ name: EDGES_REGION, color: regionColour(0), mask }] };
  }

  /** release has nothing to free: the segmenter keeps no Mats. */
  release(): void {}
}
