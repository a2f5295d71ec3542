/**
 * A two-handled slider with numeric inputs, for one channel of one range. Two native range
 * inputs share one track (keyboard and screen reader support come with them); the selected
 * span is painted on the track, in two pieces when a hue range wraps round through 0.
 */
import type { Space } from '../shared/settings.js';
import { el } from './dom.js';

export interface DualSlider {
  element: HTMLElement;
  set(lower: number, upper: number): void;
}

export interface DualSliderOptions {
  label: string;
  /** label for screen readers, e.g. "red range, hue" */
  ariaLabel: string;
  max: number;
  /** lower > upper is allowed and shown as a wrapped span (hue) */
  wraps: boolean;
  /** CSS background of the track (e.g. the hue gradient) */
  track: string;
  onInput: (lower: number, upper: number, done: boolean) => void;
}

let nextId = 0;

export function dualSlider(o: DualSliderOptions): DualSlider {
  const id = `s${nextId++}`;
  const range = (which: string) =>
    el('input', { type: 'range', id: `${id}-${which}`, min: 0, max: o.max, 'aria-label': `${o.ariaLabel} ${which === 'lo' ? 'lower' : 'upper'} bound` });
  const number = (which: string) =>
    el('input', { class: 'num', type: 'number', id: `${id}-${which}-n`, min: 0, max: o.max, 'aria-label': `${o.ariaLabel} ${which === 'lo' ? 'lower' : 'upper'} bound` });
  const lo = range('lo');
  const hi = range('hi');
  const loN = number('lo');
  const hiN = number('hi');
  const spanA = el('div', { class: 'span a' });
  const spanB = el('div', { class: 'span b' });
  const track = el('div', { class: 'track' }, spanA, spanB, lo, hi);
  track.style.background = o.track; // CSSOM, not a style attribute: allowed by the CSP
  const root = el('div', { class: 'dual' }, el('label', { class: 'dual-label', for: `${id}-lo` }, o.label), loN, track, hiN);

  const paint = (l: number, u: number): void => {
    const pct = (v: number): string => `${(100 * v) / o.max}%`;
    if (l <= u) {
      Object.assign(spanA.style, { left: pct(l), width: `calc(${pct(u)} - ${pct(l)})`, display: 'block' });
      spanB.style.display = 'none';
    } else {
      // wrapped: lower..max and 0..upper
      Object.assign(spanA.style, { left: pct(l), width: `calc(100% - ${pct(l)})`, display: 'block' });
      Object.assign(spanB.style, { left: '0', width: pct(u), display: 'block' });
    }
    root.classList.toggle('wrapped', l > u);
    root.title = l > u ? `${o.label}: ${l}..${o.max} and 0..${u} (wraps)` : `${o.label}: ${l}..${u}`;
  };
  const set = (l: number, u: number): void => {
    // never overwrite the number a user is typing (a server echo can arrive meanwhile)
    lo.value = String(l);
    hi.value = String(u);
    if (document.activeElement !== loN) loN.value = String(l);
    if (document.activeElement !== hiN) hiN.value = String(u);
    paint(l, u);
  };
  const read = (fromNumbers: boolean, done: boolean): void => {
    const clamp = (v: number): number => Math.max(0, Math.min(o.max, Math.round(Number.isFinite(v) ? v : 0)));
    let l = clamp(Number(fromNumbers ? loN.value : lo.value));
    let u = clamp(Number(fromNumbers ? hiN.value : hi.value));
    if (!o.wraps && l > u) {
      // handles cannot cross on channels that do not wrap: the one being moved pushes the other
      if (document.activeElement === lo || document.activeElement === loN) u = l;
      else l = u;
    }
    set(l, u);
    o.onInput(l, u, done);
  };
  lo.addEventListener('input', () => read(false, false));
  hi.addEventListener('input', () => read(false, false));
  lo.addEventListener('change', () => read(false, true));
  hi.addEventListener('change', () => read(false, true));
  loN.addEventListener('change', () => read(true, true));
  hiN.addEventListener('change', () => read(true, true));
  return { element: root, set };
}

/** HUE_TRACK paints OpenCV's hue circle (0..179 = 0..358 degrees). */
export const HUE_TRACK = 'linear-gradient(to right, hsl(0 90% 50%), hsl(60 90% 50%), hsl(120 90% 50%), hsl(180 90% 50%), hsl(240 90% 50%), hsl(300 90% 50%), hsl(358 90% 50%))';

/** channelTrack returns a track gradient for a channel of a colour space. */
export function channelTrack(space: Space, i: number): string {
  if (space === 'hsv') return i === 0 ? HUE_TRACK : i === 1 ? 'linear-gradient(to right, #888, hsl(0 100% 50%))' : 'linear-gradient(to right, #000, #fff)';
  if (space === 'lab')
    return ['linear-gradient(to right, #000, #fff)', 'linear-gradient(to right, #00a86b, #888, #e0007c)', 'linear-gradient(to right, #2f6cff, #888, #f2d200)'][i]!;
  return ['linear-gradient(to right, #000, #00f)', 'linear-gradient(to right, #000, #0f0)', 'linear-gradient(to right, #000, #f00)'][i]!;
}
