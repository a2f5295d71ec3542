/**
 * The model method's panel: the ONNX file (a menu of the server's models folder, or a name typed
 * in while the folder holds none, with the server's sentence when it cannot list it), its input
 * (size, mean in B, G, R order, scale, R/B swap), its classes (an editable list, in the order
 * of the model's output channels) with a checkbox per class making it foreground, how scores are
 * read (softmax or raw) and the threshold a pixel's best class must reach, the model's own rate
 * cap; and, from the newest frame, the model's inference rate and the age of the mask in use.
 */
import { METHOD_LIMITS, MODEL_SCORES, type Method, type ModelMethod } from '../../shared/methods.js';
import type { Analysis } from '../../shared/protocol.js';
import { el } from '../dom.js';
import { checkField, clamp, clampInt, levelSlider, numberField, pair, panelRoot, selectField, setValue, type MethodPanel, type PanelContext } from './panel.js';

/** STALE_MS: without a frame of this method for this long, the panel says the camera may not be able to run it. */
const STALE_MS = 3000;
/** MODELS_EVERY_MS: the models folder is listed again at most this often (when the panel shows, or the menu is opened). */
const MODELS_EVERY_MS = 5000;

export class ModelPanel implements MethodPanel {
  readonly kind = 'model' as const;
  readonly element: HTMLElement;
  private readonly file: HTMLInputElement;
  private readonly fileMenu = el('select', { id: 'model-file-menu', hidden: true });
  private readonly fileLabel = el('label', { for: 'model-file', title: 'An .onnx file in the server\u2019s models folder' }, 'File');
  private readonly filesNote = el('p', { id: 'model-files', class: 'note', hidden: true });
  private models: string[] = [];
  private modelsProblem: string | null = null;
  private modelsAt = 0;
  private modelsLoading = false;
  private readonly inW: HTMLInputElement;
  private readonly inH: HTMLInputElement;
  private readonly mean: HTMLInputElement[];
  private readonly scale: HTMLInputElement;
  private readonly swap: HTMLInputElement;
  private readonly scores: HTMLSelectElement;
  private readonly threshold: ReturnType<typeof levelSlider>;
  private readonly maxFps: HTMLInputElement;
  private readonly classList = el('div', { id: 'model-classes', class: 'class-list' });
  private readonly addClass: HTMLButtonElement;
  private readonly rate = el('p', { id: 'model-rate', class: 'note', 'aria-live': 'off' }, 'waiting for a frame…');
  private classKey = '';
  private rows: { name: HTMLInputElement; fg: HTMLInputElement; root: HTMLElement }[] = [];
  private shownAt = 0;
  private lastSeen = 0;

