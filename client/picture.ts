/**
 * What the mouse does on the picture. By default a click (or a dragged box, drawn while
 * dragging) picks a colour into the highlighted range: the colour method only; with another
 * method a notice says so. Shift+click, or the crosshair tool (the targets' "Set crosshair", key
 * C) then a click, puts the crosshair. The zone tool (the zones' "Draw zone", key Z) takes the
 * clicked points of a new zone: Enter or a double-click closes it, Esc cancels. Clicks on the
 * letterbox around the picture do nothing. The colour under the mouse is shown in HSV, BGR and Lab.
 */
import { polygonArea } from '../shared/zones.js';
import { bgrToHsv, bgrToLab } from '../shared/settings.js';
import type { Controls, PictureTool } from './controls.js';
import { byId } from './dom.js';
import { METHOD_TITLES } from './methods/panel.js';
import type { View } from './view.js';

export type Tool = 'pick' | PictureTool;

export interface PictureDeps {
  /** sends a pick of a box of the picture (fractions; w = h = 0 is a click) */
  pick(box: { x: number; y: number; w: number; h: number }): void;
  toast(text: string): void;
  role(): 'control' | 'view';
}

/** CLOSE_PX: a click this near the zone's previous point adds no point (the second click of a double-click). */
const CLOSE_PX = 4;

