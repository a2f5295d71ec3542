/**
 * Rules on synthetic analyses: the schema and its defaults, what `measure` reads, hold and
 * release times, the hysteresis band, no flapping on noise, enter/leave, rules that cannot be
 * measured, setRules keeping what did not change, the switch, staleness, the events ring.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TimedAnalysis } from '../../../shared/protocol.js';
import { checkRules, measure, rulesInputSchema, type Rule } from '../../../shared/rules.js';
import { RuleEngine } from '../../../server/outputs/rules.js';

/** an analysis at `ts` (ms) with one range `red` at `red` % (and `blobs`, when given) */
function frame(ts: number, red: number, blobs?: number, extra: { name: string; coverage: number; blobs?: number }[] = []): TimedAnalysis {
  const ranges = [{ name: 'red', color: '#ff0000', coverage: red, ...(blobs === undefined ? {} : { blobs }) }, ...extra.map((r) => ({ color: '#00ff00', ...r }))];
  return { ts, rev: 1, method: 'colour', coverage: ranges.reduce((s, r) => s + r.coverage, 0), ranges };
}

/** rule parses one rule through the schema, as the API would */
function rule(r: Record<string, unknown>): Rule {
  const checked = checkRules([{ name: 'r', ...r }]);
  if (!checked.ok) throw checked.error;
  return checked.value[0]!;
}

/** run feeds values at a fixed period and returns [ts, state] for every change */
function run(engine: RuleEngine, values: number[], periodMs = 100, t0 = 1_000_000): [number, string][] {
  const out: [number, string][] = [];
  values.forEach((v, i) => {
    for (const c of engine.update(frame(t0 + i * periodMs, v))) out.push([c.time - t0, c.state]);
  });
  return out;
}

describe('rule schema', () => {
  it('fills in the defaults: metric from the op, release from hold, the whole mask, enabled', () => {
    expect(rule({ op: 'above', value: 2 })).toEqual({ name: 'r', subject: {}, metric: 'coverage', op: 'above', value: 2, hold: 0, release: 0, hysteresis: 0, enabled: true });
    expect(rule({ subject: { range: 'person' }, op: 'at_least', value: 3, hold: 2 })).toMatchObject({ metric: 'count', hold: 2, release: 2 });
    expect(rule({ op: 'absent', hold: 1, release: 5 })).toMatchObject({ value: 0, hold: 1, release: 5 });
  });

  it('takes back every rule it gives out (GET, the saved file), as it is', () => {
    const given = [
      { name: 'p', op: 'present', subject: { range: 'red' } },
      { name: 'a', op: 'absent', hold: 2 },
      { name: 'n', op: 'at_least', value: 2 },
      { name: 'c', op: 'below', value: 5, hysteresis: 1 },
    ];
    const once = checkRules(given);
    expect(once.ok).toBe(true);
    const twice = checkRules(JSON.parse(JSON.stringify(once.ok && once.value)));
    expect(twice.ok && twice.value).toEqual(once.ok && once.value);
  });

  it('takes the config file map form, naming the rule in errors', () => {
    const parsed = rulesInputSchema.parse({ 'red-seen': { subject: { range: 'red' }, op: 'above', value: 2 }, gone: { op: 'absent' } });
    expect(parsed.map((r) => r.name)).toEqual(['red-seen', 'gone']);
    const bad = checkRules({ 'red-seen': { op: 'above' } });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error.message).toMatch(/red-seen.*needs a value/);
    const unknown = checkRules({ x: { op: 'above', value: 1, colour: 'red' } });
    expect(!unknown.ok && unknown.error.message).toMatch(/x has unknown field "colour"/);
  });

  it('refuses rules that cannot work', () => {
    const problems: [Record<string, unknown>, RegExp][] = [
      [{ op: 'above' }, /needs a value/],
      [{ op: 'present', value: 3 }, /takes no value/],
      [{ op: 'present', hysteresis: 1 }, /takes no hysteresis/],
      [{ op: 'above', value: 120 }, /at most 100/],
      [{ op: 'at_least', value: 2.5 }, /whole number/],
      [{ op: 'above', value: 2, hysteresis: 2 }, /never turn off/],
      [{ op: 'below', value: 95, hysteresis: 10 }, /never turn off/],
      [{ op: 'above', value: 1, hold: 4000 }, /hold must be at most 3600/],
    ];
    for (const [r, why] of problems) {
      const c = checkRules([{ name: 'r', ...r }]);
      expect(c.ok, JSON.stringify(r)).toBe(false);
      expect(!c.ok && c.error.message, JSON.stringify(r)).toMatch(why);
    }
    expect(checkRules([{ name: 'Bad Name', op: 'absent' }]).ok).toBe(false);
    const twice = checkRules([
      { name: 'a', op: 'absent' },
      { name: 'a', op: 'present' },
    ]);
    expect(!twice.ok && twice.error.message).toMatch(/unique.*"a"/);
  });
});

