/**
 * A histogram of one 8-bit channel (256 bins, 0..1000 of the tallest), drawn on a small canvas
 * at the screen's resolution, with a level on it: the threshold method's fixed value or Otsu's
 * chosen one, the side that is selected tinted. Used by the threshold and edge panels.
 */
import { el } from '../dom.js';

/** LEVEL_COLOUR is the colour of the level line (also what the browser tests look for). */
export const LEVEL_COLOUR = '#ffcc00';

export interface HistogramDrawing {
  /** bins drawn (0 before the first histogram) */
  bins: number;
  /** the level drawn, 0..255, or null */
  level: number | null;
  /** the level line's x, in CSS px of the canvas */
  levelX: number | null;
}

export class Histogram {
  readonly element: HTMLCanvasElement;
  /** what the last draw drew (read by the browser tests) */
  drawn: HistogramDrawing = { bins: 0, level: null, levelX: null };
  private bins: readonly number[] = [];
  private level: number | null = null;
  private selected: 'above' | 'below' | null = null;

  constructor(
    id: string,
    private readonly what: string,
  ) {
    this.element = el('canvas', { id, class: 'histogram', role: 'img', 'aria-label': `Histogram of ${what}` });
    new ResizeObserver(() => this.draw()).observe(this.element);
  }

  /** set gives the histogram and level to draw: bins (0..1000), a level 0..255 or null, and the side it selects. */
  set(bins: readonly number[] | undefined, level: number | null, selected: 'above' | 'below' | null, what = this.what): void {
    this.bins = bins ?? [];
    this.level = level;
    this.selected = level === null ? null : selected;
    const label = `Histogram of ${what}${level === null ? '' : `; level ${level}`}`;
    if (this.element.getAttribute('aria-label') !== label) this.element.setAttribute('aria-label', label);
    this.draw();
  }

  private draw(): void {
    const c = this.element;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(c.clientWidth * dpr));
    const h = Math.max(1, Math.round(c.clientHeight * dpr));
    if (c.clientWidth === 0) return; // hidden: drawn when it shows (the ResizeObserver)
    if (c.width !== w || c.height !== h) {
      c.width = w;
      c.height = h;
    }
    const ctx = c.getContext('2d')!;
    ctx.fillStyle = '#101214';
    ctx.fillRect(0, 0, w, h);
    const n = this.bins.length;
    const levelX = this.level === null ? null : ((this.level + 0.5) / 256) * w;
    if (n) {
      const bw = w / n;
      for (let i = 0; i < n; i++) {
        const v = Math.max(0, Math.min(1000, this.bins[i]!)) / 1000;
        if (v === 0) continue;
        const on = this.level !== null && (this.selected === 'above' ? i > this.level : this.selected === 'below' ? i <= this.level : false);
        ctx.fillStyle = on ? '#4aa3ff' : '#7d848c';
        const bh = Math.max(1, Math.round(v * (h - 2 * dpr)));
        ctx.fillRect(Math.floor(i * bw), h - bh, Math.max(1, Math.ceil(bw)), bh);
      }
    } else {
      ctx.fillStyle = '#7d848c';
      ctx.font = `${Math.round(11 * dpr)}px system-ui, sans-serif`;
      ctx.fillText('waiting for a frame…', 6 * dpr, h / 2 + 4 * dpr);
    }
    if (levelX !== null) {
      ctx.fillStyle = LEVEL_COLOUR;
      const lw = Math.max(2, Math.round(2 * dpr));
      ctx.fillRect(Math.round(levelX - lw / 2), 0, lw, h);
      ctx.font = `${Math.round(11 * dpr)}px system-ui, sans-serif`;
      const text = String(this.level);
      const tw = ctx.measureText(text).width;
      const tx = levelX + 4 * dpr + tw > w ? levelX - 4 * dpr - tw : levelX + 4 * dpr;
      ctx.fillText(text, tx, 12 * dpr);
    }
    this.drawn = { bins: n, level: this.level, levelX: levelX === null ? null : levelX / dpr };
    c.dataset.level = this.level === null ? '' : String(this.level);
  }
}