export class PictureInput {
  tool: Tool = 'pick';
  private dragFrom: { x: number; y: number } | null = null;
  /** the zone being drawn, fractions of the picture, and the same points in CSS px (to tell repeated clicks) */
  private points: [number, number][] = [];
  private clicks: { x: number; y: number }[] = [];

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly view: View,
    private readonly controls: Controls,
    private readonly deps: PictureDeps,
  ) {
    controls.onTool = (t) => this.setTool(this.tool === t ? 'pick' : t);
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', (e) => this.up(e));
    canvas.addEventListener('dblclick', (e) => {
      if (this.tool !== 'zone') return;
      e.preventDefault();
      this.closeZone();
    });
    canvas.addEventListener('pointerleave', () => {
      byId('pixel').hidden = true;
      if (this.view.draft) {
        this.view.draft.hover = null;
        this.view.redraw();
      }
    });
    this.setTool('pick');
  }

  /** setTool chooses what a click does; leaving the zone tool drops an unfinished zone. */
  setTool(tool: Tool): void {
    if ((tool === 'crosshair' || tool === 'zone') && this.controls.readOnly) {
      this.refuse('setting the crosshair or drawing a zone changes settings');
      return;
    }
    this.tool = tool;
    this.points = [];
    this.clicks = [];
    this.view.draft = tool === 'zone' ? { points: [], hover: null } : null;
    this.view.redraw();
    this.controls.targets.crosshairMode(tool === 'crosshair');
    this.controls.zones.drawing(tool === 'zone', 0);
    this.status();
  }

  /** key handles Enter and Esc while a tool is in use; true when it took the key. */
  key(e: KeyboardEvent): boolean {
    if (this.tool === 'pick') return false;
    if (e.key === 'Escape') {
      e.preventDefault();
      const was = this.tool;
      this.setTool('pick');
      this.deps.toast(was === 'zone' ? 'Zone drawing cancelled' : 'The crosshair stays where it was');
      return true;
    }
    if (e.key === 'Enter' && this.tool === 'zone') {
      e.preventDefault(); // not the focused button's click
      this.closeZone();
      return true;
    }
    return false;
  }

  private status(): void {
    const badge = byId('tool');
    badge.hidden = this.tool === 'pick';
    badge.textContent =
      this.tool === 'crosshair'
        ? 'Click the picture to put the crosshair · Esc cancels'
        : this.tool === 'zone'
          ? `Drawing a zone: ${this.points.length} point${this.points.length === 1 ? '' : 's'} · click to add · Enter or double-click closes · Esc cancels`
          : '';
    this.canvas.dataset.tool = this.tool;
  }

  private refuse(what: string): void {
    this.deps.toast(this.deps.role() === 'control' ? `Not connected: ${what}, so nothing was sent` : `View-only: ${what}`);
  }

  private onImage(x: number, y: number): boolean {
    return this.view.fractionAt(x, y) !== null;
  }

  private down(e: PointerEvent): void {
    if (e.button !== 0 || !this.onImage(e.offsetX, e.offsetY) || this.view.current?.placeholder) return;
    const at = this.view.fractionAt(e.offsetX, e.offsetY)!;
    if (e.shiftKey || this.tool === 'crosshair') {
      if (this.controls.readOnly) {
        this.refuse('the crosshair is a setting');
        return;
      }
      this.controls.setCrosshair(at.x, at.y);
      if (this.tool === 'crosshair') this.setTool('pick');
      return;
    }
    if (this.tool === 'zone') {
      const last = this.clicks[this.clicks.length - 1];
      if (last && Math.hypot(last.x - e.offsetX, last.y - e.offsetY) < CLOSE_PX) return; // a double-click's second click
      this.points.push([at.x, at.y]);
      this.clicks.push({ x: e.offsetX, y: e.offsetY });
      this.view.draft = { points: [...this.points], hover: null };
      this.view.redraw();
      this.controls.zones.drawing(true, this.points.length);
      this.status();
      return;
    }
    const method = this.controls.current?.method.kind;
    if (method && method !== 'colour') {
      this.deps.toast(`Picking a colour works with the colour method; the method now is ${METHOD_TITLES[method].toLowerCase()}. (Shift+click puts the crosshair.)`);
      return;
    }
    this.dragFrom = { x: e.offsetX, y: e.offsetY };
    this.canvas.setPointerCapture(e.pointerId);
  }

  private move(e: PointerEvent): void {
    const px = this.view.pixelAt(e.offsetX, e.offsetY);
    const readout = byId('pixel');
    if (px) {
      const [r, g, b] = px;
      const [h, s, v] = bgrToHsv([b, g, r]);
      const [l, la, lb] = bgrToLab([b, g, r]);
      readout.textContent = `under the mouse: HSV ${h},${s},${v} · BGR ${b},${g},${r} · Lab ${l},${la},${lb}`;
      readout.hidden = false;
    } else readout.hidden = true;
    if (this.tool === 'zone' && this.view.draft) {
      const at = this.view.fractionAt(e.offsetX, e.offsetY, true);
      this.view.draft.hover = at && this.points.length ? [at.x, at.y] : null;
      this.view.redraw();
    }
    if (!this.dragFrom) return;
    const from = this.dragFrom;
    this.view.dragBox = { x: Math.min(from.x, e.offsetX), y: Math.min(from.y, e.offsetY), w: Math.abs(e.offsetX - from.x), h: Math.abs(e.offsetY - from.y) };
    this.view.redraw();
  }

  private up(e: PointerEvent): void {
    if (!this.dragFrom) return;
    const from = this.dragFrom;
    this.dragFrom = null;
    this.view.dragBox = null;
    this.view.redraw();
    const frame = this.view.current;
    if (!frame || frame.placeholder) return;
    const a = this.view.fractionAt(from.x, from.y, true);
    const b = this.view.fractionAt(e.offsetX, e.offsetY, true);
    if (!a || !b) return;
    const box = { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), w: Math.abs(a.x - b.x), h: Math.abs(a.y - b.y) };
    if (box.w < 0.005 && box.h < 0.005) box.w = box.h = 0; // a click
    if (this.controls.readOnly) {
      this.refuse('picking changes settings');
      return;
    }
    if (this.controls.current?.method.kind !== 'colour') {
      this.deps.toast('Picking a colour works with the colour method only');
      return;
    }
    this.deps.pick(box);
  }

  /** closeZone makes the points drawn so far a zone (at least three, enclosing an area). */
  private closeZone(): void {
    const pts = this.points;
    if (pts.length < 3 || polygonArea(pts) < 1e-6) {
      this.deps.toast('A zone needs at least three points around an area (Esc cancels)');
      return;
    }
    this.controls.zones.add(pts.slice(0, 32));
    this.setTool('pick');
  }
}
