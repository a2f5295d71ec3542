/**
 * The edge method's panel: Canny on one channel, its hysteresis levels (low and high, gradient
 * magnitude; moving one past the other pushes it along), the Sobel aperture (3, 5 or 7 px), the
 * L2 norm, and "fill" (the mask is the filled outer contours the edges close, rather than the
 * edges); below, the histogram of the channel the edges are found in.
 */
import { CANNY_APERTURES, CHANNELS, METHOD_LIMITS, type EdgesMethod, type Method } from '../../shared/methods.js';
import type { Analysis } from '../../shared/protocol.js';
import { el } from '../dom.js';
import { Histogram } from './histogram.js';
import { CHANNEL_TITLES, checkField, levelSlider, pair, panelRoot, selectField, setValue, type MethodPanel, type PanelContext } from './panel.js';

export class EdgesPanel implements MethodPanel {
  readonly kind = 'edges' as const;
  readonly element: HTMLElement;
  readonly histogram = new Histogram('edges-histogram', 'the channel');
  private readonly channel: HTMLSelectElement;
  private readonly aperture: HTMLSelectElement;
  private readonly l2: HTMLInputElement;
  private readonly fill: HTMLInputElement;
  private readonly low: ReturnType<typeof levelSlider>;
  private readonly high: ReturnType<typeof levelSlider>;
  private method: EdgesMethod | null = null;

  constructor(private readonly ctx: PanelContext) {
    const send = (p: Partial<Omit<EdgesMethod, 'kind'>>, commit = true): void => ctx.update({ kind: 'edges', ...p }, commit);
    const [channelL, channel] = selectField(
      'edges-channel',
      'Channel',
      CHANNELS.map((c) => [c, CHANNEL_TITLES[c] ?? c] as const),
      (v) => send({ channel: v as EdgesMethod['channel'] }),
    );
    const [apL, ap] = selectField(
      'edges-aperture',
      'Aperture px',
      CANNY_APERTURES.map((a) => [String(a), String(a)] as const),
      (v) => send({ aperture: Number(v) as EdgesMethod['aperture'] }),
      'Sobel kernel size',
    );
    const [l2L, l2] = checkField('edges-l2', 'L2 gradient norm', (v) => send({ l2: v }), 'More exact gradient magnitude (slower)');
    const [fillL, fill] = checkField(
      'edges-fill',
      'Fill closed shapes',
      (v) => send({ fill: v }),
      'The mask is the filled outer contours the edges close, not the edges themselves',
    );
    this.channel = channel;
    this.aperture = ap;
    this.l2 = l2;
    this.fill = fill;
    const max = METHOD_LIMITS.canny[1];
    // the low level may not pass the high one: the handle being moved pushes the other
    this.low = levelSlider('edges-low', 'Low', max, (v, done) => send({ low: v, ...(this.method && v > this.current().high ? { high: v } : {}) }, done));
    this.high = levelSlider('edges-high', 'High', max, (v, done) => send({ high: v, ...(this.method && v < this.current().low ? { low: v } : {}) }, done));
    this.element = panelRoot(
      'edges',
      'Edges',
      el('div', { class: 'grid' }, pair(channelL, channel), pair(apL, ap), pair(l2L, l2), pair(fillL, fill)),
      this.low.element,
      this.high.element,
      this.histogram.element,
      el('p', { class: 'note' }, 'Histogram of the channel. Low and high are levels of its gradient: edges above high are kept, and those above low that touch them.'),
    );
  }

  private current(): EdgesMethod {
    const m = this.ctx.method();
    return m.kind === 'edges' ? m : this.method!;
  }

  show(m: Method): void {
    if (m.kind !== 'edges') return;
    this.method = m;
    setValue(this.channel, m.channel);
    setValue(this.aperture, String(m.aperture));
    setValue(this.l2, m.l2);
    setValue(this.fill, m.fill);
    this.low.set(m.low);
    this.high.set(m.high);
  }

  analysis(a: Analysis | undefined): void {
    if (!this.method) return;
    this.histogram.set(a?.method === 'edges' ? a.info?.histogram : undefined, null, null, CHANNEL_TITLES[this.method.channel]);
  }
}
