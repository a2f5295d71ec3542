/**
 * The segcam wire protocol, defined once: message types, error and close codes, the version,
 * packing (msgpack maps with a `type` field over a binary WebSocket at /ws) and the validators
 * that every inbound message and every HTTP body goes through. Server and client import this.
 */
import { Packr, Unpackr } from 'msgpackr';
import { z } from 'zod';
import {
  DEFAULT_SETTINGS,
  LIMITS,
  MOTION_ALGORITHMS,
  MOTION_MODES,
  SPACES,
  VIEWS,
  rangeProblem,
  type ColorRange,
  type Settings,
  type View,
} from './settings.js';

/** PROTOCOL_VERSION changes whenever a message changes shape incompatibly. */
export const PROTOCOL_VERSION = 1;

/** WS_PATH is where the WebSocket endpoint listens. */
export const WS_PATH = '/ws';

/** MAX_CLIENT_MESSAGE_BYTES caps an inbound WebSocket message; a control message is small. */
export const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024;

/** ERROR_CODES are the stable `code` strings of `error` messages and JSON error bodies. */
export const ERROR_CODES = {
  BAD_MESSAGE: 'BAD_MESSAGE', // bytes that do not decode as one msgpack map of plain data
  UNKNOWN_TYPE: 'UNKNOWN_TYPE',
  INVALID: 'INVALID', // decodes, but fails the schema
  IMPOSSIBLE_RANGE: 'IMPOSSIBLE_RANGE',
  FORBIDDEN: 'FORBIDDEN', // view-only role tried to change something
  UNAUTHORIZED: 'UNAUTHORIZED',
  RATE_LIMITED: 'RATE_LIMITED',
  SOURCE_FAILED: 'SOURCE_FAILED',
  NO_FRAME: 'NO_FRAME',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  TOO_MANY_VIEWERS: 'TOO_MANY_VIEWERS',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** CLOSE_CODES are the WebSocket close codes the server uses, with their meaning. */
export const CLOSE_CODES = {
  GOING_AWAY: 1001, // server shutting down
  MESSAGE_TOO_BIG: 1009,
  TRY_AGAIN_LATER: 1013, // too many viewers
  ABUSE: 4008, // persistent garbage or rate-limit abuse
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

const channel = z.number().int().min(0).max(LIMITS.channelMax);
const triple = z.tuple([channel, channel, channel]);
const kernel = z.number().int().min(0).max(LIMITS.kernelMax);

/** colorRangeSchema validates one range's shape; rangeProblem() checks it against its space. */
export const colorRangeSchema = z.strictObject({
  name: z.string().min(1).max(LIMITS.nameLength),
  color: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be #rrggbb'),
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

/** settingsSchema validates a whole Settings object (used for saved files and presets). */
export const settingsSchema = z.strictObject({
  space: z.enum(SPACES),
  ranges: z.array(colorRangeSchema).max(LIMITS.maxRanges),
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
const presetName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[\w .-]+$/, 'may hold letters, digits, space, dot, dash and underscore only');

/** clientMessageSchema is every message a client may send. */
export const clientMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('set'), settings: settingsPatchSchema, id: z.number().int().optional() }),
  z.strictObject({ type: z.literal('view'), view: viewSchema }),
  z.strictObject({ type: z.literal('pause'), paused: z.boolean() }),
  z.strictObject({ type: z.literal('ping'), id: z.number().int(), t: z.number() }),
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
  z.strictObject({ type: z.literal('preset-save'), name: presetName }),
  z.strictObject({ type: z.literal('preset-load'), name: presetName }),
  z.strictObject({ type: z.literal('preset-delete'), name: presetName }),
  z.strictObject({ type: z.literal('preset-rename'), name: presetName, to: presetName }),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;
export type ClientMessageType = ClientMessage['type'];

/** CONTROL_TYPES are the client messages that change shared state (control role only). */
export const CONTROL_TYPES: ReadonlySet<ClientMessageType> = new Set([
  'set',
  'source',
  'preset-save',
  'preset-load',
  'preset-delete',
  'preset-rename',
]);

export { presetName as presetNameSchema };

// ---------------------------------------------------------------------------------------
// Server → client messages (built by the server; the types are the contract).

export type SourceState = 'starting' | 'live' | 'reconnecting' | 'offline' | 'ended';

/** SourceStatus describes the capture source as viewers should see it. */
export interface SourceStatus {
  state: SourceState;
  /** The source as given, with any URL password removed. */
  source: string;
  kind: 'camera' | 'url' | 'file' | 'demo';
  width?: number;
  height?: number;
  fps?: number;
  /** Reconnect attempt number (1 = first retry). */
  attempt?: number;
  /** Epoch ms of the next attempt. */
  retryAt?: number;
  error?: string;
  /** Epoch ms since when this state holds. */
  since: number;
}

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

export type Role = 'control' | 'view';

export interface HelloMessage {
  type: 'hello';
  version: number;
  viewerId: number;
  role: Role;
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

export type ServerMessage =
  | HelloMessage
  | FrameMessage
  | SettingsMessage
  | StatusMessage
  | ErrorMessage
  | PongMessage
  | PickedMessage
  | PresetsMessage;

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
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : `${path} is not a finite number`;
  if (typeof value !== 'object') return `${path} has unsupported type ${typeof value}`;
  if (depth >= MAX_DEPTH) return `${path} is nested deeper than ${MAX_DEPTH} levels`;
  if (Array.isArray(value)) {
    if (value.length > MAX_ITEMS) return `${path} has ${value.length} items, more than ${MAX_ITEMS}`;
    for (let i = 0; i < value.length; i++) {
      const p = plainDataProblem(value[i], depth + 1, `${path}[${i}]`);
      if (p) return p;
    }
    return null;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return `${path} is not a plain map (msgpack extension types are not accepted)`;
  const keys = Object.keys(value);
  if (keys.length > MAX_ITEMS) return `${path} has ${keys.length} keys, more than ${MAX_ITEMS}`;
  for (const k of keys) {
    const p = plainDataProblem((value as Record<string, unknown>)[k], depth + 1, path ? `${path}.${k}` : k);
    if (p) return p;
  }
  return null;
}

/** describeZodError turns a schema failure into one sentence naming the field. */
export function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const path = issue.path.map(String).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}

/** Result of validating untrusted input: the value, or an error safe to send back. */
export type Checked<T> = { ok: true; value: T } | { ok: false; error: SegcamError };

/**
 * validatePlain checks decoded untrusted data against a schema, after making sure it is
 * plain data (finite numbers, bounded arrays, shallow maps, no extension types).
 */
export function validatePlain<T>(schema: z.ZodType<T>, data: unknown, what = 'message'): Checked<T> {
  const problem = plainDataProblem(data, 0, '');
  if (problem) return { ok: false, error: new SegcamError(ERROR_CODES.INVALID, `${what}: ${problem}`) };
  const parsed = schema.safeParse(data);
  if (!parsed.success) return { ok: false, error: new SegcamError(ERROR_CODES.INVALID, `${what}: ${describeZodError(parsed.error)}`) };
  return { ok: true, value: parsed.data };
}

/** decodeClientMessage decodes and validates one untrusted binary message. It never throws. */
export function decodeClientMessage(bytes: Uint8Array): Checked<ClientMessage> {
  if (bytes.length > MAX_CLIENT_MESSAGE_BYTES) {
    return { ok: false, error: new SegcamError(ERROR_CODES.BAD_MESSAGE, `message is ${bytes.length} bytes, more than ${MAX_CLIENT_MESSAGE_BYTES}`) };
  }
  let data: unknown;
  try {
    data = unpackr.unpack(bytes);
  } catch (e) {
    return { ok: false, error: new SegcamError(ERROR_CODES.BAD_MESSAGE, `not a msgpack message: ${(e as Error).message ?? String(e)}`) };
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { ok: false, error: new SegcamError(ERROR_CODES.BAD_MESSAGE, 'a message must be a msgpack map with a type field') };
  }
  const type = (data as { type?: unknown }).type;
  if (typeof type !== 'string' || !clientMessageSchema.options.some((o) => o.shape.type.value === type)) {
    return {
      ok: false,
      error: new SegcamError(
        ERROR_CODES.UNKNOWN_TYPE,
        `unknown message type ${typeof type === 'string' ? JSON.stringify(type.slice(0, 32)) : type === undefined || type === null ? 'null' : `of kind ${typeof type}`}`,
      ),
    };
  }
  return validatePlain(clientMessageSchema, data, type);
}

/**
 * applySettingsPatch merges a validated patch into settings and checks the result as a whole
 * (ranges against the space's channel limits). Returns new settings; `current` is not touched.
 */
export function applySettingsPatch(current: Settings, patch: SettingsPatch): Checked<Settings> {
  const next: Settings = {
    ...current,
    ...patch,
    ranges: (patch.ranges ?? current.ranges).map((r) => ({ ...r, lower: [...r.lower], upper: [...r.upper] }) as ColorRange),
    motion: { ...current.motion, ...patch.motion },
  };
  const checked = checkSettings(next);
  return checked;
}

/** checkSettings validates a whole settings object, including each range against its space. */
export function checkSettings(settings: Settings): Checked<Settings> {
  const parsed = settingsSchema.safeParse(settings);
  if (!parsed.success) return { ok: false, error: new SegcamError(ERROR_CODES.INVALID, `settings: ${describeZodError(parsed.error)}`) };
  for (let i = 0; i < settings.ranges.length; i++) {
    const problem = rangeProblem(settings.space, settings.ranges[i]!);
    if (problem) return { ok: false, error: new SegcamError(ERROR_CODES.IMPOSSIBLE_RANGE, `ranges.${i} (${settings.ranges[i]!.name}): ${problem}`) };
  }
  if (settings.blur % 2 === 0 && settings.blur !== 0) {
    return { ok: false, error: new SegcamError(ERROR_CODES.INVALID, `settings: blur must be 0 or an odd number of px, got ${settings.blur}`) };
  }
  return { ok: true, value: parsed.data as Settings };
}
