/**
 * The "no signal" frame: what viewers see while there is no picture, saying why. Its text is
 * measured (cv.getTextSize) and wrapped or scaled down so that it fits any frame size.
 */
import { blank, cv, type Mat } from '../cv.js';

const FONT = cv.FONT_HERSHEY_SIMPLEX;
/** BACKGROUND is the placeholder's colour, BGR. */
const BACKGROUND: [number, number, number] = [40, 32, 32];
const MAX_LINES = 4;

/** textWidth is the width in px of a line of text at a scale and thickness. */
function textWidth(text: string, scale: number, thickness: number): number {
  return cv.getTextSize(text, FONT, scale, thickness).size.width;
}

/** wrap breaks text into lines no wider than `width` px (a word longer than that is cut). */
function wrap(text: string, width: number, scale: number, thickness: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (let word of text.split(/\s+/).filter(Boolean)) {
    while (textWidth(word, scale, thickness) > width && word.length > 4) {
      // a long URL: cut it where it fits
      let n = word.length - 1;
      while (n > 1 && textWidth(word.slice(0, n), scale, thickness) > width) n--;
      if (line) lines.push(line);
      lines.push(word.slice(0, n));
      line = '';
      word = word.slice(n);
    }
    const next = line ? `${line} ${word}` : word;
    if (line && textWidth(next, scale, thickness) > width) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * drawPlaceholder returns a dark frame of the given size with a headline and a reason,
 * e.g. "NO SIGNAL" / "connection refused; retrying in 4 s". The caller releases it.
 */
export function drawPlaceholder(width: number, height: number, headline: string, detail: string): Mat {
  const frame = blank(height, width, cv.CV_8UC3, BACKGROUND);
  const margin = Math.round(width * 0.06);
  const usable = width - 2 * margin;
  const white = new cv.Vec3(235, 235, 235);
  const grey = new cv.Vec3(170, 170, 170);
  let scale = Math.max(0.35, width / 900);
  const thick = (s: number, k: number): number => Math.max(1, Math.round(s * k));
  // the headline on one line: shrink it until it fits
  let headScale = scale * 1.6;
  while (headScale > 0.3 && textWidth(headline, headScale, thick(headScale, 1.9)) > usable) headScale *= 0.9;
  // the detail: wrapped, and smaller until it fits in MAX_LINES lines
  let lines = wrap(detail, usable, scale * 0.8, thick(scale, 1.5));
  while (lines.length > MAX_LINES && scale > 0.3) {
    scale *= 0.85;
    lines = wrap(detail, usable, scale * 0.8, thick(scale, 1.5));
  }
  const lineHeight = Math.round(cv.getTextSize('Ag', FONT, scale * 0.8, thick(scale, 1.5)).size.height * 1.8);
  const headHeight = cv.getTextSize(headline, FONT, headScale, thick(headScale, 1.9)).size.height;
  const block = headHeight + 10 + lineHeight * Math.min(lines.length, MAX_LINES);
  let y = Math.max(headHeight + 4, Math.round((height - block) / 2) + headHeight);
  frame.putText(headline, new cv.Point2(margin, y), FONT, headScale, white, thick(headScale, 1.9), cv.LINE_AA);
  y += 10;
  for (const line of lines.slice(0, MAX_LINES)) {
    y += lineHeight;
    if (y > height - 4) break;
    frame.putText(line, new cv.Point2(margin, y), FONT, scale * 0.8, grey, thick(scale, 1.5), cv.LINE_AA);
  }
  return frame;
}

/**
 * fitPlaceholder returns a placeholder scaled to fit `width`x`height`, centred on its own
 * background (for an output whose size must not change, such as a published stream). The
 * caller releases it.
 */
export function fitPlaceholder(frame: Mat, width: number, height: number): Mat {
  const out = blank(height, width, cv.CV_8UC3, BACKGROUND);
  const k = Math.min(width / frame.cols, height / frame.rows);
  const w = Math.max(1, Math.min(width, Math.round(frame.cols * k)));
  const h = Math.max(1, Math.min(height, Math.round(frame.rows * k)));
  const scaled = frame.resize(h, w, 0, 0, cv.INTER_AREA);
  const region = out.getRegion(new cv.Rect((width - w) >> 1, (height - h) >> 1, w, h));
  scaled.copyTo(region).release();
  region.release();
  scaled.release();
  return out;
}
