/**
 * The rules section: the camera's rules, each with its live state (on or off and since when,
 * the measured value against its threshold, a pending hold counting down) from the status
 * messages (they come on every change and every 2 s), a switch, and edit and delete buttons; a
 * form that adds or edits a rule and puts the whole list back (the server checks it, and its
 * sentence is shown when it refuses); and the newest changes, each with the picture of its
 * moment, fetched again whenever a status message shows a state change.
 */
import { MAX_RULES, RULE_METRICS, RULE_OPS, type Rule, type RuleMetric, type RuleOp, type RuleState } from '../shared/rules.js';
import type { EventsReport, RulesReport } from '../shared/outputs.js';
import { applyOff, el } from './dom.js';
import { clock, duration, num } from './format.js';
import { numberField, pair, selectField } from './methods/panel.js';
import type { OutputsContext } from './section.js';

/** EVENTS_SHOWN: the newest changes listed. */
const EVENTS_SHOWN = 6;
/** TICK_MS: the countdowns and "for how long" are rewritten this often. */
const TICK_MS = 250;
/** REFRESH_MS: the rules and changes are fetched at most this often (a rule without a hold may change with every frame). */
const REFRESH_MS = 500;

const OP_TITLES: Record<RuleOp, string> = { above: 'above', below: 'below', at_least: 'at least', present: 'present (more than 0)', absent: 'absent (0)' };
const OP_SIGNS: Record<RuleOp, string> = { above: '>', below: '<', at_least: '≥', present: '> 0', absent: '= 0' };
const METRIC_TITLES: Record<RuleMetric, string> = { coverage: 'coverage %', count: 'count' };
const REASONS: Record<string, string> = {
  condition: '',
  unmeasurable: 'not measured',
  disabled: 'switched off',
  changed: 'the rule was changed',
  removed: 'the rule was removed',
  stale: 'no analysis (is the source down?)',
};

const needsValue = (op: RuleOp): boolean => op === 'above' || op === 'below' || op === 'at_least';
/** NBSP keeps a number with its unit on one line. */
const NBSP = '\u00a0';
const unit = (m: RuleMetric | undefined): string => (m === 'coverage' ? `${NBSP}%` : '');
const message = (e: unknown): string => (e as Error).message ?? String(e);

/** holds says whether a rule's condition holds for a value, as the server decides it: while on, the band moves the threshold towards off. */
function holds(r: Rule, on: boolean, v: number): boolean {
  const h = on ? r.hysteresis : 0;
  switch (r.op) {
    case 'above':
      return v > r.value - h;
    case 'at_least':
      return v >= r.value - h;
    case 'below':
      return v < r.value + h;
    case 'present':
      return v > 0;
    case 'absent':
      return v <= 0;
  }
}

/** subjectText names what a rule measures: "red in zone door", "the whole mask". */
function subjectText(r: Rule): string {
  const region = r.subject.range ?? r.subject.class;
  if (region !== undefined && r.subject.zone !== undefined) return `${region} in zone ${r.subject.zone}`;
  if (region !== undefined) return region;
  if (r.subject.zone !== undefined) return `zone ${r.subject.zone}`;
  return 'the whole mask';
}

/** conditionText is a rule's threshold, or the threshold it must cross back while on: "> 10 %". */
function conditionText(r: Rule, on = false): string {
  if (!needsValue(r.op)) return OP_SIGNS[r.op];
  const v = on ? (r.op === 'below' ? r.value + r.hysteresis : r.value - r.hysteresis) : r.value;
  return `${OP_SIGNS[r.op]} ${num(v)}${unit(r.metric)}`;
}

function definitionText(r: Rule): string {
  const parts = [`${subjectText(r)}: ${needsValue(r.op) ? `${r.metric} ${conditionText(r)}` : `${r.op} (${r.metric} ${OP_SIGNS[r.op]})`}`];
  if (r.hold || r.release) parts.push(`hold ${r.hold}${NBSP}s`, `release ${r.release}${NBSP}s`);
  if (r.hysteresis) parts.push(`band ${num(r.hysteresis)}${unit(r.metric)}`);
  return parts.join(' · ');
}

