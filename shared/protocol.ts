/**
 * The segcam wire protocol, defined once: message types, error and close codes, the version,
 * packing (msgpack maps with a `type` field over one binary WebSocket per camera, at
 * `/cam/NAME/ws`) and the validators that every inbound message and every HTTP body goes
 * through. Server and client import this.
 */
import { Packr, Unpackr } from 'msgpackr';
import { z } from 'zod';
import { convertRange } from './convert.js';
import {
  METHOD_DEFAULTS,
  adaptiveSchema,
  clustersMethodSchema,
  colourMethodSchema,
  colourRangeSchema,
  completeMethod,
  edgesMethodSchema,
  methodProblem,
  methodSchema,
  modelMethodSchema,
  thresholdMethodSchema,
  type Method,
  type MethodKind,
} from './methods.js';
import { DEFAULT_SETTINGS, LIMITS, MOTION_ALGORITHMS, MOTION_MODES, SPACES, VIEWS, type ColorRange, type Settings, type Space, type View } from './settings.js';
import type { CameraSummary, SourceStatus } from './status.js';
import type { RuleState } from './rules.js';
import { DEFAULT_TARGET_SETTINGS, crosshairSchema, targetFiltersSchema, targetSettingsProblem, targetSettingsSchema, type RegionTargets } from './targets.js';
import { DEFAULT_TRANSFORM, cropSchema, transformProblem, transformSchema } from './transform.js';
import { zonesProblem, zonesSchema, type ZoneAnalysis } from './zones.js';

/** PROTOCOL_VERSION changes whenever a message changes shape incompatibly. */
export const PROTOCOL_VERSION = 2;

/** WS_PATH is where a camera's WebSocket endpoint listens, under its prefix (`/cam/NAME/ws`; `/ws` is the first camera's). */
export const WS_PATH = '/ws';

/** cameraPrefix is the URL prefix of one camera's endpoints. */
export const cameraPrefix = (name: string): string => `/cam/${encodeURIComponent(name)}`;

/** MAX_CLIENT_MESSAGE_BYTES caps an inbound WebSocket message; a control message is small. */
export const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024;

/** ERROR_CODES are the stable `code` strings of `error` messages and JSON error bodies. */
export const ERROR_CODES = {
  BAD_MESSAGE: 'BAD_MESSAGE', // bytes that do not decode as one msgpack map of plain data
  UNKNOWN_TYPE: 'UNKNOWN_TYPE',
  INVALID: 'INVALID', // decodes, but fails the schema
  IMPOSSIBLE_RANGE: 'IMPOSSIBLE_RANGE', // a range no pixel can satisfy in its space, or a bound outside it
  FORBIDDEN: 'FORBIDDEN', // view-only role tried to change something, or a request from another site
  UNAUTHORIZED: 'UNAUTHORIZED',
  RATE_LIMITED: 'RATE_LIMITED',
  BUSY: 'BUSY', // one such request is already in flight for this client
  SOURCE_FAILED: 'SOURCE_FAILED',
  NO_FRAME: 'NO_FRAME',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  TOO_MANY: 'TOO_MANY', // a cap on a stored thing (presets) is reached
  TOO_MANY_VIEWERS: 'TOO_MANY_VIEWERS',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  MISDIRECTED: 'MISDIRECTED', // a Host header that names another server (DNS rebinding)
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** CLOSE_CODES are the WebSocket close codes the server uses, with their meaning. */
export const CLOSE_CODES = {
  GOING_AWAY: 1001, // server shutting down
  MESSAGE_TOO_BIG: 1009,
  TRY_AGAIN_LATER: 1013, // too many viewers
  ABUSE: 4008, // persistent garbage or rate-limit abuse
  BACKLOG: 4009, // the client stopped reading: what was queued for it stayed over the cap
  NO_CAMERA: 4004, // the camera was removed
} as const;

/** SegcamError is an error with a stable code, safe to show to a client. */
export class SegcamError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SegcamError';
  }
}

// ---------------------------------------------------------------------------------------
// Schemas: shared by the WebSocket and the HTTP API.

const kernel = z.number().int().min(0).max(LIMITS.kernelMax);

/** rangeInputSchema validates one colour range as a client writes it; the name and colour may be left out. */
export const rangeInputSchema = colourRangeSchema;