  constructor(private readonly ctx: PanelContext) {
    const L = METHOD_LIMITS;
    const send = (p: Omit<Partial<ModelMethod>, 'input' | 'kind'> & { input?: Partial<ModelMethod['input']> }): void => ctx.update({ kind: 'model', ...p }, true);
    this.file = el('input', { id: 'model-file', maxlength: L.modelFileLength, placeholder: 'model.onnx', spellcheck: 'false', autocomplete: 'off' });
    this.file.addEventListener('change', () => {
      const f = this.file.value.trim();
      if (f) send({ file: f });
    });
    this.fileMenu.addEventListener('change', () => this.fileMenu.value && send({ file: this.fileMenu.value }));
    this.fileMenu.addEventListener('focus', () => this.listModels(1000));
    const [wL, w] = numberField('model-width', 'Input width px', { min: L.modelSide[0], max: L.modelSide[1] }, (v) =>
      send({ input: { width: clampInt(v, L.modelSide[0], L.modelSide[1]) } }),
    );
    const [hL, h] = numberField('model-height', 'Input height px', { min: L.modelSide[0], max: L.modelSide[1] }, (v) =>
      send({ input: { height: clampInt(v, L.modelSide[0], L.modelSide[1]) } }),
    );
    this.inW = w;
    this.inH = h;
    this.mean = ['B', 'G', 'R'].map((c, i) => {
      const e = el('input', { id: `model-mean-${c.toLowerCase()}`, class: 'num', type: 'number', min: 0, max: 255, step: 'any', 'aria-label': `mean ${c}` });
      e.addEventListener('change', () => {
        const mean = [...this.current().mean] as ModelMethod['mean'];
        mean[i] = clamp(Number(e.value), 0, 255);
        send({ mean });
      });
      return e;
    });
    const [sL, s] = numberField(
      'model-scale',
      'Scale',
      { min: L.scale[0], max: L.scale[1], step: 'any' },
      (v) => send({ scale: clamp(v, L.scale[0], L.scale[1]) }),
      'input = (pixel − mean) × scale; 1/255 = 0.00392',
    );
    this.scale = s;
    const [swL, sw] = checkField('model-swaprb', 'Swap R, B', (v) => send({ swapRB: v }), 'For models trained on RGB pictures');
    this.swap = sw;
    const [scL, sc] = selectField(
      'model-scores',
      'Scores',
      MODEL_SCORES.map((x) => [x, x === 'softmax' ? 'softmax of logits' : 'raw probabilities'] as const),
      (v) => send({ scores: v as ModelMethod['scores'] }),
    );
    this.scores = sc;
    this.threshold = levelSlider('model-threshold', 'Threshold', 1, (v, done) => ctx.update({ kind: 'model', threshold: v }, done), 0, 0.01);
    const [fL, f] = numberField(
      'model-maxfps',
      'Max inferences/s',
      { min: L.maxFps[0], max: L.maxFps[1], step: 'any' },
      (v) => send({ maxFps: clamp(v, L.maxFps[0], L.maxFps[1]) }),
      'Frames in between reuse the newest mask',
    );
    this.maxFps = f;
    this.addClass = el('button', { type: 'button', id: 'model-add-class' }, '+ Add class');
    this.addClass.addEventListener('click', () => {
      const classes = this.current().classes;
      let n = classes.length;
      while (classes.includes(`class${n}`)) n++;
      send({ classes: [...classes, `class${n}`] });
    });
    this.element = panelRoot(
      'model',
      'Model',
      el(
        'div',
        { class: 'grid' },
        pair(this.fileLabel, el('div', { class: 'file-pick' }, this.fileMenu, this.file)),
        pair(wL, w),
        pair(hL, h),
        pair(el('label', { for: 'model-mean-b', title: 'Subtracted from each pixel, in B, G, R order' }, 'Mean B, G, R'), el('div', { class: 'triple' }, ...this.mean)),
        pair(sL, s),
        pair(swL, sw),
        pair(scL, sc),
        pair(fL, f),
      ),
      this.filesNote,
      this.threshold.element,
      el('h4', {}, 'Classes ', el('small', {}, '(in output order; ticked = foreground)')),
      this.classList,
      this.addClass,
      this.rate,
    );
    window.setInterval(() => this.tick(), 1000);
  }

  private current(): ModelMethod {
    const m = this.ctx.method();
    if (m.kind !== 'model') throw new Error('the model panel shows a model method only');
    return m;
  }

  show(m: Method): void {
    if (m.kind !== 'model') return;
    setValue(this.file, m.file);
    this.showModels(m.file);
    this.listModels(MODELS_EVERY_MS);
    setValue(this.inW, m.input.width);
    setValue(this.inH, m.input.height);
    m.mean.forEach((v, i) => {
      setValue(this.mean[i]!, v);
    });
    setValue(this.scale, m.scale);
    setValue(this.swap, m.swapRB);
    setValue(this.scores, m.scores);
    this.threshold.set(m.threshold);
    setValue(this.maxFps, m.maxFps);
    const key = m.classes.join('\u0000');
    if (key !== this.classKey) this.buildClasses(m);
    const full = m.foreground.length >= METHOD_LIMITS.maxRanges;
    this.rows.forEach((r, i) => {
      const name = m.classes[i]!;
      setValue(r.name, name);
      r.fg.checked = m.foreground.includes(name);
      r.fg.dataset.off = String(full && !r.fg.checked); // at most 8 foreground classes
      r.fg.disabled = this.ctx.readOnly || (full && !r.fg.checked);
    });
    this.addClass.dataset.off = String(m.classes.length >= METHOD_LIMITS.maxClasses);
    this.addClass.disabled = this.ctx.readOnly || m.classes.length >= METHOD_LIMITS.maxClasses;
  }

  /** listModels asks the server for the models folder's files, unless it did less than `everyMs` ago. */
  private listModels(everyMs: number): void {
    if (this.modelsLoading || (this.modelsAt && performance.now() - this.modelsAt < everyMs)) return;
    this.modelsLoading = true;
    this.ctx
      .models()
      .then(
        (r) => {
          this.models = r.models;
          this.modelsProblem = r.problem ?? null;
        },
        (e: unknown) => {
          this.models = [];
          this.modelsProblem = `The models folder cannot be listed: ${(e as Error).message}`;
        },
      )
      .finally(() => {
        this.modelsLoading = false;
        this.modelsAt = performance.now();
        const m = this.ctx.method();
        if (m.kind === 'model') this.showModels(m.file);
      });
  }

