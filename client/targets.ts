/**
 * The targets section: which shapes of each region are its targets (the filters, the order,
 * how many) and the crosshair they are measured from (set by a click on the picture), and the
 * list of the newest frame's targets, per region, best first: area, share of the frame,
 * centroid, offset from the crosshair (-1..1 to the picture's edges) and the rotated box's angle.
 */
import type { Analysis } from '../shared/protocol.js';
import type { Settings } from '../shared/settings.js';
import { TARGET_LIMITS, TARGET_SORTS, type TargetFilters, type TargetSettings } from '../shared/targets.js';
import { el } from './dom.js';
import { clamp, clampInt, numberField, pair, selectField, setValue } from './methods/panel.js';
import type { SectionContext } from './section.js';

const SORT_TITLES: Record<string, string> = {
  largest: 'largest first',
  smallest: 'smallest first',
  highest: 'highest first (nearest the top)',
  lowest: 'lowest first',
  leftmost: 'leftmost first',
  rightmost: 'rightmost first',
  centermost: 'nearest the crosshair first',
};

/** LIST_EVERY_MS: the list is rewritten at most this often (a table that changes 30 times a second cannot be read). */
const LIST_EVERY_MS = 250;

const signed = (v: number): string => `${v > 0 ? '+' : v < 0 ? '−' : ''}${Math.abs(v).toFixed(2)}`;

export class TargetsSection {
  readonly element: HTMLElement;
  private readonly sort: HTMLSelectElement;
  private readonly max: HTMLInputElement;
  private readonly filters: Record<keyof TargetFilters, HTMLInputElement>;
  private readonly crosshair = el('span', { id: 'crosshair-at', class: 'readout' });
  readonly setCrosshair = el(
    'button',
    { type: 'button', id: 'set-crosshair', 'aria-pressed': 'false', title: 'Then click the picture (or Shift+click it at any time; key C)' },
    'Set crosshair',
  );
  private readonly list = el('div', { id: 'target-list', 'aria-live': 'off' });
  private listedAt = 0;

  constructor(
    private readonly ctx: SectionContext,
    onSetCrosshair: () => void,
  ) {
    const send = (p: Partial<Omit<TargetSettings, 'filters'>> & { filters?: Partial<TargetFilters> }): void => ctx.update({ targets: p }, true);
    const [sortL, sort] = selectField(
      'target-sort',
      'Order',
      TARGET_SORTS.map((s) => [s, SORT_TITLES[s] ?? s] as const),
      (v) => send({ sort: v as TargetSettings['sort'] }),
    );
    const [maxL, max] = numberField(
      'target-max',
      'At most',
      { min: TARGET_LIMITS.max[0], max: TARGET_LIMITS.max[1] },
      (v) => send({ max: clampInt(v, TARGET_LIMITS.max[0], TARGET_LIMITS.max[1]) }),
      'targets per region',
    );
    this.sort = sort;
    this.max = max;
    const A = TARGET_LIMITS.area;
    const R = TARGET_LIMITS.aspect;
    // a number, or (for the limits that may be off) empty = no limit
    const field = (
      key: keyof TargetFilters,
      label: string,
      min: number,
      top: number,
      step: number | 'any',
      nullable = false,
      title?: string,
    ): [HTMLLabelElement, HTMLInputElement] =>
      numberField(
        `target-${key}`,
        label,
        { min, max: top, step, placeholder: nullable ? 'no limit' : undefined },
        (v, e) => send({ filters: { [key]: nullable && e.value.trim() === '' ? null : clamp(v, min, top) } }),
        title,
      );
    const rows: [keyof TargetFilters, ReturnType<typeof field>][] = [
      ['minArea', field('minArea', 'Min area px', 0, A, 1)],
      ['maxArea', field('maxArea', 'Max area px', 0, A, 1, true)],
      ['minPercent', field('minPercent', 'Min % of frame', 0, 100, 'any')],
      ['maxPercent', field('maxPercent', 'Max % of frame', 0, 100, 'any')],
      ['minAspect', field('minAspect', 'Min aspect w/h', 0, R, 'any')],
      ['maxAspect', field('maxAspect', 'Max aspect w/h', 0, R, 'any', true)],
      ['minFullness', field('minFullness', 'Min fullness', 0, 1, 0.05, false, 'contour area / rotated box area: 1 for a rectangle, ~0.79 for a disc')],
      ['speckle', field('speckle', 'Speckle %', 0, 100, 'any', false, "drop shapes smaller than this % of the mean area of the region's shapes (0 = off)")],
    ];
    this.filters = Object.fromEntries(rows.map(([k, [, input]]) => [k, input])) as Record<keyof TargetFilters, HTMLInputElement>;
    this.setCrosshair.addEventListener('click', onSetCrosshair);
    const centre = el('button', { type: 'button', id: 'crosshair-centre', title: 'Put the crosshair back in the middle of the picture' }, 'Centre');
    centre.addEventListener('click', () => send({ crosshair: { x: 0.5, y: 0.5 } }));
    this.element = el(
      'div',
      {},
      el('div', { class: 'grid' }, pair(sortL, sort), pair(maxL, max)),
      el('div', { class: 'row crosshair-row', role: 'group', 'aria-label': 'crosshair' }, el('span', { class: 'label' }, 'Crosshair'), this.crosshair, this.setCrosshair, centre),
      el('details', { class: 'sub' }, el('summary', {}, 'Filters'), el('div', { class: 'grid' }, ...rows.map(([, [l, i]]) => pair(l, i)))),
      this.list,
    );
  }