const motionSchema = z.strictObject({
  mode: z.enum(MOTION_MODES),
  algorithm: z.enum(MOTION_ALGORITHMS),
  history: z.number().int().min(1).max(LIMITS.historyMax),
  learningRate: z.number().min(-1).max(1),
  shadows: z.boolean(),
});

const outputSchema = z.strictObject({ quality: z.number().int().min(LIMITS.quality[0]).max(LIMITS.quality[1]) });

/** settingsSchema validates a whole Settings object (saved files and presets, after upgradeSettings); checkSettings completes and cross-checks it. */
export const settingsSchema = z.strictObject({
  method: methodSchema,
  blur: kernel,
  open: kernel,
  close: kernel,
  minArea: z.number().int().min(0).max(LIMITS.minAreaMax),
  blobs: z.boolean(),
  motion: motionSchema,
  targets: targetSettingsSchema,
  zones: zonesSchema,
  transform: transformSchema,
  output: outputSchema,
});

/**
 * methodPatchSchema is a change of the method: its `kind` and any of its fields. The same kind
 * merges into the current method; another kind starts from that kind's defaults.
 */
export const methodPatchSchema = z.discriminatedUnion('kind', [
  colourMethodSchema.partial().required({ kind: true }),
  thresholdMethodSchema.partial().extend({ adaptive: adaptiveSchema.partial().optional() }).required({ kind: true }),
  edgesMethodSchema.partial().required({ kind: true }),
  clustersMethodSchema.partial().required({ kind: true }),
  modelMethodSchema.partial().extend({ input: modelMethodSchema.shape.input.partial().optional() }).required({ kind: true }),
]);

/**
 * settingsPatchSchema validates a partial update: `method` merged (see methodPatchSchema),
 * `motion`, `targets` (and its `filters`), `transform` and `output` merged, `zones` replaced
 * whole. `space`, `ranges` and `quality` are the names of version 1, still accepted: they change
 * the colour method's space and ranges, and the output's quality.
 */
export const settingsPatchSchema = z.strictObject({
  method: methodPatchSchema.optional(),
  blur: kernel.optional(),
  open: kernel.optional(),
  close: kernel.optional(),
  minArea: z.number().int().min(0).max(LIMITS.minAreaMax).optional(),
  blobs: z.boolean().optional(),
  motion: motionSchema.partial().optional(),
  targets: targetSettingsSchema.partial().extend({ filters: targetFiltersSchema.partial().optional(), crosshair: crosshairSchema.optional() }).optional(),
  zones: zonesSchema.optional(),
  transform: transformSchema.partial().extend({ crop: cropSchema.nullable().optional() }).optional(),
  output: outputSchema.partial().optional(),
  space: z.enum(SPACES).optional(),
  ranges: z.array(colourRangeSchema).max(LIMITS.maxRanges, `at most ${LIMITS.maxRanges} ranges are allowed`).optional(),
  quality: z.number().int().min(LIMITS.quality[0]).max(LIMITS.quality[1]).optional(),
});
export type SettingsPatch = z.infer<typeof settingsPatchSchema>;

const viewSchema = z.enum(VIEWS);

/** presetNameSchema: a name that is a file name on every system and can never leave its folder. */
export const presetNameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(64)
  .regex(/^[A-Za-z0-9_][\w .-]*$/, 'may hold letters, digits, space, dot, dash and underscore, and must start with a letter, digit or underscore')
  .refine((n) => !/[ .]$/.test(n), 'must not end with a space or a dot');

/** clientMessageSchema is every message a client may send. */
export const clientMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('set'), settings: settingsPatchSchema, id: z.number().int().optional() }),
  z.strictObject({ type: z.literal('view'), view: viewSchema }),
  z.strictObject({ type: z.literal('pause'), paused: z.boolean() }),
  z.strictObject({ type: z.literal('ping'), id: z.number().int(), t: z.number() }),
  // a viewer that acknowledges frames gets at most a couple ahead of what it has received
  z.strictObject({ type: z.literal('ack'), seq: z.number().int().min(0) }),
  z.strictObject({
    type: z.literal('pick'),
    // a box in the picture, as fractions of its width and height
    x: z.number().min(0).max(1),
    y: z.number().min(0).max(1),
    w: z.number().min(0).max(1),
    h: z.number().min(0).max(1),
  }),
  z.strictObject({ type: z.literal('source'), source: z.string().min(1).max(2048) }),
  z.strictObject({ type: z.literal('presets') }),
  z.strictObject({ type: z.literal('preset-save'), name: presetNameSchema }),
  z.strictObject({ type: z.literal('preset-load'), name: presetNameSchema }),
  z.strictObject({ type: z.literal('preset-delete'), name: presetNameSchema }),
  z.strictObject({ type: z.literal('preset-rename'), name: presetNameSchema, to: presetNameSchema }),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;
