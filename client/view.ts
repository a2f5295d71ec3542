/**
 * The live picture: JPEG frames decoded off the main thread (createImageBitmap), drawn to a
 * canvas on the next animation frame, newest only (a frame that arrives before the screen could
 * show the previous one replaces it, and the older bitmap is closed at once). The canvas is
 * sized in device pixels, so it stays crisp on high-DPI screens, with the picture's aspect kept.
 * The analysis overlay is drawn here, on the client, over the picture: the zones (exclude ones
 * dimmed and hatched), each region's targets as rotated boxes with their centroids (or the
 * largest blobs' boxes when there are no targets), the crosshair, labels that never overlap;
 * and what is being drawn: the box dragged for a pick, the zone being drawn.
 */
import type { Analysis, FrameMessage } from '../shared/protocol.js';
import type { Settings } from '../shared/settings.js';
import type { Target } from '../shared/targets.js';
import type { ZoneKind } from '../shared/zones.js';

/** Displayed is reported for every frame that reaches the screen. */
export interface Displayed {
  seq: number;
  ts: number;
  bytes: number;
  width: number;
  height: number;
}

type Rect = { x: number; y: number; w: number; h: number };

/** OverlayDrawing is what the last overlay drew, in CSS px of the canvas (the left half of side by side): read by the browser tests. */
export interface OverlayDrawing {
  targets: { region: string; index: number; cx: number; cy: number; corners: [number, number][]; colour: string }[];
  /** blob boxes drawn (only when there are no targets) */
  blobs: number;
  crosshair: { x: number; y: number } | null;
  zones: { name: string; kind: ZoneKind; points: [number, number][] }[];
}

/**
 * rotatedCorners are the corners of a rotated box as OpenCV's RotatedRect.points() gives them:
 * the `w` side turned `angle` degrees from the x axis, y down (so clockwise on screen).
 */
