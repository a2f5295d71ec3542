/**
 * The tuning panel: colour space, ranges (add, remove, name, colour, two-handled sliders per
 * channel, and what each range finds), JPEG quality, cleanup and motion. Edits go out while
 * dragging, throttled to one update per frame interval; edits from other viewers move the
 * controls at once. Undo and redo step through this viewer's own changes, and undo sends back
 * only the fields its step changed, so it never wipes out what someone else changed since.
 */
import { convertRange } from '../shared/convert.js';
import type { Analysis, SettingsPatch } from '../shared/protocol.js';
import { CHANNEL_NAMES, LIMITS, MOTION_ALGORITHMS, MOTION_MODES, RANGE_COLORS, channelMax, cloneSettings, type ColorRange, type Settings, type Space } from '../shared/settings.js';
import { byId, el } from './dom.js';
import { channelTrack, dualSlider, type DualSlider } from './slider.js';

const HISTORY = 50;
type Step = { undo: SettingsPatch; redo: SettingsPatch };

/** diff is the patch that turns `from` into `to`, field by field (motion: only the changed parts). */
export function diff(from: Settings, to: Settings): SettingsPatch {
  const patch: Record<string, unknown> = {};
  for (const k of Object.keys(to) as (keyof Settings)[]) {
    if (k === 'motion') {
      const m: Record<string, unknown> = {};
      for (const mk of Object.keys(to.motion) as (keyof Settings['motion'])[]) if (from.motion[mk] !== to.motion[mk]) m[mk] = to.motion[mk];
      if (Object.keys(m).length) patch.motion = m;
    } else if (JSON.stringify(from[k]) !== JSON.stringify(to[k])) patch[k] = structuredClone(to[k]);
  }
  // a space change converts the ranges: undo must restore both together
  if ('space' in patch && !('ranges' in patch)) patch.ranges = structuredClone(to.ranges);
  return patch as SettingsPatch;
}

export class Controls {
  private settings: Settings | null = null;
  private sliders: DualSlider[][] = [];
  private found: HTMLElement[] = [];
  private structureKey = '';
  /** index of the range a pick fills */
  activeRange = 0;
  private undoStack: Step[] = [];
  private redoStack: Step[] = [];
  private lastCommitted: Settings | null = null;
  private throttleTimer = 0;
  private lastSentAt = 0;
  private queued: SettingsPatch | null = null;
  /** min ms between updates: one frame interval, learned from the stream */
  minIntervalMs = 33;
  private readOnlyRole = false;
  private connected = false;

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

  /** readOnly: nothing can be changed from here (a view-only token, or no connection). */
  get readOnly(): boolean {
    return this.readOnlyRole || !this.connected;
  }

  /** setAccess says whether this viewer may change things and whether it is connected; the panel follows. */
  setAccess(role: 'control' | 'view', connected: boolean): void {
    if (this.readOnlyRole === (role !== 'control') && this.connected === connected) return;
    this.readOnlyRole = role !== 'control';
    this.connected = connected;
    if (this.settings) this.build();
    else this.applyDisabled();
  }

  /** show puts the server's settings into the controls (from `hello` or `settings`). */
  show(settings: Settings): void {
    this.settings = cloneSettings(settings);
    if (!this.lastCommitted) this.lastCommitted = cloneSettings(settings);
    if (this.keyOf(settings) !== this.structureKey) this.build();
    else this.fill();
  }

  /** externalChange records a change from elsewhere as the new base: undo covers this viewer's own steps only. */
  externalChange(settings: Settings): void {
    this.lastCommitted = cloneSettings(settings);
  }

  /** showAnalysis writes what each range found (coverage, blobs) into its card. */
  showAnalysis(a: Analysis | undefined): void {
    this.found.forEach((span, i) => {
      const r = a?.ranges[i];
      span.textContent = r && r.name === this.settings?.ranges[i]?.name ? `${r.coverage.toFixed(1)}%${r.blobs !== undefined ? ` · ${r.blobs} blob${r.blobs === 1 ? '' : 's'}` : ''}` : '';
    });
  }

