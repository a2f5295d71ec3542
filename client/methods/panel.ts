/**
 * What every method's panel is to the tuning panel: an element to show, `show` to put a method's
 * settings into its controls, and `analysis` to show what the method reports about the newest
 * frame. A panel changes nothing itself: it hands a method patch to its context, which applies
 * it locally, sends it and records the undo step; `controls.ts` only swaps panels when the kind
 * changes. Also the small field builders the panels share (labels tied to their inputs).
 */
import type { Method, MethodKind } from '../../shared/methods.js';
import type { Analysis, SettingsPatch } from '../../shared/protocol.js';
import type { ModelsReport } from '../../shared/outputs.js';
import { el } from '../dom.js';

/** MethodPatch is a change of the method: its kind and any of its fields. */
export type MethodPatch = NonNullable<SettingsPatch['method']>;

/** PanelContext is what a panel may ask of the tuning panel. */
export interface PanelContext {
  /** the current method (the local copy, which already holds this viewer's unsent changes) */
  method(): Method;
  /** update sends a change of the method; `commit` makes it one undo step (false while dragging). */
  update(patch: MethodPatch, commit: boolean): void;
  /** readOnly: nothing can be changed from here (view-only, or disconnected) */
  readonly readOnly: boolean;
  toast(text: string): void;
  /** models lists the .onnx files the server's models folder holds (GET /api/models) */
  models(): Promise<ModelsReport>;
}

/** MethodPanel is one method's controls and readouts. */
export interface MethodPanel {
  readonly kind: MethodKind;
  readonly element: HTMLElement;
  /** show puts a method (of this panel's kind) into the controls; fields being typed in are left alone. */
  show(method: Method): void;
  /** analysis shows what the method reported about the newest frame (undefined: nothing yet). */
  analysis(a: Analysis | undefined): void;
}

/** METHOD_TITLES name the methods in the picker. */
export const METHOD_TITLES: Record<MethodKind, string> = {
  colour: 'Colour ranges',
  threshold: 'Threshold',
  edges: 'Edges (Canny)',
  clusters: 'Clusters (k-means)',
  model: 'Model (ONNX)',
};

/** CHANNEL_TITLES name the single channels a threshold or edge method can look at. */
export const CHANNEL_TITLES: Record<string, string> = {
  gray: 'grey',
  h: 'H (hue)',
  s: 'S (saturation)',
  v: 'V (value)',
  l: 'L (Lab lightness)',
  a: 'a (Lab green–red)',
  b: 'b (Lab blue–yellow)',
  blue: 'blue',
  green: 'green',
  red: 'red',
};

/** panelRoot is a method panel's element: a heading and a body. */
export function panelRoot(kind: MethodKind, heading: string, ...children: (Node | string)[]): HTMLElement {
  return el('div', { class: 'method', 'data-kind': kind }, el('h3', {}, heading), ...children);
}

type Num = { min?: number; max?: number; step?: number | 'any'; placeholder?: string };

/** numberField is a labelled number input; `onChange` gets its value when the user is done with it. */
export function numberField(id: string, label: string, o: Num, onChange: (v: number, e: HTMLInputElement) => void, title?: string): [HTMLLabelElement, HTMLInputElement] {
  const input = el('input', { id, type: 'number', min: o.min, max: o.max, step: o.step, placeholder: o.placeholder });
  input.addEventListener('change', () => onChange(Number(input.value), input));
  return [el('label', { for: id, title }, label), input];
}

/** selectField is a labelled menu of [value, text] options. */
export function selectField(
  id: string,
  label: string,
  options: readonly (readonly [string, string])[],
  onChange: (v: string) => void,
  title?: string,
): [HTMLLabelElement, HTMLSelectElement] {
  const select = el('select', { id }, ...options.map(([v, t]) => el('option', { value: v }, t)));
  select.addEventListener('change', () => onChange(select.value));
  return [el('label', { for: id, title }, label), select];
}

/** checkField is a labelled checkbox. */
export function checkField(id: string, label: string, onChange: (v: boolean) => void, title?: string): [HTMLLabelElement, HTMLInputElement] {
  const input = el('input', { id, type: 'checkbox' });
  input.addEventListener('change', () => onChange(input.checked));
  return [el('label', { for: id, title }, label), input];
}

/** setValue puts a value into a field unless the user is in it (a server echo may arrive while typing). */
export function setValue(e: HTMLInputElement | HTMLSelectElement, value: string | number | boolean): void {
  if (document.activeElement === e) return;
  if (e instanceof HTMLInputElement && e.type === 'checkbox') e.checked = Boolean(value);
  else if (e.value !== String(value)) e.value = String(value);
}

/** clampInt rounds to a whole number within min..max (a non-number becomes min). */
export function clampInt(v: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, Math.round(Number.isFinite(v) ? v : min)));
}

/** clamp keeps a number within min..max (a non-number becomes min). */
export function clamp(v: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, Number.isFinite(v) ? v : min));
}

/** odd makes a size odd (rounding up, or down at the top of the range). */
export function odd(v: number, max: number): number {
  return v % 2 === 1 ? v : v + 1 > max ? v - 1 : v + 1;
}

/** percent formats a percentage for a readout. */
export function percent(v: number): string {
  return `${v.toFixed(1)}%`;
}

/** pair groups a label and its field(s) in a two-column grid, so that they can be hidden together. */
export function pair(...children: (Node | string)[]): HTMLDivElement {
  return el('div', { class: 'pair' }, ...children);
}

/** levelSlider is a labelled 0..max slider with a number beside it; `onInput(v, done)` follows a drag and its end. */
export function levelSlider(
  id: string,
  label: string,
  max: number,
  onInput: (v: number, done: boolean) => void,
  min = 0,
  step = 1,
): { element: HTMLElement; set(v: number): void } {
  const range = el('input', { id, type: 'range', min, max, step, 'aria-label': label });
  const num = el('input', { id: `${id}-n`, class: 'num', type: 'number', min, max, step, 'aria-label': `${label} value` });
  const read = (from: HTMLInputElement, done: boolean): void => {
    const v = Math.max(min, Math.min(max, Number.isFinite(Number(from.value)) ? Number(from.value) : min));
    range.value = String(v);
    if (from !== num) num.value = String(v);
    onInput(v, done);
  };
  range.addEventListener('input', () => read(range, false));
  range.addEventListener('change', () => read(range, true));
  num.addEventListener('change', () => read(num, true));
  const element = el('div', { class: 'dual-like' }, el('label', { for: id }, label), range, num);
  return {
    element,
    set(v) {
      setValue(range, v);
      setValue(num, v);
    },
  };
}