  /** showModels offers the folder's files in the menu (the file in use too, marked when it is not there), or the text field when there are none. */
  private showModels(file: string): void {
    const listed = this.models.length > 0;
    this.fileMenu.hidden = !listed;
    this.file.hidden = listed;
    this.fileLabel.htmlFor = listed ? 'model-file-menu' : 'model-file';
    if (listed) {
      const options: [string, string][] = this.models.map((n) => [n, n]);
      if (file && !this.models.includes(file)) options.unshift([file, `${file} (not in the folder)`]);
      const key = options.map(([v, t]) => `${v}\u0000${t}`).join('\u0001');
      if (this.fileMenu.dataset.key !== key) {
        this.fileMenu.replaceChildren(...options.map(([v, t]) => el('option', { value: v }, t)));
        this.fileMenu.dataset.key = key;
      }
      setValue(this.fileMenu, file);
    }
    const note =
      this.modelsProblem ??
      (listed
        ? this.models.includes(file)
          ? ''
          : `"${file}" is not in the models folder: choose one of its files.`
        : 'The models folder holds no .onnx file: put one there, or type a name.');
    this.filesNote.textContent = note;
    this.filesNote.hidden = !note;
    this.filesNote.classList.toggle('warn', Boolean(this.modelsProblem) || (listed && !this.models.includes(file)));
  }

  private buildClasses(m: ModelMethod): void {
    this.classKey = m.classes.join('\u0000');
    this.rows = m.classes.map((_, i) => {
      const name = el('input', { class: 'class-name', id: `model-class-${i}`, maxlength: METHOD_LIMITS.classNameLength, 'aria-label': `name of class ${i}` });
      const fg = el('input', { type: 'checkbox', id: `model-fg-${i}`, 'aria-label': `class ${i} is foreground` });
      const remove = el('button', { type: 'button', class: 'remove', 'aria-label': `remove class ${i}`, title: 'Remove this class' }, '✕');
      name.addEventListener('change', () => {
        const cur = this.current();
        const old = cur.classes[i]!;
        const to = name.value.trim();
        if (!to || to === old) {
          name.value = old;
          return;
        }
        this.ctx.update({ kind: 'model', classes: cur.classes.map((c, k) => (k === i ? to : c)), foreground: cur.foreground.map((f) => (f === old ? to : f)) }, true);
      });
      fg.addEventListener('change', () => {
        const cur = this.current();
        const c = cur.classes[i]!;
        const foreground = fg.checked ? cur.classes.filter((x) => x === c || cur.foreground.includes(x)) : cur.foreground.filter((x) => x !== c);
        this.ctx.update({ kind: 'model', foreground }, true);
      });
      remove.addEventListener('click', () => {
        const cur = this.current();
        if (cur.classes.length <= 1) return this.ctx.toast('A model has at least one class');
        const c = cur.classes[i]!;
        this.ctx.update({ kind: 'model', classes: cur.classes.filter((_, k) => k !== i), foreground: cur.foreground.filter((x) => x !== c) }, true);
      });
      return { name, fg, root: el('div', { class: 'class-row' }, el('span', { class: 'index' }, String(i)), fg, name, remove) };
    });
    this.classList.replaceChildren(...this.rows.map((r) => r.root));
    for (const r of this.classList.querySelectorAll<HTMLInputElement | HTMLButtonElement>('input, button')) r.disabled = this.ctx.readOnly;
  }

  analysis(a: Analysis | undefined): void {
    const now = performance.now();
    if (!this.visible(now)) return;
    const info = a?.method === 'model' ? a.info?.model : undefined;
    if (info) {
      this.lastSeen = now;
      this.rate.textContent =
        info.age < 0 ? 'Waiting for the first inference…' : `The model runs at ${info.fps.toFixed(1)} inferences/s; the mask in use is ${Math.round(info.age)} ms old.`;
    }
  }

  /** visible tells whether the panel is on the page, and notes since when. */
  private visible(now: number): boolean {
    if (!this.element.isConnected) {
      this.shownAt = this.lastSeen = 0;
      return false;
    }
    if (!this.shownAt) this.shownAt = now;
    return true;
  }

  /** tick says so when no frame of this method has come for a while (the camera may not be able to run the model). */
  private tick(): void {
    const now = performance.now();
    if (!this.visible(now) || this.ctx.method().kind !== 'model') return;
    const since = now - Math.max(this.lastSeen, this.shownAt);
    if (since > STALE_MS) {
      this.rate.textContent = `No frame with the model for ${Math.round(since / 1000)} s: the camera may not be able to load "${this.current().file}" (is it in the server's models folder?); the server's log says why.`;
      this.rate.classList.add('warn');
    } else this.rate.classList.remove('warn');
  }
}
