/**
 * The placeholder's text fits the frame, whatever its size and however long the reason.
 */
import { describe, expect, it } from 'vitest';
import { drawPlaceholder } from '../../../server/capture/placeholder.js';
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
  for (const [w, h] of [[160, 120], [320, 240], [640, 480], [1920, 1080]] as const) {
    it(`at ${w}x${h}, the headline and a long reason stay inside the frame`, () => {
      const c = litColumns(w, h, 'NO SIGNAL', long);
      expect(c.lit).toBeGreaterThan(50); // something is written
      expect(c.first).toBeGreaterThan(0);
      expect(c.last).toBeLessThan(w - 2); // nothing runs off the right edge
    });
  }
});
