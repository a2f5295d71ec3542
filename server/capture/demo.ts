/**
 * The demo source: a synthetic scene drawn with OpenCV (coloured shapes moving over a
 * textured background), so that segcam is useful and testable without a camera.
 */
import { cv, type Mat } from '../cv.js';

/** DEMO_SHAPES are the scene's shapes, BGR colours chosen to be easy and hard to segment. */
export const DEMO_SHAPES = [
  { name: 'red disc', bgr: [40, 40, 220] as const },
  { name: 'green square', bgr: [60, 200, 40] as const },
  { name: 'blue disc', bgr: [220, 110, 30] as const },
  { name: 'yellow triangle', bgr: [30, 220, 230] as const },
] as const;

/** DemoScene draws frame after frame of the scene at one size. */
export class DemoScene {
  private readonly background: Mat;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    // a low-saturation texture: diagonal bands plus fixed noise, so masks have something to reject
    const data = Buffer.alloc(width * height * 3);
    let seed = 12345;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        const band = ((x + y) >> 4) & 1 ? 18 : 0;
        const v = 70 + band + ((seed >> 16) % 24);
        const i = (y * width + x) * 3;
        data[i] = v + 6;
        data[i + 1] = v + 3;
        data[i + 2] = v;
      }
    }
    this.background = new cv.Mat(data, height, width, cv.CV_8UC3);
  }

  /** draw returns the scene at time `t` seconds. The caller releases it. */
  draw(seconds: number): Mat {
    const t = seconds * 0.5; // slow enough to click on while it moves
    const frame = this.background.copy();
    const { width: w, height: h } = this;
    const r = Math.round(Math.min(w, h) * 0.09);
    const color = (i: number): InstanceType<typeof cv.Vec3> => new cv.Vec3(...(DEMO_SHAPES[i]!.bgr as unknown as [number, number, number]));
    const at = (fx: number, fy: number, phase: number): [number, number] => [
      Math.round(w / 2 + (w / 2 - r * 1.6) * Math.sin(t * fx + phase)),
      Math.round(h / 2 + (h / 2 - r * 1.6) * Math.sin(t * fy + phase * 1.7)),
    ];
    const [x0, y0] = at(0.7, 0.9, 0);
    frame.drawCircle(new cv.Point2(x0, y0), r, color(0), -1, cv.LINE_AA);
    const [x1, y1] = at(0.5, 0.8, 2);
    frame.drawRectangle(new cv.Point2(x1 - r, y1 - r), new cv.Point2(x1 + r, y1 + r), color(1), -1, cv.LINE_8);
    const [x2, y2] = at(0.9, 0.6, 4);
    frame.drawCircle(new cv.Point2(x2, y2), Math.round(r * 0.8), color(2), -1, cv.LINE_AA);
    const [x3, y3] = at(0.4, 1.1, 1);
    frame.drawFillPoly([[new cv.Point2(x3, y3 - r), new cv.Point2(x3 - r, y3 + r), new cv.Point2(x3 + r, y3 + r)]], color(3), cv.LINE_AA);
    return frame;
  }

  release(): void {
    this.background.release();
  }
}
