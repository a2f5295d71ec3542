/**
 * The cluster method's panel: k-means on a scaled-down copy (k, its width, attempts,
 * iterations, the space colour distances are measured in), and one row per cluster with its
 * colour and coverage in the newest frame and a checkbox that makes it foreground (part of the
 * mask). Cluster indices keep their colour from frame to frame, so a ticked cluster stays ticked.
 */
import { CLUSTER_SPACES, METHOD_LIMITS, type ClustersMethod, type Method } from '../../shared/methods.js';
import type { Analysis } from '../../shared/protocol.js';
import { el } from '../dom.js';
import { clampInt, numberField, pair, panelRoot, percent, selectField, setValue, type MethodPanel, type PanelContext } from './panel.js';

interface Row {
  root: HTMLElement;
  check: HTMLInputElement;
  swatch: HTMLElement;
  coverage: HTMLElement;
}

export class ClustersPanel implements MethodPanel {
  readonly kind = 'clusters' as const;
  readonly element: HTMLElement;
  private readonly k: HTMLInputElement;
  private readonly width: HTMLInputElement;
  private readonly attempts: HTMLInputElement;
  private readonly iterations: HTMLInputElement;
  private readonly space: HTMLSelectElement;
  private readonly list = el('div', { id: 'cluster-list', class: 'cluster-list' });
  private rows: Row[] = [];

  constructor(private readonly ctx: PanelContext) {
    const send = (p: Partial<Omit<ClustersMethod, 'kind'>>): void => ctx.update({ kind: 'clusters', ...p }, true);
    const L = METHOD_LIMITS;
    const [kL, k] = numberField('clusters-k', 'Clusters (k)', { min: L.k[0], max: L.k[1] }, (v) => {
      const n = clampInt(v, L.k[0], L.k[1]);
      // clusters that no longer exist cannot stay foreground
      send({ k: n, foreground: this.current().foreground.filter((i) => i < n) });
    });
    const [wL, w] = numberField(
      'clusters-width',
      'Width px',
      { min: L.clusterWidth[0], max: L.clusterWidth[1], step: 16 },
      (v) => send({ width: clampInt(v, L.clusterWidth[0], L.clusterWidth[1]) }),
      'k-means runs on a copy scaled down to this width',
    );
    const [aL, a] = numberField('clusters-attempts', 'Attempts', { min: L.attempts[0], max: L.attempts[1] }, (v) => send({ attempts: clampInt(v, L.attempts[0], L.attempts[1]) }));
    const [iL, i] = numberField('clusters-iterations', 'Iterations', { min: L.iterations[0], max: L.iterations[1] }, (v) =>
      send({ iterations: clampInt(v, L.iterations[0], L.iterations[1]) }),
    );
    const [sL, s] = selectField(
      'clusters-space',
      'Distances in',
      CLUSTER_SPACES.map((x) => [x, x === 'lab' ? 'Lab' : 'BGR'] as const),
      (v) => send({ space: v as ClustersMethod['space'] }),
    );
    this.k = k;
    this.width = w;
    this.attempts = a;
    this.iterations = i;
    this.space = s;
    this.element = panelRoot(
      'clusters',
      'Clusters',
      el('div', { class: 'grid' }, pair(kL, k), pair(wL, w), pair(aL, a), pair(iL, i), pair(sL, s)),
      el('p', { class: 'note' }, 'Tick the clusters that are foreground (the mask):'),
      this.list,
    );
  }

  private current(): ClustersMethod {
    const m = this.ctx.method();
    if (m.kind !== 'clusters') throw new Error('the cluster panel shows a cluster method only');
    return m;
  }

  show(m: Method): void {
    if (m.kind !== 'clusters') return;
    setValue(this.k, m.k);
    setValue(this.width, m.width);
    setValue(this.attempts, m.attempts);
    setValue(this.iterations, m.iterations);
    setValue(this.space, m.space);
    if (this.rows.length !== m.k) this.build(m.k);
    this.rows.forEach((r, i) => {
      r.check.checked = m.foreground.includes(i);
    });
  }

  private build(k: number): void {
    this.rows = Array.from({ length: k }, (_, i) => {
      const check = el('input', { type: 'checkbox', id: `cluster-fg-${i}`, 'data-index': i });
      const swatch = el('span', { class: 'swatch', 'aria-hidden': 'true' });
      const coverage = el('span', { class: 'coverage' }, '–');
      check.addEventListener('change', () => {
        const fg = new Set(this.current().foreground);
        if (check.checked) fg.add(i);
        else fg.delete(i);
        this.ctx.update({ kind: 'clusters', foreground: [...fg].sort((a, b) => a - b) }, true);
      });
      const root = el('div', { class: 'cluster', 'data-index': i }, check, el('label', { for: `cluster-fg-${i}` }, swatch, `cluster ${i}`), coverage);
      return { root, check, swatch, coverage };
    });
    this.list.replaceChildren(...this.rows.map((r) => r.root));
    for (const r of this.rows) r.check.disabled = this.ctx.readOnly;
  }

  analysis(a: Analysis | undefined): void {
    const clusters = a?.method === 'clusters' ? (a.info?.clusters ?? []) : [];
    this.rows.forEach((r, i) => {
      const c = clusters.find((x) => x.index === i);
      if (!c) {
        r.coverage.textContent = '–';
        r.swatch.style.background = 'transparent';
        r.root.title = '';
        return;
      }
      const [b, g, red] = c.bgr;
      r.swatch.style.background = `rgb(${red}, ${g}, ${b})`; // CSSOM, not a style attribute: allowed by the CSP
      r.coverage.textContent = percent(c.coverage);
      r.root.title = `cluster ${i}: BGR ${b},${g},${red}, ${c.coverage.toFixed(1)}% of the frame`;
      r.root.dataset.bgr = `${b},${g},${red}`;
    });
  }
}
