/**
 * The input transform section: what is done to every frame before anything looks at it —
 * flip, clockwise turn, a crop (fractions of the flipped and turned picture) and the width the
 * analysis runs at (a scaled-down copy; masks and targets are scaled back up).
 */
import type { Settings } from '../shared/settings.js';
import { FLIPS, ROTATIONS, TRANSFORM_LIMITS, type Crop, type Transform } from '../shared/transform.js';
import { el } from './dom.js';
import { checkField, clamp, clampInt, pair, selectField, setValue } from './methods/panel.js';
import type { SectionContext } from './section.js';

const FLIP_TITLES: Record<string, string> = { none: 'none', h: 'horizontal (mirror)', v: 'vertical (upside down)', both: 'both' };
const FULL: Crop = { x: 0, y: 0, w: 1, h: 1 };

export class TransformSection {
  readonly element: HTMLElement;
  private readonly flip: HTMLSelectElement;
  private readonly rotate: HTMLSelectElement;
  private readonly cropOn: HTMLInputElement;
  private readonly crop: Record<keyof Crop, HTMLInputElement>;
  private readonly cropRow: HTMLElement;
  private readonly widthOn: HTMLInputElement;
  private readonly width: HTMLInputElement;

  constructor(private readonly ctx: SectionContext) {
    const send = (p: Partial<Transform>): void => ctx.update({ transform: p }, true);
    const [flipL, flip] = selectField(
      'flip',
      'Flip',
      FLIPS.map((f) => [f, FLIP_TITLES[f] ?? f] as const),
      (v) => send({ flip: v as Transform['flip'] }),
    );
    const [rotL, rot] = selectField(
      'rotate',
      'Turn',
      ROTATIONS.map((r) => [String(r), r === 0 ? 'none' : `${r}° clockwise`] as const),
      (v) => send({ rotate: Number(v) as Transform['rotate'] }),
    );
    const [cropL, cropOn] = checkField(
      'crop-on',
      'Crop',
      (on) => send({ crop: on ? (this.current().crop ?? FULL) : null }),
      'Keep a box of the picture (fractions of its width and height)',
    );
    this.flip = flip;
    this.rotate = rot;
    this.cropOn = cropOn;
    this.crop = Object.fromEntries(
      (['x', 'y', 'w', 'h'] as const).map((k) => {
        const input = el('input', {
          id: `crop-${k}`,
          class: 'num',
          type: 'number',
          min: 0,
          max: 1,
          step: 0.01,
          'aria-label': `crop ${k === 'x' ? 'left' : k === 'y' ? 'top' : k === 'w' ? 'width' : 'height'}, fraction of the picture`,
        });
        input.addEventListener('change', () => {
          const c = { ...(this.current().crop ?? FULL) };
          c[k] = clamp(Number(input.value), 0, 1);
          // keep the box inside the picture: the edge being moved pushes the size
          if (c.x + c.w > 1) c.w = Math.max(0.01, 1 - c.x);
          if (c.y + c.h > 1) c.h = Math.max(0.01, 1 - c.y);
          if (c.x + c.w > 1) c.x = 1 - c.w;
          if (c.y + c.h > 1) c.y = 1 - c.h;
          const r = (v: number): number => Math.round(v * 10000) / 10000;
          send({ crop: { x: r(c.x), y: r(c.y), w: r(Math.max(0.01, c.w)), h: r(Math.max(0.01, c.h)) } });
        });
        return [k, input];
      }),
    ) as Record<keyof Crop, HTMLInputElement>;
    this.cropRow = el(
      'div',
      { class: 'crop', role: 'group', 'aria-label': 'crop box' },
      ...(['x', 'y', 'w', 'h'] as const).flatMap((k) => [el('label', { for: `crop-${k}` }, k), this.crop[k]]),
    );
    const [wL, wOn] = checkField(
      'analysis-width-on',
      'Analyse smaller',
      (on) => send({ analysisWidth: on ? Math.min(320, TRANSFORM_LIMITS.analysisWidth[1]) : null }),
      'Segment a copy scaled down to this width (faster; masks and targets are scaled back up)',
    );
    this.widthOn = wOn;
    this.width = el('input', {
      id: 'analysis-width',
      class: 'num',
      type: 'number',
      min: TRANSFORM_LIMITS.analysisWidth[0],
      max: TRANSFORM_LIMITS.analysisWidth[1],
      step: 16,
      'aria-label': 'analysis width px',
    });
    this.width.addEventListener('change', () => send({ analysisWidth: clampInt(Number(this.width.value), TRANSFORM_LIMITS.analysisWidth[0], TRANSFORM_LIMITS.analysisWidth[1]) }));
    this.element = el(
      'div',
      { class: 'grid' },
      pair(flipL, flip),
      pair(rotL, rot),
      pair(cropL, el('div', { class: 'row' }, cropOn, this.cropRow)),
      pair(wL, el('div', { class: 'row' }, wOn, this.width, el('span', { class: 'dim' }, 'px wide'))),
    );
  }

  private current(): Transform {
    return this.ctx.settings().transform;
  }

  show(s: Settings): void {
    const t = s.transform;
    setValue(this.flip, t.flip);
    setValue(this.rotate, String(t.rotate));
    setValue(this.cropOn, t.crop !== null);
    for (const k of ['x', 'y', 'w', 'h'] as const) {
      setValue(this.crop[k], (t.crop ?? FULL)[k]);
      this.crop[k].dataset.off = String(t.crop === null);
      this.crop[k].disabled = this.ctx.readOnly || t.crop === null;
    }
    setValue(this.widthOn, t.analysisWidth !== null);
    setValue(this.width, t.analysisWidth ?? '');
    this.width.dataset.off = String(t.analysisWidth === null);
    this.width.disabled = this.ctx.readOnly || t.analysisWidth === null;
  }
}
