/**
 * The colour method's panel: the space (HSV, BGR, Lab; switching converts every range to the
 * box in the new space that selects the same colours best, the conversion the server uses),
 * and one card per range, OR-ed together: name, overlay colour, remove, a two-handled slider
 * with numbers per channel (the hue track shows the hue circle; a wrapped hue range is drawn in
 * two dashed pieces), and what the range finds now (coverage and blobs). A pick fills the
 * highlighted card.
 */
import { convertRange } from '../../shared/convert.js';
import { COLOUR_SPACES, type ColourMethod, type Method } from '../../shared/methods.js';
import type { Analysis } from '../../shared/protocol.js';
import { CHANNEL_NAMES, LIMITS, RANGE_COLORS, channelMax, type ColorRange, type Space, type Triple } from '../../shared/settings.js';
import { el } from '../dom.js';
import { channelTrack, dualSlider, type DualSlider } from '../slider.js';
import { panelRoot, setValue, type MethodPanel, type PanelContext } from './panel.js';

const SPACE_TITLES: Record<Space, string> = { hsv: 'HSV', bgr: 'BGR', lab: 'Lab' };
/** NEW_RANGE is what "Add range" starts from (greens), converted to the method's space. */
const NEW_RANGE: Pick<ColorRange, 'lower' | 'upper'> = { lower: [35, 80, 60], upper: [85, 255, 255] };

export class ColourPanel implements MethodPanel {
  readonly kind = 'colour' as const;
  readonly element: HTMLElement;
  /** index of the range a pick fills */
  activeRange = 0;
  private readonly space: HTMLSelectElement;
  private readonly list: HTMLElement;
  private readonly add: HTMLButtonElement;
  private sliders: DualSlider[][] = [];
  private found: HTMLElement[] = [];
  private structureKey = '';

  constructor(private readonly ctx: PanelContext) {
    this.space = el('select', { id: 'space' }, ...COLOUR_SPACES.map((s) => el('option', { value: s }, SPACE_TITLES[s])));
    this.space.addEventListener('change', () => this.switchSpace(this.space.value as Space));
    this.list = el('div', { id: 'range-list' });
    this.add = el('button', { type: 'button', id: 'add-range' }, '+ Add range');
    this.add.addEventListener('click', () => this.addRange());
    this.element = panelRoot(
      'colour',
      'Ranges',
      el('p', { class: 'note' }, 'OR-ed together; click the picture (or drag a box) to pick a colour into the highlighted range.'),
      el('div', { class: 'row' }, el('label', { for: 'space' }, 'Space'), this.space),
      this.list,
      this.add,
    );
    this.element.addEventListener('focusin', (e) => {
      const card = (e.target as HTMLElement).closest<HTMLElement>('.range');
      if (card) this.setActive(Number(card.dataset.index));
    });
  }

  /** current is the method now in the local settings (always the colour one while this panel shows). */
  private current(): ColourMethod {
    const m = this.ctx.method();
    if (m.kind !== 'colour') throw new Error('the colour panel shows a colour method only');
    return m;
  }

  private ranges(): ColorRange[] {
    return this.current().ranges.map((r) => ({ ...(r as ColorRange), lower: [...r.lower] as Triple, upper: [...r.upper] as Triple }));
  }

  show(method: Method): void {
    if (method.kind !== 'colour') return;
    const key = `${method.space}|${method.ranges.map((r) => `${r.name}\u0000${r.color}`).join('\u0001')}`;
    if (key !== this.structureKey) this.build(method);
    setValue(this.space, method.space);
    method.ranges.forEach((r, i) => {
      this.sliders[i]?.forEach((sl, c) => {
        sl.set(r.lower[c]!, r.upper[c]!);
      });
    });
    const full = method.ranges.length >= LIMITS.maxRanges;
    this.add.dataset.off = String(full); // stays off whatever the access (see Controls.applyDisabled)
    this.add.disabled = this.ctx.readOnly || full;
  }

