/**
 * Rules: named conditions on what a camera's analysis measures ("red covers more than 2 % for
 * a second", "at least 3 blobs of range `person`"), each with a hold time and a hysteresis band
 * so that a noisy measure does not flap the state. The schema, the types, and `measure`, the
 * one place that knows where in an analysis a subject's value lives. Pure data and pure
 * functions, imported by the server and the viewer (browser-safe).
 *
 * A rule as the API gives it, in a list (seconds, percent):
 *
 *   { name: red-seen, subject: { range: red }, op: above, value: 2, hold: 1, hysteresis: 0.5 }
 *   { name: crowd, subject: { range: person }, op: at_least, value: 3 }       # metric: count
 *   { name: empty, op: absent, hold: 10 }                                     # the whole mask
 *
 * The config file writes a camera's rules as a map from name to the rest (the API takes that
 * form too).
 */
import { z } from 'zod';
import { validatePlain, type Analysis, type Checked, type TimedAnalysis } from './protocol.js';

/** RULE_NAME is what a rule may be called: it appears in MQTT topics, Home Assistant ids and URLs. */
export const RULE_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** MAX_RULES caps the rules of one camera (each is evaluated on every analysed frame). */
export const MAX_RULES = 32;

/** MAX_HOLD_S caps a hold or release time, s. */
export const MAX_HOLD_S = 3600;

/**
 * RULE_METRICS: `coverage` is percent of the frame's pixels (of the zone's, in a zone); `count` is a number of things
 * (the targets of a region, or its blobs, which need blob finding on; the targets in a zone).
 */
export const RULE_METRICS = ['coverage', 'count'] as const;
/** RuleMetric is one of RULE_METRICS. */
export type RuleMetric = (typeof RULE_METRICS)[number];

/**
 * RULE_OPS: `above` (value > V), `below` (value < V), `at_least` (value ≥ V), `present`
 * (value > 0) and `absent` (value is 0).
 */
export const RULE_OPS = ['above', 'below', 'at_least', 'present', 'absent'] as const;
/** RuleOp is one of RULE_OPS. */
export type RuleOp = (typeof RULE_OPS)[number];

/** RuleOnOff is a rule's state: on while its condition holds (known to hold), off otherwise. */
export type RuleOnOff = 'on' | 'off';

const label = z.string().trim().min(1, 'must not be empty').max(32);

/**
 * subjectSchema: what a rule measures. Nothing named is the whole mask; `range` is one region
 * by name (a colour range, a cluster, or `threshold`, `edges`, `motion`), `class` one of a
 * model's foreground classes (a region too, under the class's name); `zone` one include zone,
 * the whole of it or (with a range or class) that region inside it.
 */
export const subjectSchema = z
  .strictObject({ range: label.optional(), zone: label.optional(), class: label.optional() })
  .refine((s) => s.range === undefined || s.class === undefined, 'names a range or a class, not both (both are regions)');
/** Subject is what one rule measures (see subjectSchema). */
export type Subject = z.infer<typeof subjectSchema>;

const ruleFields = {
  subject: subjectSchema.default({}),
  /** default: `count` for at_least, `coverage` otherwise */
  metric: z.enum(RULE_METRICS).optional(),
  op: z.enum(RULE_OPS),
  /** percent for coverage, a number for count; not given for present and absent */
  value: z.number().min(0).optional(),
  /** s the condition must hold before the rule turns on */
  hold: z.number().min(0).max(MAX_HOLD_S).default(0),
  /** s the condition must have stopped holding before the rule turns off; default: hold */
  release: z.number().min(0).max(MAX_HOLD_S).optional(),
  /** width of the band, in the metric's unit, that the value must cross back through before the rule turns off */
  hysteresis: z.number().min(0).default(0),
  enabled: z.boolean().default(true),
};

/** Rule is a checked rule with every default filled in (times in s, as written). */
export interface Rule {
  name: string;
  subject: Subject;
  metric: RuleMetric;
  op: RuleOp;
  /** the threshold; 0 for present and absent */
  value: number;
  hold: number;
  release: number;
  hysteresis: number;
  enabled: boolean;
}

type RuleBody = z.output<z.ZodObject<typeof ruleFields>>;

