/**
 * The tuning panel: the method (a picker, and the panel of the chosen method: see methods/),
 * cleanup, motion, targets, zones, the input transform, and output. Edits go out while
 * dragging, throttled to one update per frame interval; edits from other viewers move the
 * controls at once. The local copy of the settings follows every change the way the server
 * applies it (patch.ts), and what goes out is the difference it makes, in today's keys.
 * Undo and redo step through this viewer's own changes, and undo sends back only the fields its
 * step changed (the method as a whole), so it never wipes out what someone else changed since.
 */
import { METHOD_KINDS, type MethodKind } from '../shared/methods.js';
import type { Analysis, SettingsPatch } from '../shared/protocol.js';
import { DEFAULT_SETTINGS, LIMITS, cloneSettings, type ColorRange, type MotionAlgorithm, type MotionMode, type Settings } from '../shared/settings.js';
import type { ModelsReport } from '../shared/outputs.js';
import type { Api } from './api.js';
import { applyOff, byId } from './dom.js';
import { ClustersPanel } from './methods/clusters.js';
import { ColourPanel } from './methods/colour.js';
import { EdgesPanel } from './methods/edges.js';
import { ModelPanel } from './methods/model.js';
import { clampInt, odd, type MethodPanel, type PanelContext } from './methods/panel.js';
import { ThresholdPanel } from './methods/threshold.js';
import { applyPatch, diff, isEmpty, mergePatch } from './patch.js';
import type { SectionContext } from './section.js';
import { TargetsSection } from './targets.js';
import { TransformSection } from './transform.js';
import { ZonesSection } from './zones.js';

export { diff } from './patch.js';

const HISTORY = 50;
type Step = { undo: SettingsPatch; redo: SettingsPatch };

/** PictureTool is what a click on the picture does besides picking: set the crosshair, or draw a zone. */
export type PictureTool = 'crosshair' | 'zone';

export class Controls {
  private settings: Settings | null = null;
  /** the newest settings the server sent (what a refused change falls back to) */
  private server: Settings | null = null;
  private readonly panels = new Map<MethodKind, MethodPanel>();
  private panel: MethodPanel | null = null;
  private lastAnalysis: Analysis | undefined;
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
  /** what the targets' and zones' buttons ask of the picture (set by main.ts) */
  onTool: (tool: PictureTool) => void = () => {};
  readonly targets: TargetsSection;
  readonly zones: ZonesSection;
  readonly transform: TransformSection;
  private readonly section: SectionContext;
  private readonly panelContext: PanelContext;

  constructor(
    private readonly root: HTMLElement,
    private readonly send: (patch: SettingsPatch) => void,
    private readonly toast: (text: string) => void = () => {},
    private readonly api: Api | null = null,
  ) {
    const self = this;
    this.section = {
      settings: () => this.settings ?? DEFAULT_SETTINGS,
      update: (patch, commit) => this.update(patch, commit),
      get readOnly() {
        return self.readOnly;
      },
      toast: (t) => this.toast(t),
    };
    this.panelContext = {
      method: () => (this.settings ?? DEFAULT_SETTINGS).method,
      update: (method, commit) => this.update({ method }, commit),
      get readOnly() {
        return self.readOnly;
      },
      toast: (t) => this.toast(t),
      models: () => (this.api ? this.api.get<ModelsReport>('/api/models') : Promise.resolve({ camera: '', models: [] })),
    };
    this.targets = new TargetsSection(this.section, () => this.onTool('crosshair'));
    this.zones = new ZonesSection(this.section, () => this.onTool('zone'));
    this.transform = new TransformSection(this.section);
    byId('targets-body').append(this.targets.element);
    byId('zones-body').append(this.zones.element);
    byId('transform-body').append(this.transform.element);
  }

  get current(): Settings | null {
    return this.settings;
  }

  /** ranges are the colour method's ranges (none while another method is in use). */
  get ranges(): ColorRange[] {
    const m = this.settings?.method;
    return m?.kind === 'colour' ? (m.ranges as ColorRange[]) : [];
  }

  /** the method panel showing now */
  get methodPanel(): MethodPanel | null {
    return this.panel;
  }

  /** index of the range a pick fills (the highlighted range card) */
  get activeRange(): number {
    return this.colourPanel().activeRange;
  }
  set activeRange(i: number) {
    this.colourPanel().activeRange = i;
  }

  private colourPanel(): ColourPanel {
    return this.panelFor('colour') as ColourPanel;
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
    if (this.settings) this.render();
    else this.applyDisabled();
  }