describe('measure', () => {
  const a = frame(0, 2.5, 3, [{ name: 'blue', coverage: 1, blobs: 2 }]);
  it('reads the whole mask, a range, and counts', () => {
    expect(measure(a, {}, 'coverage')).toBe(3.5);
    expect(measure(a, { range: 'red' }, 'coverage')).toBe(2.5);
    expect(measure(a, { range: 'red' }, 'count')).toBe(3);
    expect(measure(a, {}, 'count')).toBe(5); // the ranges' blobs added up
  });
  it('is null for what the analysis does not measure', () => {
    expect(measure(a, { range: 'green' }, 'coverage')).toBeNull();
    expect(measure(frame(0, 2), { range: 'red' }, 'count')).toBeNull(); // blob finding off
    expect(measure(frame(0, 2), {}, 'count')).toBeNull();
    expect(measure(a, { zone: 'door' }, 'coverage')).toBeNull(); // no such zone
  });
  const target = {
    area: 100,
    percent: 1,
    box: { x: 0, y: 0, w: 10, h: 10 },
    rotated: { cx: 5, cy: 5, w: 10, h: 10, angle: 0, longAngle: 0 },
    cx: 5,
    cy: 5,
    fullness: 1,
    aspect: 1,
    offset: { x: 0, y: 0, nx: 0, ny: 0 },
  };
  it('counts targets where the analysis has them; model classes are regions; zones, with or without a region', () => {
    const m: TimedAnalysis = {
      ts: 0,
      rev: 1,
      method: 'model',
      coverage: 12,
      ranges: [
        { name: 'person', color: '#ff0000', coverage: 10, blobs: 7 },
        { name: 'car', color: '#00ff00', coverage: 2, blobs: 1 },
      ],
      targets: [
        { name: 'person', found: 7, targets: [target, target, target] }, // filtered and capped: 3 of 7
        { name: 'car', found: 1, targets: [target] },
      ],
      zones: [
        {
          name: 'door',
          area: 20,
          regions: [
            { name: 'person', coverage: 30, found: 2, targets: [target, target] },
            { name: 'car', coverage: 0, found: 0, targets: [] },
          ],
        },
        { name: 'empty', area: 5, regions: [] },
      ],
    };
    expect(measure(m, { class: 'person' }, 'count')).toBe(3);
    expect(measure(m, { range: 'person' }, 'coverage')).toBe(10);
    expect(measure(m, {}, 'count')).toBe(4);
    expect(measure(m, { zone: 'door', class: 'person' }, 'coverage')).toBe(30);
    expect(measure(m, { zone: 'door', class: 'person' }, 'count')).toBe(2);
    expect(measure(m, { zone: 'door' }, 'count')).toBe(2);
    expect(measure(m, { zone: 'door', class: 'bike' }, 'count')).toBeNull();
    expect(measure(m, { zone: 'empty' }, 'coverage')).toBe(0);
    expect(checkRules([{ name: 'x', subject: { range: 'a', class: 'b' }, op: 'present' }]).ok).toBe(false);
  });
});