  analysis(a: Analysis | undefined): void {
    const ranges = this.ctx.method().kind === 'colour' ? this.current().ranges : [];
    this.found.forEach((span, i) => {
      const r = a?.method === 'colour' ? a.ranges[i] : undefined;
      span.textContent = r && r.name === ranges[i]?.name ? `${r.coverage.toFixed(1)}%${r.blobs !== undefined ? ` · ${r.blobs} blob${r.blobs === 1 ? '' : 's'}` : ''}` : '';
    });
  }

  /** pick puts a picked range into the highlighted card (or a new one): one undo step. Returns the range's name. */
  pick(lower: Triple, upper: Triple): string | null {
    const ranges = this.ranges();
    let i = Math.min(this.activeRange, ranges.length - 1);
    if (ranges.length === 0) {
      ranges.push({ name: 'picked', color: RANGE_COLORS[0], lower, upper });
      i = 0;
    } else ranges[i] = { ...ranges[i]!, lower, upper };
    this.activeRange = i;
    this.ctx.update({ kind: 'colour', ranges }, true);
    return ranges[i]!.name;
  }

  private setActive(i: number): void {
    this.activeRange = i;
    this.list.querySelectorAll('.range').forEach((e, k) => {
      e.classList.toggle('active', k === i);
    });
  }

  private build(m: ColourMethod): void {
    this.structureKey = `${m.space}|${m.ranges.map((r) => `${r.name}\u0000${r.color}`).join('\u0001')}`;
    this.sliders = [];
    this.found = [];
    const space = m.space;
    this.list.replaceChildren(
      ...m.ranges.map((r, i) => {
        const range = r as ColorRange;
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
          const ranges = this.ranges().filter((_, k) => k !== i);
          this.activeRange = Math.max(0, Math.min(this.activeRange, ranges.length - 1));
          this.ctx.update({ kind: 'colour', ranges }, true);
        });
        const row: DualSlider[] = [];
        const card = el('fieldset', { class: 'range', 'data-index': i }, el('legend', {}, colorIn, nameIn, found, remove));
        for (let c = 0; c < 3; c++) {
          const slider = dualSlider({
            label: CHANNEL_NAMES[space][c]!,
            ariaLabel: `${range.name}, ${CHANNEL_NAMES[space][c]}`,
            max: channelMax(space, c),
            wraps: space === 'hsv' && c === 0,
            track: channelTrack(space, c),
            onInput: (lo, hi, done) => {
              const ranges = this.ranges();
              if (!ranges[i]) return;
              ranges[i]!.lower[c] = lo;
              ranges[i]!.upper[c] = hi;
              this.ctx.update({ kind: 'colour', ranges }, done);
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
    this.setActive(Math.min(this.activeRange, Math.max(0, m.ranges.length - 1)));
  }

  private editRange(i: number, patch: Partial<ColorRange>): void {
    const ranges = this.ranges().map((r, k) => (k === i ? { ...r, ...patch } : r));
    this.ctx.update({ kind: 'colour', ranges }, true);
  }

  private addRange(): void {
    const m = this.current();
    if (m.ranges.length >= LIMITS.maxRanges) return;
    const i = m.ranges.length;
    const taken = new Set(m.ranges.map((r) => r.name));
    let n = i + 1;
    while (taken.has(`range${n}`)) n++;
    const bounds = convertRange({ name: '', color: '', ...NEW_RANGE }, 'hsv', m.space);
    this.activeRange = i;
    this.ctx.update(
      { kind: 'colour', ranges: [...this.ranges(), { name: `range${n}`, color: RANGE_COLORS[i % RANGE_COLORS.length]!, lower: bounds.lower, upper: bounds.upper }] },
      true,
    );
  }

  /** switchSpace converts every range to the other space (the conversion the server uses) rather than resetting them: one undo step. */
  private switchSpace(space: Space): void {
    const m = this.current();
    if (m.space === space) return;
    const ranges = this.ranges().map((r) => convertRange(r, m.space, space));
    this.ctx.update({ kind: 'colour', space, ranges }, true);
  }
}