  /** update sends a change: at once if the last one went out a frame ago, else at the next slot. */
  update(patch: SettingsPatch, commit: boolean): void {
    if (!this.settings || this.readOnly) return;
    Object.assign(this.settings, patch, patch.motion ? { motion: { ...this.settings.motion, ...patch.motion } } : {});
    this.queued = { ...this.queued, ...patch, ...(patch.motion || this.queued?.motion ? { motion: { ...this.queued?.motion, ...patch.motion } } : {}) };
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
    if (!this.settings || !this.lastCommitted) return;
    const redo = diff(this.lastCommitted, this.settings);
    if (Object.keys(redo).length) {
      this.undoStack.push({ undo: diff(this.settings, this.lastCommitted), redo });
      if (this.undoStack.length > HISTORY) this.undoStack.shift();
      this.redoStack = [];
    }
    this.lastCommitted = cloneSettings(this.settings);
    this.updateHistoryButtons();
  }

  undo(): void {
    const step = this.undoStack.pop();
    if (!step || this.readOnly) return;
    this.redoStack.push(step);
    this.apply(step.undo);
  }

  redo(): void {
    const step = this.redoStack.pop();
    if (!step || this.readOnly) return;
    this.undoStack.push(step);
    this.apply(step.redo);
  }

  private apply(patch: SettingsPatch): void {
    if (!this.settings) return;
    Object.assign(this.settings, patch, patch.motion ? { motion: { ...this.settings.motion, ...patch.motion } } : {});
    this.lastCommitted = cloneSettings(this.settings);
    this.show(this.settings);
    this.queued = { ...this.queued, ...patch };
    this.flush();
    this.updateHistoryButtons();
  }

  private updateHistoryButtons(): void {
    byId<HTMLButtonElement>('undo').disabled = this.undoStack.length === 0 || this.readOnly;
    byId<HTMLButtonElement>('redo').disabled = this.redoStack.length === 0 || this.readOnly;
  }

  /** setPickedRange puts a pick into the highlighted range (or a new one): one undo step. */
  setPickedRange(lower: ColorRange['lower'], upper: ColorRange['upper']): string | null {
    if (!this.settings || this.readOnly) return null;
    const ranges = this.settings.ranges.map((r) => ({ ...r }));
    let i = Math.min(this.activeRange, ranges.length - 1);
    if (ranges.length === 0) {
      ranges.push({ name: 'picked', color: RANGE_COLORS[0], lower, upper });
      i = 0;
    } else ranges[i] = { ...ranges[i]!, lower, upper };
    this.activeRange = i;
    this.update({ ranges }, true);
    this.show(this.settings);
    return ranges[i]!.name;
  }

  private setActive(i: number): void {
    this.activeRange = i;
    this.root.querySelectorAll('.range').forEach((e, k) => e.classList.toggle('active', k === i));
  }

  private keyOf(s: Settings): string {
    return `${s.space}|${s.ranges.length}|${s.ranges.map((r) => r.name + r.color).join(',')}|${this.readOnly}`;
  }