interface Row {
  rule: Rule;
  root: HTMLElement;
  toggle: HTMLInputElement;
  badge: HTMLElement;
  value: HTMLElement;
  state: HTMLElement;
}

export class RulesSection {
  readonly element: HTMLElement;
  private readonly list = el('div', { id: 'rule-list' });
  private readonly empty = el(
    'p',
    { class: 'note', id: 'rule-empty' },
    'No rules. A rule turns on while something holds for long enough (red covers more than 2 % for a second); MQTT, webhooks and recordings follow it.',
  );
  private readonly add = el('button', { type: 'button', id: 'rule-add' }, '+ Add rule');
  private readonly events = el('ol', { id: 'event-list', class: 'event-list', 'aria-live': 'off' });
  private readonly noEvents = el('p', { class: 'note', id: 'event-empty' }, 'No changes yet.');
  private readonly form: RuleForm;
  private rules: Rule[] = [];
  private states = new Map<string, RuleState>();
  private rows: Row[] = [];
  private key = '';
  private signature = '';
  private loaded = false;
  private refreshing: Promise<void> | null = null;
  private again = false;
  private fetchedAt = -Infinity;
  private eventItems = new Map<string, HTMLElement>();

  constructor(private readonly ctx: OutputsContext) {
    this.form = new RuleForm(ctx, (rule, was) => this.save(rule, was));
    this.add.addEventListener('click', () => this.form.open(null, this.rules));
    this.element = el('div', {}, this.list, this.empty, el('div', { class: 'row' }, this.add), this.form.element, el('h4', {}, 'Newest changes'), this.events, this.noEvents);
    window.setInterval(() => this.renderLive(), TICK_MS);
  }

