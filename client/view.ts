/**
 * The live picture: JPEG frames decoded off the main thread (createImageBitmap), drawn to a
 * canvas on the next animation frame, newest only (a frame that arrives before the screen could
 * show the previous one replaces it, and the older bitmap is closed at once). The canvas is
 * sized in device pixels, so it stays crisp on high-DPI screens, with the picture's aspect kept.
 * The analysis overlay (boxes, centroids, labels that never overlap) and the box being dragged
 * for a pick are drawn here, on the client, over the picture.
 */
import type { Analysis, FrameMessage } from '../shared/protocol.js';

/** Displayed is reported for every frame that reaches the screen. */
export interface Displayed {
  seq: number;
  ts: number;
  bytes: number;
  width: number;
  height: number;
}

type Rect = { x: number; y: number; w: number; h: number };

export class View {
  /** decoded frames; `order` is their arrival number */
  private pending: { bitmap: ImageBitmap; frame: FrameMessage; order: number } | null = null;
  private shown: { bitmap: ImageBitmap; frame: FrameMessage; order: number } | null = null;
  private arrivals = 0;
  private scheduled = false;
  private decoding = 0;
  frozen = false;
  overlay = true;
  /** the box being dragged for a pick, in CSS px of the canvas */
  dragBox: Rect | null = null;
  /** frames decoded but replaced by a newer one before they could be drawn */
  skipped = 0;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly probe = new OffscreenCanvas(1, 1);

  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly onDisplayed: (d: Displayed) => void,
  ) {
    this.ctx = canvas.getContext('2d', { alpha: false })!;
    new ResizeObserver(() => this.redraw()).observe(canvas);
  }

  /** push decodes a frame; when decoded it is drawn on the next animation frame, newest only. */
  push(frame: FrameMessage): void {
    if (this.frozen) return;
    if (this.decoding > 2) {
      this.skipped++;
      return; // the decoder is behind: never queue up stale frames
    }
    this.decoding++;
    const order = ++this.arrivals;
    const blob = new Blob([frame.jpeg as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' });
    createImageBitmap(blob).then(
      (bitmap) => {
        this.decoding--;
        // decodes can finish out of order: never replace a newer frame, pending or shown
        if (this.frozen || (this.pending?.order ?? 0) > order || (this.shown?.order ?? 0) > order) {
          bitmap.close();
          return;
        }
        if (this.pending) {
          this.pending.bitmap.close();
          this.skipped++;
        }
        this.pending = { bitmap, frame, order };
        this.schedule();
      },
      () => {
        this.decoding--;
      },
    );
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      const p = this.pending;
      if (!p) return;
      this.pending = null;
      this.shown?.bitmap.close();
      this.shown = p;
      this.redraw();
      this.onDisplayed({ seq: p.frame.seq, ts: p.frame.ts, bytes: p.frame.jpeg.byteLength, width: p.frame.width, height: p.frame.height });
    });
  }

  /** imageRect is where the picture lies in the canvas, in CSS px (for mapping clicks). */
  imageRect(): Rect | null {
    if (!this.shown) return null;
    const cw = this.canvas.clientWidth;
    const ch = this.canvas.clientHeight;
    const { width, height } = this.shown.frame;
    const scale = Math.min(cw / width, ch / height);
    const w = width * scale;
    const h = height * scale;
    return { x: (cw - w) / 2, y: (ch - h) / 2, w, h };
  }

  get current(): FrameMessage | null {
    return this.shown?.frame ?? null;
  }

  /** pixelAt is the colour (RGB) of the shown picture under a point in CSS px, or null off the picture. */
  pixelAt(x: number, y: number): [number, number, number] | null {
    const r = this.imageRect();
    if (!r || !this.shown || x < r.x || y < r.y || x >= r.x + r.w || y >= r.y + r.h) return null;
    const f = this.shown.frame;
    const sx = Math.floor(((x - r.x) / r.w) * f.width);
    const sy = Math.floor(((y - r.y) / r.h) * f.height);
    const ctx = this.probe.getContext('2d')!;
    ctx.drawImage(this.shown.bitmap, sx, sy, 1, 1, 0, 0, 1, 1);
    const d = ctx.getImageData(0, 0, 1, 1).data;
    return [d[0]!, d[1]!, d[2]!];
  }

  redraw(): void {
    const dpr = window.devicePixelRatio || 1;
    const cw = Math.max(1, Math.round(this.canvas.clientWidth * dpr));
    const ch = Math.max(1, Math.round(this.canvas.clientHeight * dpr));
    if (this.canvas.width !== cw || this.canvas.height !== ch) {
      this.canvas.width = cw;
      this.canvas.height = ch;
    }
    const ctx = this.ctx;
    ctx.fillStyle = '#111';
    ctx.fillRect(0, 0, cw, ch);
    if (!this.shown) return;
    const r = this.imageRect()!;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(this.shown.bitmap, r.x * dpr, r.y * dpr, r.w * dpr, r.h * dpr);
    const a = this.shown.frame.analysis;
    if (this.overlay && a && !this.shown.frame.placeholder) this.drawOverlay(a, r, dpr);
    if (this.dragBox) {
      const b = this.dragBox;
      ctx.setLineDash([6 * dpr, 4 * dpr]);
      ctx.lineWidth = Math.max(1, 1.5 * dpr);
      ctx.strokeStyle = '#fff';
      ctx.strokeRect(b.x * dpr, b.y * dpr, b.w * dpr, b.h * dpr);
      ctx.setLineDash([]);
    }
  }

  private drawOverlay(a: Analysis, r: Rect, dpr: number): void {
    const f = this.shown!.frame;
    // in the side-by-side view the boxes belong to both halves
    const halves = f.view === 'side' ? 2 : 1;
    const frameW = f.width / halves;
    const sx = (r.w / halves / frameW) * dpr;
    const sy = (r.h / f.height) * dpr;
    const ctx = this.ctx;
    const fontPx = Math.round(12 * dpr);
    ctx.lineWidth = Math.max(1, 2 * dpr);
    ctx.font = `${fontPx}px system-ui, sans-serif`;
    const placed: Rect[] = [];
    const overlaps = (p: Rect): boolean => placed.some((q) => p.x < q.x + q.w && q.x < p.x + p.w && p.y < q.y + q.h && q.y < p.y + p.h);
    for (let half = 0; half < halves; half++) {
      const ox = r.x * dpr + (half * r.w * dpr) / halves;
      const oy = r.y * dpr;
      for (const range of a.ranges) {
        ctx.strokeStyle = range.color;
        for (const b of range.top ?? []) {
          const bx = ox + b.x * sx;
          const by = oy + b.y * sy;
          ctx.strokeRect(bx, by, b.w * sx, b.h * sy);
          ctx.fillStyle = range.color;
          ctx.beginPath();
          ctx.arc(ox + b.cx * sx, oy + b.cy * sy, 3 * dpr, 0, Math.PI * 2);
          ctx.fill();
          // the label above the box, else below it, else inside; never over another label
          const text = `${range.name} ${b.area}px`;
          const w = ctx.measureText(text).width + 6 * dpr;
          const h = fontPx + 4 * dpr;
          const spots = [by - h - 2 * dpr, by + b.h * sy + 2 * dpr, by + 2 * dpr].map((y) => ({ x: bx, y: Math.max(oy, y), w, h }));
          const spot = spots.find((s) => !overlaps(s));
          if (!spot) continue;
          placed.push(spot);
          ctx.fillStyle = '#000a';
          ctx.fillRect(spot.x, spot.y, spot.w, spot.h);
          ctx.fillStyle = range.color;
          ctx.fillText(text, spot.x + 3 * dpr, spot.y + fontPx);
        }
      }
    }
  }

  /** freeze stops updating the picture (the stream keeps flowing); toggles. */
  toggleFreeze(): boolean {
    this.frozen = !this.frozen;
    return this.frozen;
  }
}