  private build(): void {
    const s = this.settings!;
    this.structureKey = this.keyOf(s);
    const list = byId('range-list');
    this.sliders = [];
    this.found = [];
    list.replaceChildren(
      ...s.ranges.map((range, i) => {
        const colorIn = el('input', { type: 'color', 'aria-label': `colour of range ${i + 1}`, value: range.color });
        const nameIn = el('input', { class: 'name', 'aria-label': `name of range ${i + 1}`, maxlength: LIMITS.nameLength, value: range.name });
        const remove = el('button', { type: 'button', class: 'remove', 'aria-label': `remove range ${range.name}`, title: 'Remove this range' }, '✕');
        const found = el('span', { class: 'found', 'aria-live': 'off' });
        colorIn.addEventListener('change', () => this.editRange(i, { color: colorIn.value }));
        nameIn.addEventListener('change', () => {
          const name = nameIn.value.trim();
          if (name) this.editRange(i, { name });
          else nameIn.value = range.name;
        });
        remove.addEventListener('click', () => {
          const ranges = this.settings!.ranges.filter((_, k) => k !== i);
          this.activeRange = Math.max(0, Math.min(this.activeRange, ranges.length - 1));
          this.update({ ranges }, true);
          this.show(this.settings!);
        });
        const row: DualSlider[] = [];
        const card = el('fieldset', { class: 'range', 'data-index': i }, el('legend', {}, colorIn, nameIn, found, remove));
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
          card.append(slider.element);
        }
        this.sliders.push(row);
        this.found.push(found);
        return card;
      }),
    );
    this.applyDisabled();
    this.setActive(Math.min(this.activeRange, Math.max(0, s.ranges.length - 1)));
    this.fill();
  }

  private applyDisabled(): void {
    this.root.classList.toggle('read-only', this.readOnly);
    this.root.querySelectorAll<HTMLInputElement | HTMLButtonElement | HTMLSelectElement>('input, button, select').forEach((e) => {
      if (!e.closest('.always')) e.disabled = this.readOnly;
    });
    byId<HTMLButtonElement>('add-range').disabled = this.readOnly || (this.settings?.ranges.length ?? 0) >= LIMITS.maxRanges;
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
      const e = document.getElementById(id) as HTMLInputElement | HTMLSelectElement | null;
      if (!e || document.activeElement === e) return;
      if (e instanceof HTMLInputElement && e.type === 'checkbox') e.checked = Boolean(value);
      else e.value = String(value);
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
    const on = (id: string, ev: string, f: (e: HTMLInputElement) => void): void => {
      const e = byId<HTMLInputElement>(id);
      e.addEventListener(ev, () => f(e));
    };
    const num = (e: HTMLInputElement): number => Number(e.value);
    on('space', 'change', (e) => this.switchSpace(e.value as Space));
    on('quality', 'input', (e) => this.update({ quality: num(e) }, false));
    on('quality', 'change', (e) => this.update({ quality: num(e) }, true));
    on('quality-n', 'change', (e) => this.update({ quality: clampInt(num(e), 1, 100) }, true));
    on('blur', 'change', (e) => this.update({ blur: odd(clampInt(num(e), 0, LIMITS.kernelMax)) }, true));
    on('open', 'change', (e) => this.update({ open: clampInt(num(e), 0, LIMITS.kernelMax) }, true));
    on('close', 'change', (e) => this.update({ close: clampInt(num(e), 0, LIMITS.kernelMax) }, true));
    on('min-area', 'change', (e) => this.update({ minArea: clampInt(num(e), 0, LIMITS.minAreaMax) }, true));
    on('blobs', 'change', (e) => this.update({ blobs: e.checked }, true));
    on('motion-mode', 'change', (e) => this.update({ motion: { mode: e.value as (typeof MOTION_MODES)[number] } }, true));
    on('motion-algorithm', 'change', (e) => this.update({ motion: { algorithm: e.value as (typeof MOTION_ALGORITHMS)[number] } }, true));
    on('motion-history', 'change', (e) => this.update({ motion: { history: clampInt(num(e), 1, LIMITS.historyMax) } }, true));
    on('motion-rate', 'change', (e) => this.update({ motion: { learningRate: Math.max(-1, Math.min(1, num(e))) } }, true));
    on('motion-shadows', 'change', (e) => this.update({ motion: { shadows: e.checked } }, true));
    byId('add-range').addEventListener('click', () => this.addRange());
    byId('undo').addEventListener('click', () => this.undo());
    byId('redo').addEventListener('click', () => this.redo());
  }

  private addRange(): void {
    const s = this.settings;
    if (!s || s.ranges.length >= LIMITS.maxRanges) return;
    const i = s.ranges.length;
    const taken = new Set(s.ranges.map((r) => r.name));
    let n = i + 1;
    while (taken.has(`range${n}`)) n++;
    const bounds: Pick<ColorRange, 'lower' | 'upper'> = s.space === 'hsv' ? { lower: [35, 80, 60], upper: [85, 255, 255] } : { lower: [0, 100, 0], upper: [100, 255, 100] };
    this.activeRange = i;
    this.update({ ranges: [...s.ranges, { name: `range${n}`, color: RANGE_COLORS[i % RANGE_COLORS.length]!, ...bounds }] }, true);
    this.show(this.settings!);
  }

  /** switchSpace converts every range to the other space (the conversion the server uses) rather than resetting them. */
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