export type ClientMessageType = ClientMessage['type'];
const CLIENT_TYPES: ReadonlySet<string> = new Set(clientMessageSchema.options.map((o) => o.shape.type.value));

/** CONTROL_TYPES are the client messages that change shared state (control role only). */
export const CONTROL_TYPES: ReadonlySet<ClientMessageType> = new Set(['set', 'source', 'preset-save', 'preset-load', 'preset-delete', 'preset-rename']);

// ---------------------------------------------------------------------------------------
// Server → client messages (built by the server; the types are the contract).

export type { SourceStatus } from './status.js';

/** Blob is one connected region of a range's mask. */
export interface Blob {
  area: number; // px
  x: number;
  y: number;
  w: number;
  h: number;
  cx: number; // centroid, px
  cy: number;
}

/** RangeAnalysis is what one range found in one frame. */
export interface RangeAnalysis {
  name: string;
  color: string;
  /** Percent of the frame's pixels in this range's mask. */
  coverage: number;
  /** Number of blobs; absent when blob finding is off (`settings.blobs`). */
  blobs?: number;
  /** The largest blobs, largest first; absent when blob finding is off. */
  top?: Blob[];
}

/**
 * MethodInfo is what the method reports about a frame: Otsu's chosen level (0..255); each
 * cluster's index, colour (B, G, R) and coverage (%); the model's inference rate (per second)
 * and the age of the mask in use (ms; -1 before the first); and, for the threshold and edge
 * methods, the 256-bin histogram of their channel (counts scaled to 0..1000 of the tallest bin).
 */
export interface MethodInfo {
  otsuLevel?: number;
  clusters?: { index: number; bgr: [number, number, number]; coverage: number }[];
  model?: { fps: number; age: number };
  histogram?: number[];
}

/** Analysis is the per-frame result of segmentation, sent beside the JPEG. */
export interface Analysis {
  /** Percent of the frame's pixels in the final mask. */
  coverage: number;
  /** The method that made it. */
  method: MethodKind;
  /** One entry per region: a colour range, a cluster, a model class, or `threshold`, `edges`, `motion`. */
  ranges: RangeAnalysis[];
  info?: MethodInfo;
  /** Each region's targets, best first (while blob finding is on). */
  targets?: RegionTargets[];
  /** Each include zone's coverage and targets per region. */
  zones?: ZoneAnalysis[];
}

/** TimedAnalysis is an analysis with the capture time of its frame and the settings revision it used. */
export interface TimedAnalysis extends Analysis {
  /** capture time of the analysed frame, ms since the epoch */
  ts: number;
  /** settings revision the frame was segmented with */
  rev: number;
}

export type Role = 'control' | 'view';

export interface HelloMessage {
  type: 'hello';
  version: number;
  viewerId: number;
  role: Role;
  /** the camera this socket watches, and every camera's name */
  camera: string;
  cameras: string[];
  settings: Settings;
  revision: number;
  status: SourceStatus;
  viewers: number;
  views: readonly View[];
}
export interface FrameMessage {
  type: 'frame';
  seq: number;
  /** Capture time, ms since the epoch (server clock). */
  ts: number;
  /** Settings revision the frame was segmented with. */
  rev: number;
  width: number;
  height: number;
  view: View;
  jpeg: Uint8Array;
  /** True for a "no signal" placeholder rather than a camera frame. */
  placeholder?: boolean;
  analysis?: Analysis;
}
export interface SettingsMessage {
  type: 'settings';
  settings: Settings;
  revision: number;
  /** viewerId of whoever made the change (0 = the server or the HTTP API). */
  by: number;
  /** Echo of the `set` id that caused this, for the sender. */
  id?: number;
}
export interface StatusMessage {
  type: 'status';
  status: SourceStatus;
  viewers: number;
  /** Frames this viewer missed because its connection was busy. */
  dropped: number;
  /** The camera's rules and their states, when it has any (or has had: an empty list after the last was removed). */
  rules?: RuleState[];
  /** Bumped by every change of the rules' definitions or switches: fetch /api/rules again when it moves. */
  rulesRevision?: number;
  /** The recording being made now, if any. */
  recording?: RecordingNow | null;
}

