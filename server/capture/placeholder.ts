/**
 * The "no signal" frame: what viewers see while there is no picture, saying why.
 */
import { blank, cv, type Mat } from '../cv.js';

/**
 * drawPlaceholder returns a dark frame of the given size with a headline and a reason,
 * e.g. "NO SIGNAL" / "connection refused, retrying in 4 s". The caller releases it.
 */
export function drawPlaceholder(width: number, height: number, headline: string, detail: string): Mat {
  const frame = blank(height, width, cv.CV_8UC3, [40, 32, 32]);
  const scale = Math.max(0.4, width / 900);
  const white = new cv.Vec3(235, 235, 235);
  const grey = new cv.Vec3(170, 170, 170);
  frame.putText(headline, new cv.Point2(Math.round(width * 0.06), Math.round(height * 0.45)), cv.FONT_HERSHEY_SIMPLEX, scale * 1.6, white, Math.max(1, Math.round(scale * 3)), cv.LINE_AA);
  const lines = wrap(detail, Math.max(20, Math.floor(48 / scale * (width / 900))));
  lines.slice(0, 4).forEach((line, i) => {
    const y = Math.round(height * 0.45 + (i + 1) * 34 * scale + 10 * scale);
    frame.putText(line, new cv.Point2(Math.round(width * 0.06), y), cv.FONT_HERSHEY_SIMPLEX, scale * 0.8, grey, Math.max(1, Math.round(scale * 1.5)), cv.LINE_AA);
  });
  return frame;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}
