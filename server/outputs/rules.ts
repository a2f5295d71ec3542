/**
 * The rule engine of one camera: each analysed frame moves its rules' states. A rule turns on
 * once its condition has held for its hold time, and off once the condition has stopped holding
 * for its release time; between the two, the hysteresis band keeps a value that wobbles round
 * the threshold from flapping the state (a rule that is on stays on until the value has crossed
 * back through the whole band). Time is the capture time of the analysed frames (`a.ts`), never
 * the clock, so the engine is pure: the same analyses give the same changes. The front owns one
 * engine per camera and hands its changes to the outputs (MQTT, webhooks, recording).
 */
import type { TimedAnalysis } from '../../shared/protocol.js';
import { measure, sameRule, type ChangeReason, type Rule, type RuleChange, type RuleOnOff, type RuleState } from '../../shared/rules.js';

export { measure } from '../../shared/rules.js';

/** EVENTS_KEPT is how many of the newest changes a camera keeps for `/api/events`. */
export const EVENTS_KEPT = 200;

/**
 * MAX_GAP_MS: a gap between two analyses longer than this (nobody watched, the process
 * restarted) restarts a pending hold, since nothing says the condition held through the gap.
 */
export const MAX_GAP_MS = 5000;

/** RuleEngineOptions: the ring size of the kept changes, and the longest gap a hold may span (ms). */
export interface RuleEngineOptions {
  eventsKept?: number;
  maxGapMs?: number;
}

interface Entry {
  rule: Rule;
  state: RuleOnOff;
  since: number | null;
  /** the switch (MQTT, API); starts as the rule's own `enabled` */
  enabled: boolean;
  value: number | null;
  pending: { state: RuleOnOff; since: number } | null;
}

/**
 * wants says whether a rule wants to be on, given whether it is on now: while on, the
 * threshold moves by the hysteresis band towards the off side. An unmeasured value never holds
 * a condition (a rule is on only while its condition is known to hold).
 */
