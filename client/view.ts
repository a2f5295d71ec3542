/**
 * The live picture: JPEG frames decoded off the main thread (createImageBitmap), drawn to a
 * canvas on the next animation frame, newest only (a frame that arrives before the screen could
 * show the previous one replaces it, and the older bitmap is closed at once). The canvas is
 * sized in device pixels, so it stays crisp on high-DPI screens, with the picture's aspect kept.
 * The analysis overlay (boxes, centroids, labels) is drawn here, on the client, over the picture.
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

export class View {
  /** decoded frames; `order` is their arrival number (seq restarts with the server, arrival does not) */
  private pending: { bitmap: ImageBitmap; frame: FrameMessage; order: number } | null = null;
  private shown: { bitmap: ImageBitmap; frame: FrameMessage; order: number } | null = null;
  private arrivals = 0;
  private scheduled = false;
  private decoding = 0;
  frozen = false;
  overlay = true;
  /** frames decoded but replaced by a newer one before they could be drawn */
  skipped = 0;
  private readonly ctx: CanvasRenderingContext2D;

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
  imageRect(): { x: number; y: number; w: number; h: number } | null {
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
  }

  private drawOverlay(a: Analysis, r: { x: number; y: number; w: number; h: number }, dpr: number): void {
    const f = this.shown!.frame;
    // in the side-by-side view the boxes belong to both halves
    const halves = f.view === 'side' ? 2 : 1;
    const frameW = f.width / halves;
    const sx = (r.w / halves / frameW) * dpr;
    const sy = (r.h / f.height) * dpr;
    const ctx = this.ctx;
    ctx.lineWidth = Math.max(1, 2 * dpr);
    ctx.font = `${Math.round(12 * dpr)}px system-ui, sans-serif`;
    for (let half = 0; half < halves; half++) {
      const ox = r.x * dpr + (half * r.w * dpr) / halves;
      const oy = r.y * dpr;
      for (const range of a.ranges) {
        ctx.strokeStyle = ctx.fillStyle = range.color;
        for (const b of range.top ?? []) {
          ctx.strokeRect(ox + b.x * sx, oy + b.y * sy, b.w * sx, b.h * sy);
          ctx.beginPath();
          ctx.arc(ox + b.cx * sx, oy + b.cy * sy, 3 * dpr, 0, Math.PI * 2);
          ctx.fill();
          ctx.fillText(`${range.name} ${b.area}px`, ox + b.x * sx, Math.max(12 * dpr, oy + b.y * sy - 4 * dpr));
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