  /** refresh fetches the rules, their states and the newest changes (at hello, and when the status shows a change). */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        const wait = this.fetchedAt + REFRESH_MS - performance.now();
        if (wait > 0) await new Promise((r) => window.setTimeout(r, wait));
        this.again = false; // what asked during the wait is answered by this fetch
        this.fetchedAt = performance.now();
        try {
          const [report, events] = await Promise.all([this.ctx.api.get<RulesReport>('/api/rules'), this.ctx.api.get<EventsReport>(`/api/events?limit=${EVENTS_SHOWN}`)]);
          this.apply(report);
          this.showEvents(events);
        } catch (e) {
          this.ctx.toast(`Rules: ${message(e)}`);
        }
      } while (this.again);
      this.refreshing = null;
    })();
    return this.refreshing;
  }

  /** status takes the rules' states and revision from a status message (none: the camera has no rules). */
  status(states: RuleState[] = [], revision = 0): void {
    this.states = new Map(states.map((s) => [s.name, s]));
    const signature = this.signatureOf(states, revision);
    const changed = signature !== this.signature;
    this.signature = signature;
    // a rule added, removed, changed or switched elsewhere, or a state changed: the definitions and the changes may be new too
    if (this.loaded && changed) void this.refresh();
    this.renderLive();
  }

  /** signatureOf: what changes when a rule is added, removed, redefined (the revision) or switched, or a state changes */
  private signatureOf(states: RuleState[], revision: number): string {
    return `${revision}\n${states.map((s) => `${s.name} ${s.state} ${s.since} ${s.enabled}`).join('\n')}`;
  }

  /** apply shows a rules report (from GET, PUT or PATCH). */
  private apply(report: RulesReport): void {
    this.loaded = true;
    this.rules = report.rules;
    this.states = new Map(report.states.map((s) => [s.name, s]));
    this.signature = this.signatureOf(report.states, report.revision);
    const key = JSON.stringify(report.rules);
    if (key !== this.key) this.build();
    this.renderLive();
  }

  private build(): void {
    this.key = JSON.stringify(this.rules);
    this.rows = this.rules.map((rule) => {
      const name = rule.name;
      const toggle = el('input', {
        type: 'checkbox',
        class: 'rule-switch',
        'aria-label': `rule ${name} is switched on`,
        title: 'Switched off, a rule is off and is not evaluated',
      });
      const badge = el('span', { class: 'badge rule-state' });
      const edit = el('button', { type: 'button', class: 'rule-edit', 'aria-label': `edit rule ${name}` }, 'Edit');
      const remove = el('button', { type: 'button', class: 'remove rule-delete', 'aria-label': `delete rule ${name}`, title: 'Delete this rule' }, '✕');
      const value = el('div', { class: 'rule-value readout' });
      const state = el('div', { class: 'rule-since note' });
      toggle.addEventListener('change', () => void this.switchRule(name, toggle));
      edit.addEventListener('click', () => this.form.open(this.rules.find((r) => r.name === name) ?? null, this.rules));
      remove.addEventListener('click', () => {
        if (!window.confirm(`Delete the rule "${name}"? This cannot be undone.`)) return;
        void this.put((rules) => rules.filter((r) => r.name !== name), `Rule "${name}" deleted`).then((ok) => ok && this.form.closeIf(name));
      });
      const root = el(
        'div',
        { class: 'rule', 'data-name': name },
        el('div', { class: 'row rule-head' }, toggle, el('span', { class: 'rule-name' }, name), badge, edit, remove),
        el('div', { class: 'rule-def note' }, definitionText(rule)),
        value,
        state,
      );
      return { rule, root, toggle, badge, value, state };
    });
    this.list.replaceChildren(...this.rows.map((r) => r.root));
    this.empty.hidden = this.rules.length > 0;
    this.add.dataset.off = String(this.rules.length >= MAX_RULES);
    applyOff(this.element, this.ctx.readOnly);
  }

  /** renderLive writes each rule's state, value and countdown (on every status, and every TICK_MS). */
  private renderLive(): void {
    const now = this.ctx.serverNow();
    for (const row of this.rows) {
      const r = row.rule;
      const s = this.states.get(r.name);
      const on = s?.state === 'on';
      const enabled = s?.enabled ?? r.enabled;
      row.root.dataset.state = on ? 'on' : 'off';
      row.root.dataset.enabled = String(enabled);
      row.badge.textContent = !enabled ? 'SWITCHED OFF' : on ? 'ON' : 'OFF';
      if (document.activeElement !== row.toggle) row.toggle.checked = enabled;
      if (!s || s.value === null) {
        row.value.textContent = enabled ? 'not measured: no such region or zone in the analysis (or no count: blob finding is off)' : '–';
        row.value.classList.toggle('warn', enabled && s !== undefined);
      } else {
        const ok = holds(r, on, s.value);
        row.value.textContent = `${num(s.value)}${unit(r.metric)} · ${on && r.hysteresis ? 'stays on while' : 'needs'} ${conditionText(r, on)} ${ok ? '✓' : '✗'}`;
        row.value.classList.remove('warn');
      }
      const parts: string[] = [];
      if (!enabled) parts.push('not evaluated while switched off');
      else if (!s || s.since === null) parts.push(`${on ? 'on' : 'off'}, no change yet`);
      else parts.push(`${on ? 'on' : 'off'} since ${clock(s.since)} (${duration(now - s.since)})`);
      if (enabled && s?.pending) {
        const holdS = s.pending.state === 'on' ? r.hold : r.release;
        const left = s.pending.since + holdS * 1000 - now;
        parts.push(left > 0 ? `turns ${s.pending.state} in ${duration(left)} if it holds` : `turning ${s.pending.state}…`);
      }
      row.state.textContent = parts.join(' · ');
      row.state.classList.toggle('pending', Boolean(enabled && s?.pending));
    }
  }

  private async switchRule(name: string, toggle: HTMLInputElement): Promise<void> {
    const enabled = toggle.checked;
    try {
      this.apply(await this.ctx.api.send<RulesReport>('PATCH', `/api/rules/${encodeURIComponent(name)}`, { enabled }));
      this.ctx.toast(`Rule "${name}" switched ${enabled ? 'on' : 'off'}`);
    } catch (e) {
      toggle.checked = !enabled;
      this.ctx.toast(`Rule ${name}: ${message(e)}`);
    }
  }

  /** save puts a rule from the form: in the place of the one it edits (`was`), else at the end. */
  private save(rule: Record<string, unknown>, was: string | null): Promise<boolean> {
    return this.put(
      (rules) => {
        const i = was === null ? -1 : rules.findIndex((r) => r.name === was);
        return i < 0 ? [...rules, rule] : rules.map((r, k) => (k === i ? rule : r));
      },
      `Rule "${String(rule.name)}" saved`,
    );
  }

  /**
   * put changes the whole list: the camera's rules as they are now (another viewer may have
   * changed them), edited, and put back. False, with the server's sentence shown, when refused.
   */
  private async put(edit: (rules: Rule[]) => unknown[], done: string): Promise<boolean> {
    try {
      const now = await this.ctx.api.get<RulesReport>('/api/rules');
      this.apply(await this.ctx.api.send<RulesReport>('PUT', '/api/rules', { rules: edit(now.rules) }));
      this.ctx.toast(done);
      void this.refresh(); // the changes it caused (a changed or removed rule that was on turns off)
      return true;
    } catch (e) {
      this.ctx.toast(`Rules: ${message(e)}`);
      return false;
    }
  }

  private showEvents(r: EventsReport): void {
    const items = new Map<string, HTMLElement>();
    for (const e of r.events) {
      const key = `${e.rule}/${e.time}/${e.state}`;
      items.set(key, this.eventItems.get(key) ?? this.eventItem(e));
    }
    this.eventItems = items;
    this.events.replaceChildren(...items.values());
    this.noEvents.hidden = items.size > 0;
  }

  private eventItem(e: EventsReport['events'][number]): HTMLElement {
    const rule = this.rules.find((x) => x.name === e.rule);
    let thumb: HTMLElement = el('span', { class: 'thumb none', title: 'No frame caused this change' }, '–');
    if (e.picture) {
      const url = this.ctx.api.url(`/api/events/${encodeURIComponent(e.rule)}/${e.time}.jpg`);
      const img = el('img', { class: 'thumb', src: url, alt: `the picture when ${e.rule} turned ${e.state}`, width: 80, height: 60, loading: 'lazy' });
      thumb = el('a', { href: url, target: '_blank', rel: 'noopener', title: 'Open the picture' }, img);
      img.addEventListener('error', () =>
        thumb.replaceWith(el('span', { class: 'thumb none', title: 'Only the pictures of the newest changes are kept, while the server runs' }, 'no picture')),
      );
    }
    const detail = [e.value === null ? 'not measured' : `${num(e.value)}${unit(rule?.metric)}`, REASONS[e.reason] ?? e.reason].filter(Boolean).join(' · ');
    return el(
      'li',
      { class: 'event', 'data-rule': e.rule, 'data-state': e.state, 'data-time': e.time },
      thumb,
      el(
        'div',
        {},
        el(
          'div',
          {},
          el('span', { class: 'readout' }, clock(e.time)),
          ' ',
          el('span', { class: 'rule-name' }, e.rule),
          ' → ',
          el('span', { class: 'badge rule-state' }, e.state.toUpperCase()),
        ),
        el('div', { class: 'note' }, detail),
      ),
    );
  }
}