describe('rule engine', () => {
  it('turns on only once the condition has held for the hold time, and off after the release time', () => {
    const e = new RuleEngine('cam', [rule({ subject: { range: 'red' }, op: 'above', value: 2, hold: 1, release: 0.5 })]);
    // 10 frames below, then above from t=1000 ms, then below from t=3000 ms
    const values = [...Array(10).fill(0), ...Array(20).fill(5), ...Array(20).fill(0)];
    expect(run(e, values)).toEqual([
      [2000, 'on'], // held from 1000 to 2000
      [3500, 'off'], // stopped holding at 3000, released at 3500
    ]);
    expect(e.states()[0]).toMatchObject({ name: 'r', state: 'off', since: 1_003_500, value: 0, pending: null });
  });

  it('a dip before the hold time is up starts the hold again', () => {
    const e = new RuleEngine('cam', [rule({ op: 'above', value: 2, hold: 1 })]);
    // above for 0.8 s, one frame below, above again: on 1 s after the dip
    const values = [...Array(8).fill(5), 0, ...Array(15).fill(5)];
    expect(run(e, values)).toEqual([[1900, 'on']]);
    const s = new RuleEngine('cam', [rule({ op: 'above', value: 2, hold: 1 })]);
    s.update(frame(0, 5));
    expect(s.states()[0]!.pending).toEqual({ state: 'on', since: 0 });
  });

  it('hysteresis: on above the value, off only once below value − band', () => {
    const e = new RuleEngine('cam', [rule({ op: 'above', value: 5, hysteresis: 1 })]);
    const values = [4.9, 5.1, 4.5, 4.1, 4.0, 4.5, 5.0, 5.01];
    expect(run(e, values, 100, 0)).toEqual([
      [100, 'on'],
      [400, 'off'], // 4.0 is at the band's edge: not above 5 − 1
      [700, 'on'], // 5.0 is not above 5; 5.01 is
    ]);
    const below = new RuleEngine('cam', [rule({ op: 'below', value: 10, hysteresis: 2 })]);
    expect(run(below, [11, 9, 11.9, 12, 9.9], 100, 0)).toEqual([
      [100, 'on'],
      [300, 'off'],
      [400, 'on'],
    ]);
    const count = new RuleEngine('cam', [rule({ subject: { range: 'red' }, op: 'at_least', value: 3, hysteresis: 1 })]);
    const changes: string[] = [];
    for (const [i, n] of [2, 3, 2, 1, 3].entries()) for (const c of count.update(frame(i * 100, 1, n))) changes.push(`${i}:${c.state}`);
    expect(changes).toEqual(['1:on', '3:off', '4:on']);
  });

  it('does not flap on noise round the threshold (a band and a hold); without them it does', () => {
    const noise = (seed: number) => () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const rnd = noise(42);
    // the true value steps from 1 % to 6 % at 5 s and back at 15 s; noise ±0.9 % on each frame
    const values = Array.from({ length: 200 }, (_, i) => (i >= 50 && i < 150 ? 6 : 1) + (rnd() * 2 - 1) * 0.9);
    const noisyThreshold = values.map((v, i) => (i >= 50 && i < 150 ? 5 : 5) + (v - (i >= 50 && i < 150 ? 6 : 1)) * 1.2); // noise right round 5 %
    const steady = new RuleEngine('cam', [rule({ op: 'above', value: 3.5, hysteresis: 2, hold: 0.3 })]);
    expect(run(steady, values)).toEqual([
      [expect.closeTo(5300, -3), 'on'],
      [expect.closeTo(15300, -3), 'off'],
    ]);
    const bare = new RuleEngine('cam', [rule({ op: 'above', value: 5 })]);
    expect(run(bare, noisyThreshold).length).toBeGreaterThan(10); // the same kind of noise, no band, no hold: it flaps
    const banded = new RuleEngine('cam', [rule({ op: 'above', value: 5, hysteresis: 1.5, hold: 0.2 })]);
    expect(run(banded, noisyThreshold).length).toBeLessThanOrEqual(1);
  });

  it('property: a value that stays inside the band after turning on never turns the rule off', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 50, noNaN: true }),
        fc.double({ min: 0.1, max: 0.9, noNaN: true }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 200 }),
        (value, bandFraction, noise) => {
          const hysteresis = value * bandFraction;
          const e = new RuleEngine('cam', [rule({ op: 'above', value, hysteresis })]);
          e.update(frame(0, value + 1));
          expect(e.states()[0]!.state).toBe('on');
          // anything above value − band, however it wobbles round value
          const changes = noise.flatMap((n, i) => e.update(frame((i + 1) * 100, value - hysteresis + 1e-9 + n * (hysteresis + 1))));
          expect(changes).toEqual([]);
        },
      ),
    );
  });

  it('enter and leave: present and absent of a range, with the analysis of the frame that changed it', () => {
    const e = new RuleEngine('door', [
      { ...rule({ subject: { range: 'red' }, op: 'present', hold: 0.2 }), name: 'seen' },
      { ...rule({ subject: { range: 'red' }, op: 'absent', hold: 0.2 }), name: 'clear' },
    ]);
    const all = [0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0].flatMap((v, i) => e.update(frame(i * 100, v)));
    expect(all.map((c) => [c.rule, c.state, c.time, c.reason])).toEqual([
      ['clear', 'on', 200, 'condition'],
      ['seen', 'on', 500, 'condition'],
      ['clear', 'off', 500, 'condition'],
      ['seen', 'off', 900, 'condition'],
      ['clear', 'on', 900, 'condition'],
    ]);
    expect(all[1]).toMatchObject({ camera: 'door', previous: 'off', value: 1, analysis: { ts: 500, ranges: [{ name: 'red', coverage: 1 }] } });
    // the change carries the analysis, all but the method's histogram
    const h = new RuleEngine('door', [rule({ op: 'present' })]);
    const [c] = h.update({ ...frame(0, 1), info: { otsuLevel: 90, histogram: Array(256).fill(1) } });
    expect(c!.analysis!.info).toEqual({ otsuLevel: 90 });
  });

  it('a rule whose subject cannot be measured turns off (after its release), and is not on meanwhile', () => {
    const e = new RuleEngine('cam', [rule({ subject: { range: 'red' }, op: 'at_least', value: 1, release: 0.3 })]);
    expect(e.update(frame(0, 1, 2)).map((c) => c.state)).toEqual(['on']);
    // blob finding switched off: no count
    expect(e.update(frame(100, 1))).toEqual([]);
    expect(e.states()[0]).toMatchObject({ state: 'on', value: null, pending: { state: 'off', since: 100 } });
    const off = e.update(frame(400, 1));
    expect(off).toMatchObject([{ state: 'off', reason: 'unmeasurable', value: null }]);
    // a zone the analysis does not have: the rule stays off, even `absent`
    const z = new RuleEngine('cam', [rule({ subject: { zone: 'door' }, op: 'absent' })]);
    expect(z.update(frame(0, 0))).toEqual([]);
  });

  it('a gap in the analyses restarts a pending hold', () => {
    const e = new RuleEngine('cam', [rule({ op: 'above', value: 2, hold: 2 })], { maxGapMs: 1000 });
    e.update(frame(0, 5));
    e.update(frame(500, 5));
    expect(e.update(frame(10_000, 5))).toEqual([]); // 10 s later: the hold starts again
    expect(e.update(frame(11_000, 5))).toEqual([]);
    expect(e.update(frame(12_000, 5)).map((c) => c.state)).toEqual(['on']);
  });

  it('setRules keeps the state of unchanged rules, restarts changed ones and turns removed ones off', () => {
    const a = { ...rule({ op: 'above', value: 2 }), name: 'a' };
    const b = { ...rule({ op: 'above', value: 3 }), name: 'b' };
    const c = { ...rule({ op: 'above', value: 4 }), name: 'c' };
    const e = new RuleEngine('cam', [a, b, c]);
    e.update(frame(1000, 5));
    expect(e.states().map((s) => s.state)).toEqual(['on', 'on', 'on']);
    const changes = e.setRules([{ ...a }, { ...b, value: 1 }, { ...rule({ op: 'absent' }), name: 'd' }], 2000);
    expect(changes.map((x) => [x.rule, x.state, x.reason, x.time])).toEqual([
      ['b', 'off', 'changed', 2000],
      ['c', 'off', 'removed', 2000],
    ]);
    expect(e.states()).toMatchObject([
      { name: 'a', state: 'on', since: 1000 },
      { name: 'b', state: 'off', since: null },
      { name: 'd', state: 'off', since: null },
    ]);
    // a definition that only changes `enabled` keeps the state but flips the switch
    expect(e.setRules([{ ...a, enabled: false }], 3000)).toMatchObject([{ rule: 'a', state: 'off', reason: 'disabled' }]);
    expect(e.events(10).map((x) => x.rule)).toEqual(['a', 'c', 'b', 'c', 'b', 'a']);
  });

  it('a disabled rule is off and is not evaluated; enabled again it holds afresh', () => {
    const e = new RuleEngine('cam', [rule({ op: 'above', value: 2, hold: 0.5 })]);
    run(e, Array(10).fill(5), 100, 0);
    expect(e.states()[0]!.state).toBe('on');
    expect(e.setEnabled('r', false, 1000)).toMatchObject([{ state: 'off', reason: 'disabled', time: 1000, analysis: null }]);
    expect(e.setEnabled('nope', false)).toBeNull();
    expect(run(e, Array(10).fill(5), 100, 1100)).toEqual([]);
    expect(e.states()[0]).toMatchObject({ enabled: false, state: 'off', value: 5 });
    expect(e.setEnabled('r', true, 2100)).toEqual([]);
    expect(run(e, Array(10).fill(5), 100, 2100)).toEqual([[500, 'on']]);
  });

  it('expire turns rules off when the analyses stop', () => {
    const e = new RuleEngine('cam', [rule({ op: 'above', value: 2 })]);
    e.update(frame(1000, 5));
    expect(e.expire(3000, 5000)).toEqual([]);
    expect(e.expire(7000, 5000)).toMatchObject([{ state: 'off', reason: 'stale', time: 7000 }]);
    expect(e.expire(9000, 5000)).toEqual([]);
  });

  it('keeps a bounded ring of the newest changes, newest first', () => {
    const e = new RuleEngine('cam', [rule({ op: 'above', value: 2 })], { eventsKept: 5 });
    const values = Array.from({ length: 40 }, (_, i) => (i % 2 ? 5 : 0));
    expect(run(e, values, 100, 0)).toHaveLength(39);
    const kept = e.events(100);
    expect(kept).toHaveLength(5);
    expect(kept.map((c) => c.time)).toEqual([3900, 3800, 3700, 3600, 3500]);
    expect(e.events(2).map((c) => c.time)).toEqual([3900, 3800]);
  });
});