  /** show puts the server's settings into the controls (from `hello` or `settings`). */
  show(settings: Settings): void {
    this.settings = cloneSettings(settings);
    this.server = cloneSettings(settings);
    if (!this.lastCommitted) this.lastCommitted = cloneSettings(settings);
    this.render();
  }

  /** known records settings the server sent that are not shown (the echo of an older change of ours). */
  known(settings: Settings): void {
    this.server = cloneSettings(settings);
  }

  /** refused is told that the server refused a change of ours: the controls go back to what the server has. */
  refused(): void {
    if (!this.server) return;
    window.clearTimeout(this.throttleTimer);
    this.throttleTimer = 0;
    this.queued = null;
    this.settings = cloneSettings(this.server);
    this.lastCommitted = cloneSettings(this.server);
    this.render();
  }

  /** externalChange records a change from elsewhere as the new base: undo covers this viewer's own steps only. */
  externalChange(settings: Settings): void {
    this.lastCommitted = cloneSettings(settings);
  }

  /** showAnalysis shows what the newest frame found: the method's readouts, the targets, the zones' coverage. */
  showAnalysis(a: Analysis | undefined): void {
    this.lastAnalysis = a;
    this.panel?.analysis(a);
    this.targets.analysis(a);
    this.zones.analysis(a);
  }

  /**
   * update changes the settings: the local copy at once (as the server will), and the change
   * goes out at once if the last one went out a frame ago, else at the next slot. `commit`
   * makes everything since the last commit one undo step. A change the server would refuse is
   * not sent: its reason is shown and the controls go back.
   */
  update(patch: SettingsPatch, commit: boolean): void {
    if (!this.settings || this.readOnly) return;
    const next = applyPatch(this.settings, patch);
    if (!next.ok) {
      this.toast(next.error.message);
      this.render();
      return;
    }
    const change = diff(this.settings, next.value);
    this.settings = next.value;
    if (!isEmpty(change)) this.queued = mergePatch(this.queued, change);
    const wait = this.lastSentAt + this.minIntervalMs - performance.now();
    if (commit || wait <= 0) this.flush();
    else if (!this.throttleTimer) this.throttleTimer = window.setTimeout(() => this.flush(), wait);
    if (commit) this.commit();
    this.render();
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
    if (!isEmpty(redo)) {
      this.undoStack.push({ undo: diff(this.settings, this.lastCommitted), redo });
      if (this.undoStack.length > HISTORY) this.undoStack.shift();
      this.redoStack = [];
    }
    this.lastCommitted = cloneSettings(this.settings);
    this.updateHistoryButtons();
  }

  undo(): void {
    if (this.readOnly) return;
    const step = this.undoStack.pop();
    if (!step) return;
    if (this.apply(step.undo, 'undo')) this.redoStack.push(step);
    else this.undoStack.push(step);
  }

  redo(): void {
    if (this.readOnly) return;
    const step = this.redoStack.pop();
    if (!step) return;
    if (this.apply(step.redo, 'redo')) this.undoStack.push(step);
    else this.redoStack.push(step);
  }

  /** apply makes an undo or redo step's patch the new state (already a step: no new history). */
  private apply(patch: SettingsPatch, what: 'undo' | 'redo'): boolean {
    if (!this.settings) return false;
    const next = applyPatch(this.settings, patch);
    if (!next.ok) {
      this.toast(`Cannot ${what} that now: ${next.error.message}`);
      return false;
    }
    this.queued = mergePatch(this.queued, diff(this.settings, next.value));
    this.settings = next.value;
    this.lastCommitted = cloneSettings(this.settings);
    this.flush();
    this.render();
    return true;
  }

  private updateHistoryButtons(): void {
    byId<HTMLButtonElement>('undo').disabled = this.undoStack.length === 0 || this.readOnly;
    byId<HTMLButtonElement>('redo').disabled = this.redoStack.length === 0 || this.readOnly;
  }

  /** setPickedRange puts a pick into the highlighted range (or a new one): one undo step. Null when the colour method is not in use. */
  setPickedRange(lower: ColorRange['lower'], upper: ColorRange['upper']): string | null {
    if (!this.settings || this.readOnly || this.settings.method.kind !== 'colour') return null;
    return this.colourPanel().pick(lower, upper);
  }

  /** setCrosshair moves the crosshair the targets are measured from (fractions of the picture): one undo step. */
  setCrosshair(x: number, y: number): void {
    const r = (v: number): number => Math.round(Math.max(0, Math.min(1, v)) * 10000) / 10000;
    this.update({ targets: { crosshair: { x: r(x), y: r(y) } } }, true);
  }