/** completeRule fills in the defaults that depend on other fields. */
function completeRule(name: string, b: RuleBody): Rule {
  return {
    name,
    subject: b.subject,
    metric: b.metric ?? (b.op === 'at_least' ? 'count' : 'coverage'),
    op: b.op,
    value: b.value ?? 0,
    hold: b.hold,
    release: b.release ?? b.hold,
    hysteresis: b.hysteresis,
    enabled: b.enabled,
  };
}

/** ruleProblem says why a complete rule cannot work as written, or null. */
export function ruleProblem(r: Rule, given: { value: boolean }): string | null {
  const needsValue = r.op === 'above' || r.op === 'below' || r.op === 'at_least';
  if (needsValue && !given.value) return `op ${r.op} needs a value`;
  // 0 is what a complete rule holds for these ops: a rule read back (GET, the saved file) goes back in as it is
  if (!needsValue && given.value && r.value !== 0) return `op ${r.op} takes no value (it compares with 0; use above or at_least for a threshold)`;
  if (!needsValue && r.hysteresis > 0) return `op ${r.op} takes no hysteresis (use above or below with a band for a noisy measure)`;
  if (r.metric === 'coverage' && r.value > 100) return `value is a percentage of the frame and must be at most 100, got ${r.value}`;
  if (r.metric === 'count' && !Number.isInteger(r.value)) return `value counts things and must be a whole number, got ${r.value}`;
  // a band that reaches past the end of the scale would hold the rule on for ever
  if ((r.op === 'above' || r.op === 'at_least') && r.hysteresis > 0 && r.hysteresis >= r.value)
    return `hysteresis (${r.hysteresis}) must be below the value (${r.value}), or the rule could never turn off`;
  if (r.op === 'below' && r.metric === 'coverage' && r.value + r.hysteresis > 100) return `value + hysteresis must be at most 100 %, or the rule could never turn off`;
  if (r.op === 'below' && r.value === 0) return 'below 0 can never hold (use absent)';
  return null;
}

const ruleBodySchema = z.strictObject(ruleFields);

/** ruleSchema validates one rule with its name, as the API takes it, into a complete Rule. */
export const ruleSchema = z
  .strictObject({ name: z.string().regex(RULE_NAME, 'must be 1-32 of a-z, 0-9, _ and -, starting with a letter or digit'), ...ruleFields })
  .transform((input, ctx) => {
    const { name, ...body } = input;
    const rule = completeRule(name, body);
    const problem = ruleProblem(rule, { value: input.value !== undefined });
    if (problem) {
      ctx.addIssue({ code: 'custom', message: `must be a rule that can work: ${problem}`, input });
      return z.NEVER;
    }
    return rule;
  });

const uniqueNames = (rules: Rule[], ctx: z.RefinementCtx): void => {
  const seen = new Set<string>();
  for (const [i, r] of rules.entries()) {
    if (seen.has(r.name)) ctx.addIssue({ code: 'custom', message: `must be unique: "${r.name}" is used twice`, path: [i, 'name'], input: r.name });
    seen.add(r.name);
  }
};

/** rulesSchema validates a camera's rules as a list. */
export const rulesSchema = z.array(ruleSchema).max(MAX_RULES, `at most ${MAX_RULES} rules are allowed`).superRefine(uniqueNames);

/** rulesMapSchema validates a camera's rules as the config file may write them: a map from name to rule. */
export const rulesMapSchema = z.record(z.string().regex(RULE_NAME, 'must be 1-32 of a-z, 0-9, _ and -, starting with a letter or digit'), ruleBodySchema).transform((map, ctx) => {
  const out: Rule[] = [];
  for (const [name, body] of Object.entries(map)) {
    const rule = completeRule(name, body);
    const problem = ruleProblem(rule, { value: body.value !== undefined });
    if (problem) {
      ctx.addIssue({ code: 'custom', message: `must be a rule that can work: ${problem}`, path: [name], input: body });
      return z.NEVER;
    }
    out.push(rule);
  }
  if (out.length > MAX_RULES) {
    ctx.addIssue({ code: 'custom', message: `at most ${MAX_RULES} rules are allowed`, input: map });
    return z.NEVER;
  }
  return out;
});

/** rulesInputSchema takes either form. */
export const rulesInputSchema = z.union([rulesSchema, rulesMapSchema]);

