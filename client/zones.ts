/**
 * The zones section: the camera's named polygons (an include zone is reported on by itself, an
 * exclude zone is cut out of every region's mask), each with its name, kind and a delete
 * button, and each include zone's coverage per region in the newest frame. New zones are drawn
 * on the picture (see picture.ts); this section names them and sends the list.
 */
import type { Analysis } from '../shared/protocol.js';
import type { Settings } from '../shared/settings.js';
import { ZONE_KINDS, ZONE_LIMITS, type Zone } from '../shared/zones.js';
import { el } from './dom.js';
import { setValue } from './methods/panel.js';
import type { SectionContext } from './section.js';

export class ZonesSection {
  readonly element: HTMLElement;
  readonly draw = el(
    'button',
    { type: 'button', id: 'draw-zone', 'aria-pressed': 'false', title: 'Click the points on the picture; Enter or a double-click closes the zone, Esc cancels (key Z)' },
    '+ Draw zone',
  );
  private readonly list = el('div', { id: 'zone-list' });
  private readonly hint = el('p', { class: 'note', id: 'zone-hint' });
  private key = '';
  private rows: { name: HTMLInputElement; kind: HTMLSelectElement; coverage: HTMLElement }[] = [];

  constructor(
    private readonly ctx: SectionContext,
    onDraw: () => void,
  ) {
    this.draw.addEventListener('click', onDraw);
    this.element = el('div', {}, this.list, el('div', { class: 'row' }, this.draw), this.hint);
    this.drawing(false);
  }

  private zones(): Zone[] {
    return this.ctx.settings().zones.map((z) => ({ ...z, points: z.points.map((p) => [...p] as [number, number]) }));
  }

  show(s: Settings): void {
    const key = s.zones.map((z) => z.name).join('\u0000');
    if (key !== this.key) this.build(s.zones);
    s.zones.forEach((z, i) => {
      const r = this.rows[i];
      if (!r) return;
      setValue(r.name, z.name);
      setValue(r.kind, z.kind);
      r.name.closest('.zone')!.setAttribute('data-kind', z.kind);
    });
    const full = s.zones.length >= ZONE_LIMITS.zones;
    this.draw.dataset.off = String(full);
    this.draw.disabled = this.ctx.readOnly || full;
  }

  /** drawing shows whether a zone is being drawn on the picture. */
  drawing(on: boolean, points = 0): void {
    this.draw.setAttribute('aria-pressed', String(on));
    this.draw.textContent = on ? 'Cancel drawing (Esc)' : '+ Draw zone';
    this.hint.textContent = on
      ? `Click the zone's points on the picture (${points} so far); Enter or a double-click closes it, Esc cancels.`
      : this.ctx.settings()?.zones.length
        ? 'Include zones are reported on by themselves; exclude zones are cut out of the mask.'
        : 'No zones: the whole picture is analysed.';
  }

  /** add makes a new include zone of a drawn polygon (fractions of the picture): one undo step. */
  add(points: [number, number][]): void {
    const zones = this.zones();
    if (zones.length >= ZONE_LIMITS.zones) {
      this.ctx.toast(`At most ${ZONE_LIMITS.zones} zones`);
      return;
    }
    const taken = new Set(zones.map((z) => z.name));
    let n = zones.length + 1;
    while (taken.has(`zone${n}`)) n++;
    const round = (v: number): number => Math.round(Math.max(0, Math.min(1, v)) * 10000) / 10000;
    this.ctx.update({ zones: [...zones, { name: `zone${n}`, kind: 'include', points: points.map(([x, y]) => [round(x), round(y)] as [number, number]) }] }, true);
  }

  private build(zones: readonly Zone[]): void {
    this.key = zones.map((z) => z.name).join('\u0000');
    this.rows = [];
    this.list.replaceChildren(
      ...zones.map((z, i) => {
        const name = el('input', { class: 'zone-name', 'aria-label': `name of zone ${i + 1}`, maxlength: ZONE_LIMITS.nameLength, value: z.name });
        const kind = el('select', { 'aria-label': `kind of zone ${z.name}` }, ...ZONE_KINDS.map((k) => el('option', { value: k }, k)));
        kind.value = z.kind;
        const remove = el('button', { type: 'button', class: 'remove', 'aria-label': `delete zone ${z.name}`, title: 'Delete this zone' }, '✕');
        const coverage = el('div', { class: 'coverage', 'aria-live': 'off' });
        name.addEventListener('change', () => {
          const to = name.value.trim();
          if (!to) return void (name.value = z.name);
          this.ctx.update({ zones: this.zones().map((x, k) => (k === i ? { ...x, name: to } : x)) }, true);
        });
        kind.addEventListener('change', () => this.ctx.update({ zones: this.zones().map((x, k) => (k === i ? { ...x, kind: kind.value as Zone['kind'] } : x)) }, true));
        remove.addEventListener('click', () => this.ctx.update({ zones: this.zones().filter((_, k) => k !== i) }, true));
        this.rows.push({ name, kind, coverage });
        return el('div', { class: 'zone', 'data-index': i, 'data-kind': z.kind }, el('div', { class: 'row' }, name, kind, remove), coverage);
      }),
    );
    for (const e of this.list.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLButtonElement>('input, select, button')) e.disabled = this.ctx.readOnly;
  }

  analysis(a: Analysis | undefined): void {
    const zones = this.ctx.settings().zones;
    this.rows.forEach((r, i) => {
      const z = zones[i];
      if (!z) return;
      if (z.kind === 'exclude') {
        r.coverage.textContent = 'cut out of the mask';
        return;
      }
      const report = a?.zones?.find((x) => x.name === z.name);
      r.coverage.textContent = report
        ? `${report.area.toFixed(1)}% of the frame · ${report.regions.map((g) => `${g.name} ${g.coverage.toFixed(1)}%${g.targets.length ? ` (${g.targets.length} target${g.targets.length === 1 ? '' : 's'})` : ''}`).join(' · ') || 'no regions'}`
        : '–';
    });
  }
}