  private panelFor(kind: MethodKind): MethodPanel {
    let p = this.panels.get(kind);
    if (!p) {
      const c = this.panelContext;
      p =
        kind === 'colour'
          ? new ColourPanel(c)
          : kind === 'threshold'
            ? new ThresholdPanel(c)
            : kind === 'edges'
              ? new EdgesPanel(c)
              : kind === 'clusters'
                ? new ClustersPanel(c)
                : new ModelPanel(c);
      this.panels.set(kind, p);
    }
    return p;
  }

  /** render puts the local settings into every control; the method's panel is swapped when the kind changes. */
  private render(): void {
    const s = this.settings;
    if (!s) return;
    const panel = this.panelFor(s.method.kind);
    if (panel !== this.panel) {
      this.panel = panel;
      byId('method-panel').replaceChildren(panel.element);
      byId('method-panel').dataset.kind = panel.kind;
    }
    panel.show(s.method);
    if (this.lastAnalysis) panel.analysis(this.lastAnalysis);
    this.targets.show(s);
    this.zones.show(s);
    this.transform.show(s);
    const v = (id: string, value: string | number | boolean): void => {
      const e = document.getElementById(id) as HTMLInputElement | HTMLSelectElement | null;
      if (!e || document.activeElement === e) return;
      if (e instanceof HTMLInputElement && e.type === 'checkbox') e.checked = Boolean(value);
      else e.value = String(value);
    };
    v('method', s.method.kind);
    v('quality', s.output.quality);
    v('quality-n', s.output.quality);
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
    this.applyDisabled();
  }

  /** applyDisabled turns every control off while nothing may be changed (those marked data-off stay off regardless). */
  private applyDisabled(): void {
    this.root.classList.toggle('read-only', this.readOnly);
    applyOff(this.root, this.readOnly);
    this.updateHistoryButtons();
  }

  /** wire connects the panel's fixed inputs (index.html) to updates. */
  wire(): void {
    const method = byId<HTMLSelectElement>('method');
    for (const o of method.options) o.hidden = !(METHOD_KINDS as readonly string[]).includes(o.value);
    const on = (id: string, ev: string, f: (e: HTMLInputElement) => void): void => {
      const e = byId<HTMLInputElement>(id);
      e.addEventListener(ev, () => f(e));
    };
    const num = (e: HTMLInputElement): number => Number(e.value);
    on('method', 'change', (e) => this.switchMethod(e.value as MethodKind));
    on('quality', 'input', (e) => this.update({ output: { quality: num(e) } }, false));
    on('quality', 'change', (e) => this.update({ output: { quality: num(e) } }, true));
    on('quality-n', 'change', (e) => this.update({ output: { quality: clampInt(num(e), 1, 100) } }, true));
    on('blur', 'change', (e) => this.update({ blur: ((v) => (v === 0 ? 0 : odd(v, LIMITS.kernelMax)))(clampInt(num(e), 0, LIMITS.kernelMax)) }, true));
    on('open', 'change', (e) => this.update({ open: clampInt(num(e), 0, LIMITS.kernelMax) }, true));
    on('close', 'change', (e) => this.update({ close: clampInt(num(e), 0, LIMITS.kernelMax) }, true));
    on('min-area', 'change', (e) => this.update({ minArea: clampInt(num(e), 0, LIMITS.minAreaMax) }, true));
    on('blobs', 'change', (e) => this.update({ blobs: e.checked }, true));
    on('motion-mode', 'change', (e) => this.update({ motion: { mode: e.value as MotionMode } }, true));
    on('motion-algorithm', 'change', (e) => this.update({ motion: { algorithm: e.value as MotionAlgorithm } }, true));
    on('motion-history', 'change', (e) => this.update({ motion: { history: clampInt(num(e), 1, LIMITS.historyMax) } }, true));
    on('motion-rate', 'change', (e) => this.update({ motion: { learningRate: Math.max(-1, Math.min(1, num(e))) } }, true));
    on('motion-shadows', 'change', (e) => this.update({ motion: { shadows: e.checked } }, true));
    byId('undo').addEventListener('click', () => this.undo());
    byId('redo').addEventListener('click', () => this.redo());
  }

  /** switchMethod changes the method's kind: the server fills in that kind's defaults; one undo step. */
  switchMethod(kind: MethodKind): void {
    if (!this.settings || this.settings.method.kind === kind) return;
    this.update({ method: { kind } }, true);
  }
}