  show(s: Settings): void {
    const t = s.targets;
    setValue(this.sort, t.sort);
    setValue(this.max, t.max);
    for (const [k, input] of Object.entries(this.filters) as [keyof TargetFilters, HTMLInputElement][]) setValue(input, t.filters[k] ?? '');
    this.crosshair.textContent = `${t.crosshair.x.toFixed(2)}, ${t.crosshair.y.toFixed(2)}`;
    this.crosshair.title = `x ${t.crosshair.x} and y ${t.crosshair.y} of the picture's width and height`;
  }

  /** crosshairMode shows whether the next click on the picture sets the crosshair. */
  crosshairMode(on: boolean): void {
    this.setCrosshair.setAttribute('aria-pressed', String(on));
    this.setCrosshair.textContent = on ? 'Click the picture… (Esc)' : 'Set crosshair';
  }

  analysis(a: Analysis | undefined, force = false): void {
    const now = performance.now();
    if (!force && now - this.listedAt < LIST_EVERY_MS) return;
    this.listedAt = now;
    if (!a) return void this.list.replaceChildren();
    if (!a.targets) return void this.list.replaceChildren(el('p', { class: 'note' }, this.ctx.settings().blobs ? 'No targets in this frame.' : 'Find blobs is off: no targets.'));
    const colour = new Map(a.ranges.map((r) => [r.name, r.color]));
    this.list.replaceChildren(
      ...a.targets.map((region) => {
        const dot = el('span', { class: 'dot', 'aria-hidden': 'true' });
        dot.style.background = colour.get(region.name) ?? '#fff';
        const head = el(
          'div',
          { class: 'head' },
          dot,
          el('strong', {}, region.name),
          el('span', { class: 'dim' }, ` ${region.targets.length} of ${region.found} shape${region.found === 1 ? '' : 's'}`),
        );
        if (!region.targets.length) return el('div', { class: 'region-targets', 'data-region': region.name }, head);
        const table = el(
          'table',
          {},
          el('thead', {}, el('tr', {}, ...['#', 'area px', '% frame', 'centroid', 'offset x, y', 'angle'].map((h) => el('th', { scope: 'col' }, h)))),
          el(
            'tbody',
            {},
            ...region.targets.map((t, i) =>
              el(
                'tr',
                { 'data-index': i, 'data-offset': `${t.offset.nx},${t.offset.ny}` },
                el('td', {}, String(i + 1)),
                el('td', {}, String(Math.round(t.area))),
                el('td', {}, t.percent.toFixed(2)),
                el('td', {}, `${Math.round(t.cx)}, ${Math.round(t.cy)}`),
                el('td', { title: `${signed(t.offset.x)} px, ${signed(t.offset.y)} px from the crosshair` }, `${signed(t.offset.nx)}, ${signed(t.offset.ny)}`),
                el(
                  'td',
                  {
                    title: `rotated box ${t.rotated.w.toFixed(0)} × ${t.rotated.h.toFixed(0)} px at ${t.rotated.angle.toFixed(1)}° (OpenCV); its long side at ${t.rotated.longAngle.toFixed(1)}°`,
                  },
                  `${t.rotated.angle.toFixed(1)}°`,
                ),
              ),
            ),
          ),
        );
        return el('div', { class: 'region-targets', 'data-region': region.name }, head, table);
      }),
    );
  }
}