/** RecordingNow is the recording a camera is making: its id, why, when it started (ms since the epoch) and frames so far. */
export interface RecordingNow {
  id: string;
  reason: string;
  started: number;
  frames: number;
}
export interface ErrorMessage {
  type: 'error';
  code: ErrorCode;
  message: string;
  /** The type of the message that caused it, when known. */
  ref?: string;
}
export interface PongMessage {
  type: 'pong';
  id: number;
  /** The client's `t`, echoed. */
  t: number;
  /** Server clock, ms since the epoch, when the ping was answered. */
  server: number;
}
export interface PickedMessage {
  type: 'picked';
  range: { lower: ColorRange['lower']; upper: ColorRange['upper'] };
  space: Space;
  /** Pixels sampled. */
  samples: number;
}
export interface PresetsMessage {
  type: 'presets';
  names: string[];
  /** The preset last loaded or saved, if any. */
  active?: string;
}

export type ServerMessage = HelloMessage | FrameMessage | SettingsMessage | StatusMessage | ErrorMessage | PongMessage | PickedMessage | PresetsMessage;

/** CamerasResponse is the body of `GET /api/cameras`. */
export interface CamerasResponse {
  cameras: CameraSummary[];
}

// ---------------------------------------------------------------------------------------
// Packing.

const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

/** pack encodes a message as one msgpack map. */
export function pack(message: ServerMessage | ClientMessage): Uint8Array {
  return packr.pack(message);
}

/** unpackServerMessage decodes a server message (the client trusts its own server). */
export function unpackServerMessage(bytes: Uint8Array): ServerMessage {
  return unpackr.unpack(bytes) as ServerMessage;
}

const MAX_DEPTH = 6;
const MAX_ITEMS = 256;