/** checkRules validates untrusted rules (a list or a map); the error names the field. */
export function checkRules(input: unknown, what = 'rules'): Checked<Rule[]> {
  const checked = validatePlain(Array.isArray(input) ? rulesSchema : rulesMapSchema, input, what) as Checked<Rule[]>;
  if (checked.ok || !Array.isArray(input)) return checked;
  // a list's error starts with the index: say which rule, by its place and name
  const m = /^(\d+)(\.(\S+))? /.exec(checked.error.message);
  if (!m) return checked;
  const i = Number(m[1]);
  const name = (input[i] as { name?: unknown } | undefined)?.name;
  const which = `rule ${i + 1}${typeof name === 'string' && name ? ` ("${name.slice(0, 32)}")` : ''}${m[3] ? `: ${m[3]}` : ''}`;
  checked.error.message = `${which} ${checked.error.message.slice(m[0].length)}`;
  return checked;
}

/** sameRule tells whether two rules decide alike (`enabled` aside: it is a switch, not a definition). */
export function sameRule(a: Rule, b: Rule): boolean {
  const { enabled: _a, ...x } = a;
  const { enabled: _b, ...y } = b;
  return JSON.stringify(x) === JSON.stringify(y);
}

// ---------------------------------------------------------------------------------------
// What is measured.

/**
 * measure returns the value of a subject's metric in an analysis, or null when the analysis
 * does not measure it (no region or zone of that name, or no count: targets and blobs are
 * found only while blob finding is on). This is the one place that knows where a subject's
 * value lives: resolve the subject to its part of the analysis, then read the metric there.
 *
 * A count is the region's targets (after the target filters, at most the targets' `max`) when
 * the analysis has them, else its blobs. The whole mask's count, and a zone's without a
 * region, are its regions' added up (a thing where two regions overlap counts twice), and so
 * is a zone's coverage without a region.
 */
export function measure(a: Analysis, subject: Subject, metric: RuleMetric): number | null {
  const region = subject.range ?? subject.class;
  if (subject.zone !== undefined) {
    const zone = a.zones?.find((z) => z.name === subject.zone);
    if (!zone) return null;
    const parts = region === undefined ? zone.regions : zone.regions.filter((r) => r.name === region);
    if (!parts.length) return region === undefined ? 0 : null;
    return parts.reduce((sum, r) => sum + (metric === 'coverage' ? r.coverage : r.targets.length), 0);
  }
  const count = (name: string): number | null => {
    const t = a.targets?.find((x) => x.name === name);
    if (t) return t.targets.length;
    return a.ranges.find((x) => x.name === name)?.blobs ?? null;
  };
  if (region !== undefined) {
    const r = a.ranges.find((x) => x.name === region);
    if (!r) return null;
    return metric === 'coverage' ? r.coverage : count(region);
  }
  if (metric === 'coverage') return a.coverage;
  let n = 0;
  for (const r of a.ranges) {
    const c = count(r.name);
    if (c === null) return null;
    n += c;
  }
  return n;
}

// ---------------------------------------------------------------------------------------
// State, as the API and the viewer see it.

/** RuleState is one rule's state now. */
export interface RuleState {
  name: string;
  state: RuleOnOff;
  /** ms since the epoch when it last changed; null while it has never changed */
  since: number | null;
  enabled: boolean;
  /** the newest measured value (null: not measured) */
  value: number | null;
  /** a change waiting for its hold time: to what, and since when (ms since the epoch) */
  pending: { state: RuleOnOff; since: number } | null;
}

/** CHANGE_REASONS: why a rule's state changed. */
export const CHANGE_REASONS = ['condition', 'unmeasurable', 'disabled', 'changed', 'removed', 'stale'] as const;
/** ChangeReason is one of CHANGE_REASONS. */
export type ChangeReason = (typeof CHANGE_REASONS)[number];

/** RuleChange is one change of a rule's state: the event every output publishes. */
export interface RuleChange {
  camera: string;
  rule: string;
  state: RuleOnOff;
  previous: RuleOnOff;
  /** ms since the epoch: capture time of the frame that changed it, or when the rule was disabled, changed or removed */
  time: number;
  /** the measured value at the change (null: not measured) */
  value: number | null;
  reason: ChangeReason;
  /** the analysis of the frame that changed it (without the method's histogram), null when no frame did */
  analysis: TimedAnalysis | null;
}