/**
 * RuleForm adds or edits one rule: a name, the subject (a region of the current analysis, or
 * the whole mask, and an include zone or the whole picture), the metric, the comparison and its
 * value, the hold and release times and the hysteresis band. It checks nothing itself: the
 * server's checks are the one truth, and its sentence is shown when it refuses.
 */
class RuleForm {
  readonly element: HTMLFormElement;
  private readonly heading = el('h4', {});
  private readonly name = el('input', { id: 'rule-name', maxlength: 32, spellcheck: 'false', autocomplete: 'off', placeholder: 'e.g. red-seen' });
  private readonly subject: HTMLSelectElement;
  private readonly zone: HTMLSelectElement;
  private readonly metric: HTMLSelectElement;
  private readonly op: HTMLSelectElement;
  private readonly value: HTMLInputElement;
  private readonly unit = el('span', { class: 'note', id: 'rule-unit' });
  private readonly hold: HTMLInputElement;
  private readonly release: HTMLInputElement;
  private readonly hysteresis: HTMLInputElement;
  private readonly save = el('button', { type: 'submit', id: 'rule-save' }, 'Save rule');
  /** the name of the rule being edited; null: a new one */
  private editing: string | null = null;
  private enabled = true;
  private saving = false;

  constructor(
    private readonly ctx: OutputsContext,
    private readonly onSave: (rule: Record<string, unknown>, was: string | null) => Promise<boolean>,
  ) {
    const none = (): void => {};
    const [sL, s] = selectField('rule-subject', 'Subject', [['', 'the whole mask']], none, 'A region of the current analysis (a colour range, a class, …), or all of the mask');
    const [zL, z] = selectField('rule-zone', 'Zone', [['', 'the whole picture']], none, 'Measure inside an include zone only');
    const [mL, m] = selectField(
      'rule-metric',
      'Metric',
      RULE_METRICS.map((x) => [x, METRIC_TITLES[x]] as const),
      () => this.follow(),
      'Coverage: percent of the frame (of the zone, in a zone). Count: the targets of a region, or its blobs (blob finding must be on)',
    );
    const [oL, o] = selectField(
      'rule-op',
      'Is',
      RULE_OPS.map((x) => [x, OP_TITLES[x]] as const),
      () => this.follow(),
    );
    const [vL, v] = numberField('rule-value', 'Value', { min: 0, step: 'any' }, none, 'Percent for coverage, a whole number for a count');
    const [hL, h] = numberField('rule-hold', 'Hold s', { min: 0, step: 'any' }, none, 'How long the condition must hold before the rule turns on');
    const [rL, r] = numberField(
      'rule-release',
      'Release s',
      { min: 0, step: 'any', placeholder: 'as hold' },
      none,
      'How long it must have stopped holding before the rule turns off',
    );
    const [bL, b] = numberField(
      'rule-hysteresis',
      'Hysteresis',
      { min: 0, step: 'any' },
      none,
      'A band, in the metric’s unit, the value must cross back through before the rule turns off',
    );
    this.subject = s;
    this.zone = z;
    this.metric = m;
    this.op = o;
    this.value = v;
    this.hold = h;
    this.release = r;
    this.hysteresis = b;
    const cancel = el('button', { type: 'button', id: 'rule-cancel' }, 'Cancel');
    cancel.addEventListener('click', () => this.close());
    this.element = el(
      'form',
      { id: 'rule-form', class: 'rule-form', novalidate: true, hidden: true },
      this.heading,
      el(
        'div',
        { class: 'grid' },
        pair(el('label', { for: 'rule-name', title: '1-32 of a-z, 0-9, _ and -: it appears in MQTT topics and URLs' }, 'Name'), this.name),
        pair(sL, s),
        pair(zL, z),
        pair(mL, m),
        pair(oL, o),
        pair(vL, el('div', { class: 'row' }, v, this.unit)),
        pair(hL, h),
        pair(rL, r),
        pair(bL, b),
      ),
      el('div', { class: 'buttons' }, this.save, cancel),
    );
    this.element.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.submit();
    });
  }

  /** open shows the form for a rule (null: a new one); the subject menu lists the regions of the current analysis. */
  open(rule: Rule | null, rules: readonly Rule[]): void {
    if (this.ctx.readOnly) return;
    this.editing = rule?.name ?? null;
    this.enabled = rule?.enabled ?? true;
    this.heading.replaceChildren(...(rule ? ['Edit rule ', el('small', { class: 'rule-name' }, rule.name)] : ['New rule']));
    const settings = this.ctx.settings();
    const key = settings?.method.kind === 'model' ? 'class' : 'range';
    const regions = (this.ctx.analysis()?.ranges ?? []).map((x) => x.name);
    const subjects: [string, string][] = [['', 'the whole mask'], ...regions.map((n) => [`${key}:${n}`, n] as [string, string])];
    const own = rule?.subject.range !== undefined ? `range:${rule.subject.range}` : rule?.subject.class !== undefined ? `class:${rule.subject.class}` : '';
    if (own && !subjects.some(([v]) => v === own)) subjects.push([own, `${own.slice(own.indexOf(':') + 1)} (not in the analysis now)`]);
    this.subject.replaceChildren(...subjects.map(([v, t]) => el('option', { value: v }, t)));
    this.subject.value = own || (rule ? '' : (subjects[1]?.[0] ?? ''));
    const zones = (settings?.zones ?? []).filter((x) => x.kind === 'include').map((x) => x.name);
    if (rule?.subject.zone !== undefined && !zones.includes(rule.subject.zone)) zones.push(rule.subject.zone);
    this.zone.replaceChildren(el('option', { value: '' }, 'the whole picture'), ...zones.map((n) => el('option', { value: n }, n)));
    this.zone.value = rule?.subject.zone ?? '';
    this.metric.value = rule?.metric ?? 'coverage';
    this.op.value = rule?.op ?? 'above';
    this.value.value = rule && needsValue(rule.op) ? String(rule.value) : rule ? '' : '2';
    this.hold.value = String(rule?.hold ?? 1);
    this.release.value = rule && rule.release !== rule.hold ? String(rule.release) : '';
    this.hysteresis.value = rule?.hysteresis ? String(rule.hysteresis) : '';
    if (rule) this.name.value = rule.name;
    else {
      let n = rules.length + 1;
      while (rules.some((x) => x.name === `rule${n}`)) n++;
      this.name.value = `rule${n}`;
    }
    this.element.hidden = false;
    this.follow();
    this.name.focus();
  }

  close(): void {
    this.element.hidden = true;
    this.editing = null;
  }

  /** closeIf closes the form when it edits rule `name` (which is gone). */
  closeIf(name: string): void {
    if (this.editing === name) this.close();
  }

  /** follow turns the value and the band off for the comparisons that take none, and shows the value's unit. */
  private follow(): void {
    const takes = needsValue(this.op.value as RuleOp);
    this.value.dataset.off = String(!takes);
    this.hysteresis.dataset.off = String(!takes);
    this.unit.textContent = this.metric.value === 'coverage' ? '%' : 'things';
    applyOff(this.element, this.ctx.readOnly);
  }

  /** rule is what the form says, as the API takes it (empty fields left out, so that the server's defaults apply). */
  private rule(): Record<string, unknown> {
    const [kind, ...rest] = this.subject.value.split(':');
    const subject: Record<string, string> = {};
    if (kind && rest.length) subject[kind] = rest.join(':');
    if (this.zone.value) subject.zone = this.zone.value;
    const op = this.op.value as RuleOp;
    const n = (e: HTMLInputElement): number | undefined => (e.value.trim() === '' ? undefined : Number(e.value));
    return {
      name: this.name.value.trim(),
      subject,
      metric: this.metric.value,
      op,
      ...(needsValue(op) && n(this.value) !== undefined ? { value: n(this.value) } : {}),
      hold: n(this.hold) ?? 0,
      ...(n(this.release) !== undefined ? { release: n(this.release) } : {}),
      ...(needsValue(op) && n(this.hysteresis) !== undefined ? { hysteresis: n(this.hysteresis) } : {}),
      enabled: this.enabled,
    };
  }

  private async submit(): Promise<void> {
    if (this.saving || this.ctx.readOnly) return;
    this.saving = true;
    this.save.dataset.off = 'true';
    applyOff(this.element, this.ctx.readOnly);
    try {
      if (await this.onSave(this.rule(), this.editing)) this.close();
    } finally {
      this.saving = false;
      this.save.dataset.off = 'false';
      applyOff(this.element, this.ctx.readOnly);
    }
  }
}