/** plainDataProblem returns why a decoded value is not plain JSON-like data, or null. */
function plainDataProblem(value: unknown, depth: number, path: string): string | null {
  const where = path || 'the message';
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : `${where} is not a finite number`;
  if (typeof value !== 'object') return `${where} has unsupported type ${typeof value}`;
  if (depth >= MAX_DEPTH) return `${where} is nested deeper than ${MAX_DEPTH} levels`;
  if (Array.isArray(value)) {
    if (value.length > MAX_ITEMS) return `${where} has ${value.length} items, more than ${MAX_ITEMS}`;
    for (let i = 0; i < value.length; i++) {
      const p = plainDataProblem(value[i], depth + 1, `${path}[${i}]`);
      if (p) return p;
    }
    return null;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return `${where} is not a plain map (msgpack extension types are not accepted)`;
  const keys = Object.keys(value);
  if (keys.length > MAX_ITEMS) return `${where} has ${keys.length} keys, more than ${MAX_ITEMS}`;
  for (const k of keys) {
    const p = plainDataProblem((value as Record<string, unknown>)[k], depth + 1, path ? `${path}.${k}` : k);
    if (p) return p;
  }
  return null;
}

/** describeZodError turns a schema failure into one sentence naming the field (or `what`, for the whole value). */
export function describeZodError(error: z.ZodError, what = 'value'): string {
  const issue = error.issues[0];
  if (!issue) return `${what} is invalid`;
  const path = issue.path.map(String).join('.') || what;
  const i = issue as z.core.$ZodIssue & { maximum?: number | bigint; minimum?: number | bigint; origin?: string; keys?: string[]; values?: unknown[]; expected?: string };
  switch (i.code) {
    case 'unrecognized_keys':
      return `${path === what ? what : path} has unknown field${i.keys!.length > 1 ? 's' : ''} ${i.keys!.map((k) => JSON.stringify(k)).join(', ')}`;
    case 'invalid_value':
      return `${path} must be one of ${(i.values ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_type':
      if (/received undefined/.test(i.message)) return `${path} is missing`;
      return `${path} ${/^must /.test(i.message) ? i.message : `must be ${i.expected === 'tuple' ? 'a list' : `a ${i.expected}`}`}`;
    case 'too_big':
      if (/^at most /.test(i.message)) return `${path}: ${i.message}`;
      return i.origin === 'array'
        ? `${path} may hold at most ${i.maximum} items`
        : i.origin === 'string'
          ? `${path} may be at most ${i.maximum} characters`
          : `${path} must be at most ${i.maximum}`;
    case 'too_small':
      return i.origin === 'array' ? `${path} must hold at least ${i.minimum} items` : i.origin === 'string' ? `${path} must not be empty` : `${path} must be at least ${i.minimum}`;
    default:
      return `${path} ${/^must |^may /.test(i.message) ? i.message : `is invalid: ${i.message}`}`;
  }
}

/** Result of validating untrusted input: the value, or an error safe to send back. */
export type Checked<T> = { ok: true; value: T } | { ok: false; error: SegcamError };

/**
 * validatePlain checks decoded untrusted data against a schema, after making sure it is
 * plain data (finite numbers, bounded arrays, shallow maps, no extension types). `what`
 * names the whole value in messages ("settings", "the request body").
 */
export function validatePlain<T>(schema: z.ZodType<T>, data: unknown, what = 'message'): Checked<T> {
  const problem = plainDataProblem(data, 0, '');
  if (problem) return { ok: false, error: new SegcamError(ERROR_CODES.INVALID, problem.replace(/^the message/, what)) };
  const parsed = schema.safeParse(data);
  if (!parsed.success) return { ok: false, error: new SegcamError(ERROR_CODES.INVALID, describeZodError(parsed.error, what)) };
  return { ok: true, value: parsed.data };
}

/** decodeClientMessage decodes and validates one untrusted binary message. It never throws. */
export function decodeClientMessage(bytes: Uint8Array): Checked<ClientMessage> {
  const bad = (message: string): Checked<ClientMessage> => ({ ok: false, error: new SegcamError(ERROR_CODES.BAD_MESSAGE, message) });
  if (bytes.length > MAX_CLIENT_MESSAGE_BYTES) return bad(`message is ${bytes.length} bytes, more than ${MAX_CLIENT_MESSAGE_BYTES}`);
  let data: unknown;
  try {
    data = unpackr.unpack(bytes);
  } catch (e) {
    return bad(`not a msgpack message: ${(e as Error).message ?? String(e)}`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data) || Object.getPrototypeOf(data) !== Object.prototype) {
    return bad('a message must be a msgpack map with a type field');
  }
  const type = (data as { type?: unknown }).type;
  if (type === undefined) return bad('a message must be a msgpack map with a type field');
  if (typeof type !== 'string' || !CLIENT_TYPES.has(type)) {
    const shown = typeof type === 'string' ? JSON.stringify(type.slice(0, 32)) : `of kind ${type === null ? 'null' : typeof type}`;
    return { ok: false, error: new SegcamError(ERROR_CODES.UNKNOWN_TYPE, `unknown message type ${shown}`) };
  }
  return validatePlain(clientMessageSchema, data, type);
}

/** mergeMethod applies a method patch: merged into the current method of the same kind, else over the new kind's defaults. */
function mergeMethod(current: Method, patch: z.infer<typeof methodPatchSchema>): Method {
  const base = (current.kind === patch.kind ? current : METHOD_DEFAULTS[patch.kind as MethodKind]) as unknown as Record<string, unknown>;
  const p = patch as unknown as Record<string, unknown>;
  const merged: Record<string, unknown> = { ...base, ...p };
  for (const k of ['adaptive', 'input']) if (p[k] && base[k]) merged[k] = { ...(base[k] as object), ...(p[k] as object) };
  return merged as unknown as Method;
}

/**
 * applySettingsPatch merges a validated patch into settings and checks the result as a whole.
 * A change of the colour space without ranges converts the current ranges to it (the same
 * conversion the viewer uses). Returns new settings; `current` is not touched.
 */
export function applySettingsPatch(current: Settings, patch: SettingsPatch): Checked<Settings> {
  let method = patch.method ? mergeMethod(current.method, patch.method) : current.method;
  if (patch.space !== undefined || patch.ranges !== undefined) {
    // the names of version 1: the colour method's space and ranges
    const colour = method.kind === 'colour' ? method : { ...METHOD_DEFAULTS.colour, ranges: [] };
    const space = patch.space ?? colour.space;
    const ranges = patch.ranges ?? (space === colour.space ? colour.ranges : colour.ranges.map((r) => convertRange(r as ColorRange, colour.space, space)));
    method = { ...colour, space, ranges };
  } else if (patch.method?.kind === 'colour' && current.method.kind === 'colour' && patch.method.space && patch.method.space !== current.method.space && !patch.method.ranges) {
    const from = current.method.space;
    method = { ...method, ranges: current.method.ranges.map((r) => convertRange(r as ColorRange, from, patch.method!.kind === 'colour' ? patch.method!.space! : from)) } as Method;
  }
  const t = patch.targets;
  return checkSettings({
    ...current,
    ...(patch.blur !== undefined ? { blur: patch.blur } : {}),
    ...(patch.open !== undefined ? { open: patch.open } : {}),
    ...(patch.close !== undefined ? { close: patch.close } : {}),
    ...(patch.minArea !== undefined ? { minArea: patch.minArea } : {}),
    ...(patch.blobs !== undefined ? { blobs: patch.blobs } : {}),
    ...(patch.zones !== undefined ? { zones: patch.zones } : {}),
    method,
    motion: { ...current.motion, ...patch.motion },
    targets: t ? { ...current.targets, ...t, filters: { ...current.targets.filters, ...t.filters }, crosshair: t.crosshair ?? current.targets.crosshair } : current.targets,
    transform: { ...current.transform, ...patch.transform },
    output: { ...current.output, ...patch.output, ...(patch.quality !== undefined ? { quality: patch.quality } : {}) },
  });
}

/**
 * upgradeSettings turns settings saved by earlier versions into today's shape: `space` and
 * `ranges` become the colour method, `quality` the output's, and what did not exist yet takes
 * its default. Anything else is left for the schema to judge.
 */
export function upgradeSettings(data: unknown): unknown {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return data;
  const { space, ranges, quality, ...rest } = data as Record<string, unknown>;
  const out: Record<string, unknown> = { ...rest };
  if (!('method' in out) && (space !== undefined || ranges !== undefined)) out.method = { kind: 'colour', space: space ?? 'hsv', ranges: ranges ?? [] };
  else if (space !== undefined || ranges !== undefined) Object.assign(out, { space, ranges }); // both: let the schema say so
  if (quality !== undefined) out.output = { ...((out.output as object) ?? {}), quality };
  out.blobs ??= DEFAULT_SETTINGS.blobs; // saved before it existed
  out.targets ??= DEFAULT_TARGET_SETTINGS;
  out.zones ??= [];
  out.transform ??= DEFAULT_TRANSFORM;
  out.output ??= DEFAULT_SETTINGS.output;
  out.method ??= DEFAULT_SETTINGS.method;
  return out;
}

/** SettingsInput is a settings object whose ranges may still lack names and colours. */
export type SettingsInput = z.input<typeof settingsSchema>;

/** checkSettings validates a whole settings object, completing range names and colours and checking the method, targets, zones and transform. */
export function checkSettings(input: SettingsInput | Settings): Checked<Settings> {
  const parsed = settingsSchema.safeParse(input);
  if (!parsed.success) return { ok: false, error: new SegcamError(ERROR_CODES.INVALID, describeZodError(parsed.error, 'settings')) };
  const settings = { ...parsed.data, method: completeMethod(parsed.data.method) } as Settings;
  const problem = methodProblem(settings.method);
  if (problem) {
    const impossible = settings.method.kind === 'colour' && /^ranges\.\d+ .*(outside|is above)/.test(problem);
    return { ok: false, error: new SegcamError(impossible ? ERROR_CODES.IMPOSSIBLE_RANGE : ERROR_CODES.INVALID, problem) };
  }
  if (settings.blur % 2 === 0 && settings.blur !== 0) {
    return { ok: false, error: new SegcamError(ERROR_CODES.INVALID, `blur must be 0 or an odd number of px, got ${settings.blur}`) };
  }
  const other = targetSettingsProblem(settings.targets) ?? zonesProblem(settings.zones) ?? transformProblem(settings.transform);
  if (other) return { ok: false, error: new SegcamError(ERROR_CODES.INVALID, other) };
  return { ok: true, value: settings };
}

/** sameSettings tells whether two settings objects select and render exactly alike (a no-op change). */
export function sameSettings(a: Settings, b: Settings): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