export function rotatedCorners(b: Target['rotated']): [number, number][] {
  const t = (b.angle * Math.PI) / 180;
  const bx = Math.cos(t) * 0.5;
  const ay = Math.sin(t) * 0.5;
  const p0: [number, number] = [b.cx - ay * b.h - bx * b.w, b.cy + bx * b.h - ay * b.w];
  const p1: [number, number] = [b.cx + ay * b.h - bx * b.w, b.cy - bx * b.h - ay * b.w];
  return [p0, p1, [2 * b.cx - p0[0], 2 * b.cy - p0[1]], [2 * b.cx - p1[0], 2 * b.cy - p1[1]]];
}

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
  /** the zone being drawn: its points and the mouse, fractions of the picture */
  draft: { points: [number, number][]; hover: [number, number] | null } | null = null;
  /** what the last overlay drew (for the browser tests) */
  drawn: OverlayDrawing = { targets: [], blobs: 0, crosshair: null, zones: [] };
  /** the settings the overlay draws (zones, crosshair): the viewer's local copy */
  settings: () => Settings | null = () => null;
  private hatchPattern: CanvasPattern | null = null;
  /** frames decoded but replaced by a newer one before they could be drawn */
  skipped = 0;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly probe = new OffscreenCanvas(1, 1).getContext('2d', { willReadFrequently: true })!;

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
    const ctx = this.probe;
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
    this.drawn = { targets: [], blobs: 0, crosshair: null, zones: [] };
    if (this.overlay && !this.shown.frame.placeholder) this.drawOverlay(a, r, dpr);
    if (!this.shown.frame.placeholder) this.drawDraft(r, dpr);
    if (this.dragBox) {
      const b = this.dragBox;
      ctx.setLineDash([6 * dpr, 4 * dpr]);
      ctx.lineWidth = Math.max(1, 1.5 * dpr);
      ctx.strokeStyle = '#fff';
      ctx.strokeRect(b.x * dpr, b.y * dpr, b.w * dpr, b.h * dpr);
      ctx.setLineDash([]);
    }
  }

  /**
   * fractionAt maps a point of the canvas (CSS px) to the picture, as fractions of its width and
   * height (either half of the side-by-side view maps to the same pixels); null off the picture.
   * With `clamp`, points off the picture are pulled onto its edge instead.
   */
  fractionAt(x: number, y: number, clamp = false): { x: number; y: number } | null {
    const r = this.imageRect();
    const f = this.current;
    if (!r || !f) return null;
    if (!clamp && (x < r.x || y < r.y || x > r.x + r.w || y > r.y + r.h)) return null;
    const halves = f.view === 'side' ? 2 : 1;
    let fx = ((Math.max(r.x, Math.min(r.x + r.w, x)) - r.x) / r.w) * halves;
    if (fx > 1) fx -= 1; // right half of side-by-side: same pixels as the left
    return { x: Math.max(0, Math.min(1, fx)), y: Math.max(0, Math.min(1, (y - r.y) / r.h)) };
  }

  private hatch(): CanvasPattern | null {
    if (!this.hatchPattern) {
      const dpr = window.devicePixelRatio || 1;
      const n = Math.round(10 * dpr);
      const tile = new OffscreenCanvas(n, n);
      const t = tile.getContext('2d')!;
      t.strokeStyle = '#ff9500cc';
      t.lineWidth = Math.max(1, 1.5 * dpr);
      t.beginPath();
      t.moveTo(0, n);
      t.lineTo(n, 0);
      t.moveTo(-n / 2, n / 2);
      t.lineTo(n / 2, -n / 2);
      t.moveTo(n / 2, n + n / 2);
      t.lineTo(n + n / 2, n / 2);
      t.stroke();
      this.hatchPattern = this.ctx.createPattern(tile, 'repeat');
    }
    return this.hatchPattern;
  }

  private drawOverlay(a: Analysis | undefined, r: Rect, dpr: number): void {
    const f = this.shown!.frame;
    const settings = this.settings();
    // in the side-by-side view the overlay belongs to both halves
    const halves = f.view === 'side' ? 2 : 1;
    const frameW = f.width / halves;
    const sx = (r.w / halves / frameW) * dpr;
    const sy = (r.h / f.height) * dpr;
    const ctx = this.ctx;
    const fontPx = Math.round(12 * dpr);
    ctx.font = `${fontPx}px system-ui, sans-serif`;
    const placed: Rect[] = [];
    const overlaps = (p: Rect): boolean => placed.some((q) => p.x < q.x + q.w && q.x < p.x + p.w && p.y < q.y + q.h && q.y < p.y + p.h);
    const drawn: OverlayDrawing = { targets: [], blobs: 0, crosshair: null, zones: [] };
    /** label puts a text above, below or inside a box (device px), never over another label */
    const label = (text: string, colour: string, bx: number, by: number, bh: number, area: Rect): void => {
      const w = ctx.measureText(text).width + 6 * dpr;
      const h = fontPx + 4 * dpr;
      // inside the picture (its half): a box that runs off it still gets a readable label
      const x = Math.max(area.x, Math.min(area.x + area.w - w, bx));
      const spots = [by - h - 2 * dpr, by + bh + 2 * dpr, by + 2 * dpr].map((y) => ({ x, y: Math.max(area.y, Math.min(area.y + area.h - h, y)), w, h }));
      const spot = spots.find((s) => !overlaps(s));
      if (!spot) return;
      placed.push(spot);
      ctx.fillStyle = '#000a';
      ctx.fillRect(spot.x, spot.y, spot.w, spot.h);
      ctx.fillStyle = colour;
      ctx.fillText(text, spot.x + 3 * dpr, spot.y + fontPx);
    };
    for (let half = 0; half < halves; half++) {
      const ox = r.x * dpr + (half * r.w * dpr) / halves;
      const oy = r.y * dpr;
      const pw = (r.w * dpr) / halves; // the picture's size on the canvas, device px
      const ph = r.h * dpr;
      const css = (x: number, y: number): [number, number] => [x / dpr, y / dpr];
      const area: Rect = { x: ox, y: oy, w: pw, h: ph };

      // zones: include ones outlined, exclude ones dimmed and hatched
      for (const z of settings?.zones ?? []) {
        if (z.points.length < 2) continue;
        ctx.beginPath();
        for (const [i, [x, y]] of z.points.entries()) {
          if (i) ctx.lineTo(ox + x * pw, oy + y * ph);
          else ctx.moveTo(ox + x * pw, oy + y * ph);
        }
        ctx.closePath();
        ctx.lineWidth = Math.max(1, 1.5 * dpr);
        if (z.kind === 'exclude') {
          ctx.fillStyle = '#000000a0';
          ctx.fill();
          const hatch = this.hatch();
          if (hatch) {
            ctx.fillStyle = hatch;
            ctx.fill();
          }
          ctx.strokeStyle = '#ff9500';
          ctx.setLineDash([]);
        } else {
          ctx.fillStyle = '#5ac8fa1f';
          ctx.fill();
          ctx.strokeStyle = '#5ac8fa';
          ctx.setLineDash([6 * dpr, 4 * dpr]);
        }
        ctx.stroke();
        ctx.setLineDash([]);
        const top = Math.min(...z.points.map((p) => p[1]));
        const left = Math.min(...z.points.map((p) => p[0]));
        label(`${z.name}${z.kind === 'exclude' ? ' (excluded)' : ''}`, z.kind === 'exclude' ? '#ff9500' : '#5ac8fa', ox + left * pw, oy + top * ph + fontPx + 6 * dpr, 0, area);
        if (half === 0) drawn.zones.push({ name: z.name, kind: z.kind, points: z.points.map(([x, y]) => css(ox + x * pw, oy + y * ph)) });
      }

      if (!a) continue;
      const colour = new Map(a.ranges.map((g) => [g.name, g.color]));
      if (a.targets) {
        // targets: each region's rotated boxes (OpenCV's minAreaRect), the best one thicker
        for (const region of a.targets) {
          const c = colour.get(region.name) ?? '#ffffff';
          region.targets.forEach((t, i) => {
            const corners = rotatedCorners(t.rotated).map(([x, y]) => [ox + x * sx, oy + y * sy] as [number, number]);
            const width = Math.max(1, (i === 0 ? 2.5 : 1.5) * dpr);
            ctx.beginPath();
            for (const [k, [x, y]] of corners.entries()) {
              if (k) ctx.lineTo(x, y);
              else ctx.moveTo(x, y);
            }
            ctx.closePath();
            // a dark edge under the colour: the box shows over a shape of its own colour too
            ctx.strokeStyle = '#000000b0';
            ctx.lineWidth = width + 2 * dpr;
            ctx.stroke();
            ctx.strokeStyle = c;
            ctx.lineWidth = width;
            ctx.stroke();
            ctx.fillStyle = c;
            ctx.beginPath();
            ctx.arc(ox + t.cx * sx, oy + t.cy * sy, 3 * dpr, 0, Math.PI * 2);
            ctx.fill();
            const minX = Math.min(...corners.map((p) => p[0]));
            const minY = Math.min(...corners.map((p) => p[1]));
            const maxY = Math.max(...corners.map((p) => p[1]));
            label(`${region.name}${region.targets.length > 1 ? ` #${i + 1}` : ''} ${Math.round(t.area)}px`, c, minX, minY, maxY - minY, area);
            if (half === 0)
              drawn.targets.push({ region: region.name, index: i, cx: (ox + t.cx * sx) / dpr, cy: (oy + t.cy * sy) / dpr, corners: corners.map(([x, y]) => css(x, y)), colour: c });
          });
        }
      } else {
        // no targets (blob finding off, or an older server): the largest blobs' boxes
        for (const range of a.ranges) {
          ctx.strokeStyle = range.color;
          ctx.lineWidth = Math.max(1, 2 * dpr);
          for (const b of range.top ?? []) {
            const bx = ox + b.x * sx;
            const by = oy + b.y * sy;
            ctx.strokeRect(bx, by, b.w * sx, b.h * sy);
            ctx.fillStyle = range.color;
            ctx.beginPath();
            ctx.arc(ox + b.cx * sx, oy + b.cy * sy, 3 * dpr, 0, Math.PI * 2);
            ctx.fill();
            label(`${range.name} ${b.area}px`, range.color, bx, by, b.h * sy, area);
            if (half === 0) drawn.blobs++;
          }
        }
      }

      // the crosshair the targets are measured from
      const ch = settings?.targets.crosshair;
      if (ch) {
        const x = ox + ch.x * pw;
        const y = oy + ch.y * ph;
        const arm = 9 * dpr;
        for (const [style, width] of [
          ['#000c', 4 * dpr],
          ['#fff', 1.5 * dpr],
        ] as const) {
          ctx.strokeStyle = style;
          ctx.lineWidth = Math.max(1, width);
          ctx.beginPath();
          ctx.moveTo(x - arm, y);
          ctx.lineTo(x - 3 * dpr, y);
          ctx.moveTo(x + 3 * dpr, y);
          ctx.lineTo(x + arm, y);
          ctx.moveTo(x, y - arm);
          ctx.lineTo(x, y - 3 * dpr);
          ctx.moveTo(x, y + 3 * dpr);
          ctx.lineTo(x, y + arm);
          ctx.stroke();
        }
        if (half === 0) drawn.crosshair = { x: x / dpr, y: y / dpr };
      }
    }
    this.drawn = drawn;
  }

  /** drawDraft draws the zone being drawn: its points, the edges so far, and the edge to the mouse. */
  private drawDraft(r: Rect, dpr: number): void {
    const d = this.draft;
    const f = this.shown!.frame;
    if (!d) return;
    const halves = f.view === 'side' ? 2 : 1;
    const ctx = this.ctx;
    const pts = d.hover ? [...d.points, d.hover] : d.points;
    for (let half = 0; half < halves; half++) {
      const ox = r.x * dpr + (half * r.w * dpr) / halves;
      const oy = r.y * dpr;
      const pw = (r.w * dpr) / halves;
      const ph = r.h * dpr;
      const at = ([x, y]: readonly [number, number]): [number, number] => [ox + x * pw, oy + y * ph];
      if (pts.length >= 2) {
        ctx.beginPath();
        for (const [i, p] of pts.entries()) {
          if (i) ctx.lineTo(...at(p));
          else ctx.moveTo(...at(p));
        }
        ctx.strokeStyle = '#000c';
        ctx.lineWidth = 4 * dpr;
        ctx.stroke();
        ctx.strokeStyle = '#ffcc00';
        ctx.lineWidth = Math.max(1, 2 * dpr);
        ctx.stroke();
      }
      if (pts.length >= 3) {
        // the edge that closing would add
        ctx.beginPath();
        ctx.moveTo(...at(pts[pts.length - 1]!));
        ctx.lineTo(...at(pts[0]!));
        ctx.setLineDash([4 * dpr, 4 * dpr]);
        ctx.strokeStyle = '#ffcc00';
        ctx.lineWidth = Math.max(1, 1.5 * dpr);
        ctx.stroke();
        ctx.setLineDash([]);
      }
      for (const p of d.points) {
        ctx.beginPath();
        ctx.arc(...at(p), 4 * dpr, 0, Math.PI * 2);
        ctx.fillStyle = '#ffcc00';
        ctx.fill();
        ctx.strokeStyle = '#000';
        ctx.lineWidth = Math.max(1, dpr);
        ctx.stroke();
      }
    }
  }

  /** freeze stops updating the picture (the stream keeps flowing); toggles. */
  toggleFreeze(): boolean {
    this.frozen = !this.frozen;
    return this.frozen;
  }
}
