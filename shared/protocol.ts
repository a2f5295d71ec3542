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
  DEFAULT_SETTINGS,
  LIMITS,
  MOTION_ALGORITHMS,
  MOTION_MODES,
  SPACES,
  VIEWS,
  completeRanges,
  rangeNamesProblem,
  rangeProblem,
  type ColorRange,
  type Settings,
  type View,
} from './settings.js';
import type { CameraSummary, SourceStatus } from './status.js';

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

// bounds are checked against the range's space by rangeProblem (one error code for every bound)
const channel = z.number().int('must be a whole number');
const triple = z.tuple([channel, channel, channel], { error: 'must be three numbers' });
const kernel = z.number().int().min(0).max(LIMITS.kernelMax);

/** rangeInputSchema validates one range as a client writes it; the name and colour may be left out. */
export const rangeInputSchema = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(LIMITS.nameLength).optional(),
  color: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #ff8800').optional(),
  lower: triple,
  upper: triple,
});

const motionSchema = z.strictObject({
  mode: z.enum(MOTION_MODES),
  algorithm: z.enum(MOTION_ALGORITHMS),
  history: z.number().int().min(1).max(LIMITS.historyMax),
  learningRate: z.number().min(-1).max(1),
  shadows: z.boolean(),
});

const rangesSchema = z.array(rangeInputSchema).max(LIMITS.maxRanges, `at most ${LIMITS.maxRanges} ranges are allowed`);

/** settingsSchema validates a whole Settings object (saved files and presets); checkSettings completes and cross-checks it. */
export const settingsSchema = z.strictObject({
  space: z.enum(SPACES),
  ranges: rangesSchema,
  quality: z.number().int().min(LIMITS.quality[0]).max(LIMITS.quality[1]),
  blur: kernel,
  open: kernel,
  close: kernel,
  minArea: z.number().int().min(0).max(LIMITS.minAreaMax),
  blobs: z.boolean().default(DEFAULT_SETTINGS.blobs), // files saved before it existed lack it
  motion: motionSchema,
});

/**
 * settingsPatchSchema validates a partial update; `ranges` is replaced whole, `motion` merged.
 * `blobs` is redeclared without its default: a patch that does not mention it leaves it alone.
 */
export const settingsPatchSchema = settingsSchema
  .partial()
  .extend({ blobs: z.boolean().optional(), motion: motionSchema.partial().optional() })
  .strict();
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

/** Analysis is the per-frame result of segmentation, sent beside the JPEG. */
export interface Analysis {
  /** Percent of the frame's pixels in the final mask. */
  coverage: number;
  ranges: RangeAnalysis[];
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
  space: Settings['space'];
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
      return i.origin === 'array' ? `${path} may hold at most ${i.maximum} items` : i.origin === 'string' ? `${path} may be at most ${i.maximum} characters` : `${path} must be at most ${i.maximum}`;
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

/**
 * applySettingsPatch merges a validated patch into settings and checks the result as a whole.
 * A patch that changes the space without giving ranges converts the current ranges to it (the
 * same conversion the viewer uses). Returns new settings; `current` is not touched.
 */
export function applySettingsPatch(current: Settings, patch: SettingsPatch): Checked<Settings> {
  const space = patch.space ?? current.space;
  const ranges = patch.ranges ?? (space === current.space ? current.ranges : current.ranges.map((r) => convertRange(r, current.space, space)));
  return checkSettings({ ...current, ...patch, space, ranges: completeRanges(ranges), motion: { ...current.motion, ...patch.motion } });
}

/** SettingsInput is a settings object whose ranges may still lack names and colours. */
export type SettingsInput = Omit<Settings, 'ranges'> & { ranges: z.infer<typeof rangeInputSchema>[] };

/** checkSettings validates a whole settings object, completing range names and colours and checking each range against its space. */
export function checkSettings(input: SettingsInput | Settings): Checked<Settings> {
  const parsed = settingsSchema.safeParse(input);
  if (!parsed.success) return { ok: false, error: new SegcamError(ERROR_CODES.INVALID, describeZodError(parsed.error, 'settings')) };
  const settings: Settings = { ...parsed.data, ranges: completeRanges(parsed.data.ranges) };
  for (let i = 0; i < settings.ranges.length; i++) {
    const r = settings.ranges[i]!;
    const problem = rangeProblem(settings.space, r);
    if (problem) return { ok: false, error: new SegcamError(ERROR_CODES.IMPOSSIBLE_RANGE, `ranges.${i} (${r.name}): ${problem}`) };
  }
  const names = rangeNamesProblem(settings.ranges);
  if (names) return { ok: false, error: new SegcamError(ERROR_CODES.INVALID, `ranges: ${names}`) };
  if (settings.blur % 2 === 0 && settings.blur !== 0) {
    return { ok: false, error: new SegcamError(ERROR_CODES.INVALID, `blur must be 0 or an odd number of px, got ${settings.blur}`) };
  }
  return { ok: true, value: settings };
}

/** sameSettings tells whether two settings objects select and render exactly alike (a no-op change). */
export function sameSettings(a: Settings, b: Settings): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