function wants(r: Rule, on: boolean, v: number | null): boolean {
  if (v === null) return false;
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

/**
 * eventAnalysis is the analysis a change carries: all of it but the method's histogram, a tuning
 * aid for the viewer that would weigh on every kept event and every payload sent.
 */
function eventAnalysis(a: TimedAnalysis): TimedAnalysis {
  if (!a.info?.histogram) return a;
  const { histogram: _, ...info } = a.info;
  return { ...a, info };
}

/** RuleEngine holds one camera's rules and their states. */
export class RuleEngine {
  private entries: Entry[] = [];
  private readonly ring: RuleChange[] = [];
  private readonly eventsKept: number;
  private readonly maxGapMs: number;
  private lastTs: number | null = null;

  constructor(
    readonly camera: string,
    rules: Rule[] = [],
    opts: RuleEngineOptions = {},
  ) {
    this.eventsKept = Math.max(1, opts.eventsKept ?? EVENTS_KEPT);
    this.maxGapMs = opts.maxGapMs ?? MAX_GAP_MS;
    this.entries = rules.map((r) => this.fresh(r));
  }

  /** rules returns the rules as defined (their `enabled` is the definition's, see states() for the switch). */
  rules(): Rule[] {
    return this.entries.map((e) => e.rule);
  }

  /** update moves every enabled rule's state with one analysed frame and returns the changes it caused. */
  update(a: TimedAnalysis): RuleChange[] {
    const gap = this.lastTs !== null && (a.ts - this.lastTs > this.maxGapMs || a.ts < this.lastTs);
    this.lastTs = a.ts;
    const changes: RuleChange[] = [];
    for (const e of this.entries) {
      const v = measure(a, e.rule.subject, e.rule.metric);
      e.value = v;
      if (!e.enabled) continue;
      const on = e.state === 'on';
      const want = wants(e.rule, on, v);
      if (want === on) {
        e.pending = null;
        continue;
      }
      const to: RuleOnOff = want ? 'on' : 'off';
      if (!e.pending || e.pending.state !== to || gap) e.pending = { state: to, since: a.ts };
      const holdMs = (want ? e.rule.hold : e.rule.release) * 1000;
      if (a.ts - e.pending.since >= holdMs) changes.push(this.change(e, to, a.ts, v === null ? 'unmeasurable' : 'condition', a));
    }
    return changes;
  }

  /** states returns every rule's state, in the rules' order. */
  states(): RuleState[] {
    return this.entries.map((e) => this.stateOf(e));
  }

  /** state returns one rule's state, or undefined when there is no such rule. */
  state(name: string): RuleState | undefined {
    const e = this.entries.find((x) => x.rule.name === name);
    return e && this.stateOf(e);
  }

  /** events returns up to `limit` of the kept changes, newest first. */
  events(limit = 50): RuleChange[] {
    const n = Math.max(0, Math.min(limit, this.ring.length));
    return this.ring.slice(this.ring.length - n).reverse();
  }

  /**
   * setRules replaces the rules. A rule whose definition is unchanged keeps its state, its
   * pending hold and its switch (unless the new definition changes `enabled`); a changed rule
   * starts again from off; a removed or changed rule that was on turns off (returned).
   */
  setRules(rules: Rule[], now: number = Date.now()): RuleChange[] {
    const old = new Map(this.entries.map((e) => [e.rule.name, e]));
    const changes: RuleChange[] = [];
    const next: Entry[] = [];
    for (const r of rules) {
      const prev = old.get(r.name);
      old.delete(r.name);
      if (prev && sameRule(prev.rule, r)) {
        const switched = prev.rule.enabled !== r.enabled;
        prev.rule = r;
        next.push(prev);
        if (switched) changes.push(...this.switchEntry(prev, r.enabled, now));
        continue;
      }
      if (prev?.state === 'on') changes.push(this.change(prev, 'off', now, 'changed', null));
      next.push(this.fresh(r));
    }
    for (const prev of old.values()) if (prev.state === 'on') changes.push(this.change(prev, 'off', now, 'removed', null));
    this.entries = next;
    return changes;
  }

  /**
   * setEnabled switches a rule on or off (MQTT, the API): a disabled rule is off and is not
   * evaluated. Returns the change it caused, or null when there is no such rule.
   */
  setEnabled(name: string, enabled: boolean, now: number = Date.now()): RuleChange[] | null {
    const e = this.entries.find((x) => x.rule.name === name);
    if (!e) return null;
    return this.switchEntry(e, enabled, now);
  }

  /**
   * expire turns off every rule that is on when the newest analysis is older than `maxAgeMs`
   * at `now` (ms since the epoch): analyses stopped (nobody watches a camera that analyses only
   * while watched, or its source is down), so no condition is known to hold any more.
   */
  expire(now: number, maxAgeMs: number): RuleChange[] {
    if (this.lastTs !== null && now - this.lastTs <= maxAgeMs) return [];
    const changes: RuleChange[] = [];
    for (const e of this.entries) {
      e.pending = null;
      if (e.state === 'on') changes.push(this.change(e, 'off', now, 'stale', null));
    }
    return changes;
  }

  private switchEntry(e: Entry, enabled: boolean, now: number): RuleChange[] {
    if (e.enabled === enabled) return [];
    e.enabled = enabled;
    e.pending = null;
    return !enabled && e.state === 'on' ? [this.change(e, 'off', now, 'disabled', null)] : [];
  }

  private fresh(rule: Rule): Entry {
    return { rule, state: 'off', since: null, enabled: rule.enabled, value: null, pending: null };
  }

  private stateOf(e: Entry): RuleState {
    return { name: e.rule.name, state: e.state, since: e.since, enabled: e.enabled, value: e.value, pending: e.pending ? { ...e.pending } : null };
  }

  private change(e: Entry, to: RuleOnOff, time: number, reason: ChangeReason, analysis: TimedAnalysis | null): RuleChange {
    const c: RuleChange = { camera: this.camera, rule: e.rule.name, state: to, previous: e.state, time, value: e.value, reason, analysis: analysis && eventAnalysis(analysis) };
    e.state = to;
    e.since = time;
    e.pending = null;
    this.ring.push(c);
    if (this.ring.length > this.eventsKept) this.ring.splice(0, this.ring.length - this.eventsKept);
    return c;
  }
}
