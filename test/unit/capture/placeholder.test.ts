/**
 * The placeholder's text fits the frame, whatever its size and however long the reason; fitted
 * into another size, it is scaled to fit and centred on its own background.
 */
import { describe, expect, it } from 'vitest';
import { drawPlaceholder, fitPlaceholder } from '../../../server/capture/placeholder.js';
import { cv } from '../../../server/cv.js';

/** litColumns is the range of columns holding text (bright pixels). */
function litColumns(w: number, h: number, headline: string, detail: string): { first: number; last: number; lit: number } {
  const frame = drawPlaceholder(w, h, headline, detail);
  const grey = frame.cvtColor(cv.COLOR_BGR2GRAY);
  const d = grey.getData();
  let first = w;
  let last = -1;
  let lit = 0;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      if (d[y * w + x]! > 120) {
        lit++;
        first = Math.min(first, x);
        last = Math.max(last, x);
      }
  frame.release();
  grey.release();
  return { first, last, lit };
}

describe('drawPlaceholder', () => {
  const long = 'cannot open rtsp://***@camera-on-the-far-side-of-the-building.example.org:8554/streams/main/high-resolution?channel=1 (no answer within 5.0 s); retrying in 30 s';
  for (const [w, h] of [
    [160, 120],
    [320, 240],
    [640, 480],
    [1920, 1080],
  ] as const) {
    it(`at ${w}x${h}, the headline and a long reason stay inside the frame`, () => {
      const c = litColumns(w, h, 'NO SIGNAL', long);
      expect(c.lit).toBeGreaterThan(50); // something is written
      expect(c.first).toBeGreaterThan(0);
      expect(c.last).toBeLessThan(w - 2); // nothing runs off the right edge
    });
  }
});

describe('fitPlaceholder', () => {
  it('scales the placeholder to fit (aspect kept) and centres it on the background', () => {
    const p = drawPlaceholder(320, 240, 'ENDED', 'the video file has played to its end');
    p.drawRectangle(new cv.Point2(0, 0), new cv.Point2(319, 239), new cv.Vec3(0, 255, 0), 1); // its edge, to find it again
    for (const [w, h, box] of [
      [640, 240, { x: 160, y: 0, w: 320, h: 240 }], // the side view: as it is, in the middle
      [320, 480, { x: 0, y: 120, w: 320, h: 240 }],
      [160, 120, { x: 0, y: 0, w: 160, h: 120 }], // smaller: scaled down
    ] as const) {
      const f = fitPlaceholder(p, w, h);
      expect([f.cols, f.rows]).toEqual([w, h]);
      const green = (x: number, y: number): boolean => {
        const v = f.at(y, x) as unknown as { x: number; y: number; z: number };
        return v.y > 100 && v.x < 100 && v.z < 100;
      };
      expect(green(box.x, box.y + (box.h >> 1)), `${w}x${h}: left edge`).toBe(true);
      expect(green(box.x + box.w - 1, box.y + (box.h >> 1)), `${w}x${h}: right edge`).toBe(true);
      if (box.x > 0) expect(green(box.x - 1, box.y + (box.h >> 1))).toBe(false);
      const corner = f.at(0, 0) as unknown as { x: number; y: number; z: number };
      if (box.x > 0 || box.y > 0) expect([corner.x, corner.y, corner.z]).toEqual([40, 32, 32]); // the background
      f.release();
    }
    p.release();
  });
});
