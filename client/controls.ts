/**
 * The tuning panel: colour space, ranges (add, remove, name, two-handled sliders per channel),
 * JPEG quality, cleanup and motion. Edits go out while dragging, throttled to one update per
 * frame interval; edits from other viewers move the controls at once. Undo and redo step
 * through the settings this viewer committed.
 */
import {
  CHANNEL_NAMES,
  LIMITS,
  MOTION_ALGORITHMS,
  MOTION_MODES,
  RANGE_COLORS,
  channelMax,
  cloneSettings,
  convertRange,
  type ColorRange,
  type Settings,
  type Space,
} from '../shared/settings.js';
import type { SettingsPatch } from '../shared/protocol.js';
import { channelTrack, dualSlider, type DualSlider } from './slider.js';

const PALETTE = RANGE_COLORS;
const HISTORY = 50;

export class Controls {
  private settings: Settings | null = null;
  private sliders: DualSlider[][] = [];
  private structureKey = '';
  /** index of the range a pick fills */
  activeRange = 0;
  private undoStack: Settings[] = [];
  private redoStack: Settings[] = [];
  private lastCommitted: Settings | null = null;
  private throttleTimer = 0;
  private lastSentAt = 0;
  private queued: SettingsPatch | null = null;
  /** min ms between updates: one frame interval, learned from the stream */
  minIntervalMs = 33;
  readOnly = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly send: (patch: SettingsPatch) => void,
  ) {
    root.addEventListener('focusin', (e) => {
      const card = (e.target as HTMLElement).closest<HTMLElement>('.range');
      if (card) this.setActive(Number(card.dataset.index));
    });
  }

  get current(): Settings | null {
    return this.settings;
  }

  /** show puts the server's settings into the controls (from `hello` or `settings`). */
  show(settings: Settings): void {
    this.settings = cloneSettings(settings);
    if (!this.lastCommitted) this.lastCommitted = cloneSettings(settings);
    const key = `${settings.space}|${settings.ranges.length}|${settings.ranges.map((r) => r.name + r.color).join(',')}|${this.readOnly}`;
    if (key !== this.structureKey) this.build();
    else this.fill();
  }

  /** externalChange records another viewer's change as the new base for undo. */
  externalChange(settings: Settings): void {
    this.lastCommitted = cloneSettings(settings);
  }

  /** update sends a change: at once if the last one went out a frame ago, else at the next slot. */
  update(patch: SettingsPatch, commit: boolean): void {
    if (!this.settings || this.readOnly) return;
    Object.assign(this.settings, patch, patch.motion ? { motion: { ...this.settings.motion, ...patch.motion } } : {});
    this.queued = { ...this.queued, ...patch };
    const wait = this.lastSentAt + this.minIntervalMs - performance.now();
    if (commit || wait <= 0) this.flush();
    else if (!this.throttleTimer) this.throttleTimer = window.setTimeout(() => this.flush(), wait);
    if (commit) this.commit();
  }

  private flush(): void {
    window.clearTimeout(this.throttleTimer);
    this.throttleTimer = 0;
    if (!this.queued) return;
    this.send(this.queued);
    this.queued = null;
    this.lastSentAt = performance.now();
  }

  private commit(): void {
    if (!this.settings) return;
    if (this.lastCommitted && JSON.stringify(this.lastCommitted) !== JSON.stringify(this.settings)) {
      this.undoStack.push(this.lastCommitted);
      if (this.undoStack.length > HISTORY) this.undoStack.shift();
      this.redoStack = [];
    }
    this.lastCommitted = cloneSettings(this.settings);
    this.updateHistoryButtons();
  }

  undo(): void {
    const prev = this.undoStack.pop();
    if (!prev || !this.settings) return;
    this.redoStack.push(cloneSettings(this.settings));
    this.apply(prev);
  }

  redo(): void {
    const next = this.redoStack.pop();
    if (!next || !this.settings) return;
    this.undoStack.push(cloneSettings(this.settings));
    this.apply(next);
  }

  private apply(s: Settings): void {
    this.lastCommitted = cloneSettings(s);
    this.show(s);
    this.queued = cloneSettings(s);
    this.flush();
    this.updateHistoryButtons();
  }

  private updateHistoryButtons(): void {
    const u = document.getElementById('undo') as HTMLButtonElement | null;
    const r = document.getElementById('redo') as HTMLButtonElement | null;
    if (u) u.disabled = this.undoStack.length === 0 || this.readOnly;
    if (r) r.disabled = this.redoStack.length === 0 || this.readOnly;
  }

  /** setRange replaces one range's bounds (after a pick), or adds a range if there is none. */
  setPickedRange(lower: ColorRange['lower'], upper: ColorRange['upper']): void {
    if (!this.settings) return;
    const ranges = this.settings.ranges.map((r) => ({ ...r }));
    if (ranges.length === 0) {
      ranges.push({ name: 'picked', color: PALETTE[0]!, lower, upper });
      this.activeRange = 0;
    } else {
      const i = Math.min(this.activeRange, ranges.length - 1);
      ranges[i] = { ...ranges[i]!, lower, upper };
    }
    this.show({ ...this.settings, ranges });
    this.update({ ranges }, true);
  }

  private setActive(i: number): void {
    this.activeRange = i;
    this.root.querySelectorAll('.range').forEach((el, k) => el.classList.toggle('active', k === i));
  }

  private build(): void {
    const s = this.settings!;
    this.structureKey = `${s.space}|${s.ranges.length}|${s.ranges.map((r) => r.name + r.color).join(',')}|${this.readOnly}`;
    const list = this.root.querySelector('#range-list')!;
    list.innerHTML = '';
    this.sliders = [];
    s.ranges.forEach((range, i) => {
      const card = document.createElement('fieldset');
      card.className = 'range';
      card.dataset.index = String(i);
      card.innerHTML = `<legend><input type="color" aria-label="colour of range ${i + 1}" value="${range.color}"><input class="name" aria-label="name of range ${i + 1}" maxlength="${LIMITS.nameLength}" value="${escapeAttr(range.name)}"><button type="button" class="remove" aria-label="remove range ${range.name}">✕</button></legend>`;
      const [colorIn, nameIn] = card.querySelectorAll('input');
      colorIn!.addEventListener('change', () => this.editRange(i, { color: colorIn!.value }));
      nameIn!.addEventListener('change', () => nameIn!.value.trim() && this.editRange(i, { name: nameIn!.value.trim() }));
      card.querySelector('.remove')!.addEventListener('click', () => {
        const ranges = this.settings!.ranges.filter((_, k) => k !== i);
        this.activeRange = Math.max(0, Math.min(this.activeRange, ranges.length - 1));
        this.update({ ranges }, true);
        this.show(this.settings!);
      });
      const row: DualSlider[] = [];
      for (let c = 0; c < 3; c++) {
        const slider = dualSlider({
          label: CHANNEL_NAMES[s.space][c]!,
          ariaLabel: `${range.name}, ${CHANNEL_NAMES[s.space][c]}`,
          max: channelMax(s.space, c),
          wraps: s.space === 'hsv' && c === 0,
          track: channelTrack(s.space, c),
          onInput: (lo, hi, done) => {
            const ranges = this.settings!.ranges.map((r) => ({ ...r, lower: [...r.lower], upper: [...r.upper] }) as ColorRange);
            ranges[i]!.lower[c] = lo;
            ranges[i]!.upper[c] = hi;
            this.update({ ranges }, done);
          },
        });
        row.push(slider);
        card.appendChild(slider.element);
      }
      this.sliders.push(row);
      list.appendChild(card);
    });
    this.root.classList.toggle('read-only', this.readOnly);
    this.root.querySelectorAll<HTMLInputElement | HTMLButtonElement | HTMLSelectElement>('input, button, select').forEach((el) => {
      if (!el.closest('.always')) el.disabled = this.readOnly;
    });
    (this.root.querySelector('#add-range') as HTMLButtonElement).disabled = this.readOnly || s.ranges.length >= LIMITS.maxRanges;
    this.setActive(Math.min(this.activeRange, Math.max(0, s.ranges.length - 1)));
    this.fill();
    this.updateHistoryButtons();
  }

  private editRange(i: number, patch: Partial<ColorRange>): void {
    const ranges = this.settings!.ranges.map((r, k) => (k === i ? { ...r, ...patch } : r));
    this.update({ ranges }, true);
    this.show(this.settings!);
  }

  private fill(): void {
    const s = this.settings!;
    s.ranges.forEach((r, i) => this.sliders[i]?.forEach((sl, c) => sl.set(r.lower[c]!, r.upper[c]!)));
    const v = (id: string, value: string | number | boolean): void => {
      const el = document.getElementById(id) as HTMLInputElement | HTMLSelectElement | null;
      if (!el || document.activeElement === el) return;
      if (el instanceof HTMLInputElement && el.type === 'checkbox') el.checked = Boolean(value);
      else el.value = String(value);
    };
    v('space', s.space);
    v('quality', s.quality);
    v('quality-n', s.quality);
    v('blur', s.blur);
    v('open', s.open);
    v('close', s.close);
    v('min-area', s.minArea);
    v('blobs', s.blobs);
    v('motion-mode', s.motion.mode);
    v('motion-algorithm', s.motion.algorithm);
    v('motion-history', s.motion.history);
    v('motion-rate', s.motion.learningRate);
    v('motion-shadows', s.motion.shadows);
  }

  /** wire connects the panel's fixed inputs (index.html) to updates. */
  wire(): void {
    const on = (id: string, ev: string, f: (el: HTMLInputElement) => void): void => {
      const el = document.getElementById(id) as HTMLInputElement;
      el.addEventListener(ev, () => f(el));
    };
    const num = (el: HTMLInputElement): number => Number(el.value);
    on('space', 'change', (el) => this.switchSpace(el.value as Space));
    on('quality', 'input', (el) => this.update({ quality: num(el) }, false));
    on('quality', 'change', (el) => this.update({ quality: num(el) }, true));
    on('quality-n', 'change', (el) => this.update({ quality: clampInt(num(el), 1, 100) }, true));
    on('blur', 'change', (el) => this.update({ blur: odd(clampInt(num(el), 0, LIMITS.kernelMax)) }, true));
    on('open', 'change', (el) => this.update({ open: clampInt(num(el), 0, LIMITS.kernelMax) }, true));
    on('close', 'change', (el) => this.update({ close: clampInt(num(el), 0, LIMITS.kernelMax) }, true));
    on('min-area', 'change', (el) => this.update({ minArea: clampInt(num(el), 0, LIMITS.minAreaMax) }, true));
    on('blobs', 'change', (el) => this.update({ blobs: el.checked }, true));
    on('motion-mode', 'change', (el) => this.update({ motion: { mode: el.value as (typeof MOTION_MODES)[number] } }, true));
    on('motion-algorithm', 'change', (el) => this.update({ motion: { algorithm: el.value as (typeof MOTION_ALGORITHMS)[number] } }, true));
    on('motion-history', 'change', (el) => this.update({ motion: { history: clampInt(num(el), 1, LIMITS.historyMax) } }, true));
    on('motion-rate', 'change', (el) => this.update({ motion: { learningRate: Math.max(-1, Math.min(1, num(el))) } }, true));
    on('motion-shadows', 'change', (el) => this.update({ motion: { shadows: el.checked } }, true));
    document.getElementById('add-range')!.addEventListener('click', () => this.addRange());
    document.getElementById('undo')!.addEventListener('click', () => this.undo());
    document.getElementById('redo')!.addEventListener('click', () => this.redo());
  }

  private addRange(): void {
    const s = this.settings;
    if (!s || s.ranges.length >= LIMITS.maxRanges) return;
    const i = s.ranges.length;
    const range: ColorRange =
      s.space === 'hsv'
        ? { name: `range${i + 1}`, color: PALETTE[i % PALETTE.length]!, lower: [35, 80, 60], upper: [85, 255, 255] }
        : { name: `range${i + 1}`, color: PALETTE[i % PALETTE.length]!, lower: [0, 100, 0], upper: [100, 255, 100] };
    this.activeRange = i;
    this.update({ ranges: [...s.ranges, range] }, true);
    this.show(this.settings!);
  }

  /** switchSpace converts every range to the other space rather than resetting them. */
  private switchSpace(space: Space): void {
    const s = this.settings;
    if (!s || s.space === space) return;
    const ranges = s.ranges.map((r) => convertRange(r, s.space, space));
    this.update({ space, ranges }, true);
    this.show(this.settings!);
  }
}

function clampInt(v: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, Math.round(Number.isFinite(v) ? v : min)));
}

function odd(v: number): number {
  return v === 0 || v % 2 === 1 ? v : v + 1 > LIMITS.kernelMax ? v - 1 : v + 1;
}

function escapeAttr(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
