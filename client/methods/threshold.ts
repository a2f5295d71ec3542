/**
 * The threshold method's panel: the channel, the mode (a fixed level, Otsu's level chosen per
 * frame, or a level per neighbourhood: mean or Gaussian, block size, C), invert, and the
 * histogram of the channel with the level on it (the fixed value, or the level Otsu chose for
 * the newest frame) and the selected side tinted.
 */
import { ADAPTIVE_METHODS, CHANNELS, METHOD_LIMITS, THRESHOLD_MODES, type Method, type ThresholdMethod } from '../../shared/methods.js';
import type { Analysis } from '../../shared/protocol.js';
import { el } from '../dom.js';
import { Histogram } from './histogram.js';
import {
  CHANNEL_TITLES,
  checkField,
  clamp,
  clampInt,
  levelSlider,
  numberField,
  odd,
  pair,
  panelRoot,
  selectField,
  setValue,
  type MethodPanel,
  type PanelContext,
} from './panel.js';

const MODE_TITLES: Record<string, string> = { fixed: 'fixed level', otsu: 'Otsu (per frame)', adaptive: 'adaptive (per neighbourhood)' };

export class ThresholdPanel implements MethodPanel {
  readonly kind = 'threshold' as const;
  readonly element: HTMLElement;
  readonly histogram = new Histogram('threshold-histogram', 'the channel');
  private readonly channel: HTMLSelectElement;
  private readonly mode: HTMLSelectElement;
  private readonly value: ReturnType<typeof levelSlider>;
  private readonly adaptiveMethod: HTMLSelectElement;
  private readonly blockSize: HTMLInputElement;
  private readonly c: HTMLInputElement;
  private readonly invert: HTMLInputElement;
  private readonly adaptiveRows: HTMLElement[];
  private readonly level = el('span', { class: 'readout', id: 'threshold-level', 'aria-live': 'off' });
  private method: ThresholdMethod | null = null;

  constructor(ctx: PanelContext) {
    const send = (p: Omit<Partial<ThresholdMethod>, 'adaptive'> & { adaptive?: Partial<ThresholdMethod['adaptive']> }, commit = true): void =>
      ctx.update({ kind: 'threshold', ...p }, commit);
    const [channelL, channel] = selectField(
      'threshold-channel',
      'Channel',
      CHANNELS.map((c) => [c, CHANNEL_TITLES[c] ?? c] as const),
      (v) => send({ channel: v as ThresholdMethod['channel'] }),
    );
    const [modeL, mode] = selectField(
      'threshold-mode',
      'Mode',
      THRESHOLD_MODES.map((m) => [m, MODE_TITLES[m] ?? m] as const),
      (v) => send({ mode: v as ThresholdMethod['mode'] }),
    );
    const [amL, am] = selectField(
      'threshold-adaptive-method',
      'Neighbourhood',
      ADAPTIVE_METHODS.map((m) => [m, m === 'mean' ? 'mean' : 'Gaussian mean'] as const),
      (v) => send({ adaptive: { method: v as ThresholdMethod['adaptive']['method'] } }),
    );
    const [bsL, bs] = numberField(
      'threshold-block',
      'Block size px',
      { min: METHOD_LIMITS.blockSize[0], max: METHOD_LIMITS.blockSize[1], step: 2 },
      (v, e) => {
        const size = odd(clampInt(v, METHOD_LIMITS.blockSize[0], METHOD_LIMITS.blockSize[1]), METHOD_LIMITS.blockSize[1]);
        e.value = String(size);
        send({ adaptive: { blockSize: size } });
      },
      'The neighbourhood each pixel is compared with (odd)',
    );
    const [cL, c] = numberField(
      'threshold-c',
      'C',
      { min: METHOD_LIMITS.adaptiveC[0], max: METHOD_LIMITS.adaptiveC[1], step: 1 },
      (v) => send({ adaptive: { c: clamp(v, METHOD_LIMITS.adaptiveC[0], METHOD_LIMITS.adaptiveC[1]) } }),
      'Subtracted from the neighbourhood mean',
    );
    const [invL, inv] = checkField('threshold-invert', 'Invert', (v) => send({ invert: v }), 'Select the dark side: pixels at or below the level');
    this.channel = channel;
    this.mode = mode;
    this.adaptiveMethod = am;
    this.blockSize = bs;
    this.c = c;
    this.invert = inv;
    this.value = levelSlider('threshold-value', 'Level', 255, (v, done) => send({ value: Math.round(v) }, done));
    this.adaptiveRows = [pair(amL, am), pair(bsL, bs), pair(cL, c)];
    this.element = panelRoot(
      'threshold',
      'Threshold',
      el('div', { class: 'grid' }, pair(channelL, channel), pair(modeL, mode), ...this.adaptiveRows, pair(invL, inv)),
      this.value.element,
      this.histogram.element,
      el('p', { class: 'note' }, this.level),
    );
  }

  show(m: Method): void {
    if (m.kind !== 'threshold') return;
    this.method = m;
    setValue(this.channel, m.channel);
    setValue(this.mode, m.mode);
    this.value.set(m.value);
    this.value.element.hidden = m.mode !== 'fixed';
    for (const r of this.adaptiveRows) r.hidden = m.mode !== 'adaptive';
    setValue(this.adaptiveMethod, m.adaptive.method);
    setValue(this.blockSize, m.adaptive.blockSize);
    setValue(this.c, m.adaptive.c);
    setValue(this.invert, m.invert);
  }

  analysis(a: Analysis | undefined): void {
    const m = this.method;
    if (!m) return;
    const info = a?.method === 'threshold' ? a.info : undefined;
    const level = m.mode === 'fixed' ? m.value : m.mode === 'otsu' ? (info?.otsuLevel ?? null) : null;
    this.histogram.set(info?.histogram, level, m.invert ? 'below' : 'above', CHANNEL_TITLES[m.channel]);
    this.level.textContent =
      m.mode === 'fixed'
        ? `Pixels ${m.invert ? 'at or below' : 'above'} ${m.value} are selected.`
        : m.mode === 'otsu'
          ? `Otsu's level for this frame: ${info?.otsuLevel ?? '–'} (pixels ${m.invert ? 'at or below' : 'above'} it are selected).`
          : `Adaptive: each pixel against its ${m.adaptive.blockSize} px neighbourhood's ${m.adaptive.method === 'mean' ? '' : 'Gaussian '}mean minus ${m.adaptive.c}.`;
  }
}
