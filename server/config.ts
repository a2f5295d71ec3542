/**
 * Command line and environment: every flag, its environment variable, its default, and the
 * one-sentence error for a bad value. Nothing here starts anything.
 */
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkSettings } from '../shared/protocol.js';
import { DEFAULT_SETTINGS, RANGE_COLORS, SPACES, cloneSettings, type ColorRange, type Settings, type Space, type Triple } from '../shared/settings.js';
import { fileProblem, parseSource, type SourceSpec } from './capture/source.js';

/** Config is everything the server needs to start, already validated. */
export interface Config {
  source: SourceSpec;
  port: number;
  host: string;
  width: number;
  height: number;
  /** Requested rate; 0 = unpaced for files and the demo. */
  fps: number;
  fourcc: string | null;
  rtspTransport: 'tcp' | 'udp';
  loop: boolean;
  /** Settings from flags, or null when none were given (saved settings then win). */
  initialSettings: Settings | null;
  /** null when --no-auth; otherwise the control token (given or generated) and the view token. */
  auth: { token: string; viewToken: string | null } | null;
  allowOrigins: string[];
  maxViewers: number;
  /** A viewer with more than this many bytes buffered skips frames. */
  maxBufferedBytes: number;
  stallTimeoutMs: number;
  openTimeoutMs: number;
  retryMinMs: number;
  retryMaxMs: number;
  dataDir: string;
  preset: string | null;
  quiet: boolean;
}

/** ConfigError is a bad flag or value; its message is one sentence for the user. */
export class ConfigError extends Error {}

interface FlagDoc {
  flag: string;
  type: 'string' | 'boolean';
  multiple?: boolean;
  default: string;
  help: string;
}

const DEFAULT_DATA_DIR = join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'segcam');

/** FLAGS documents every flag; `--help` prints this table and the environment variable of each. */
export const FLAGS: FlagDoc[] = [
  { flag: 'source', type: 'string', default: 'auto', help: 'camera index (0), device (/dev/video0), rtsp://, rtsps://, http(s):// URL, video file, demo, or auto (camera 0, else demo)' },
  { flag: 'port', type: 'string', default: '8080', help: 'HTTP/WebSocket port; 0 picks a free one' },
  { flag: 'host', type: 'string', default: '127.0.0.1', help: 'address to listen on; 0.0.0.0 exposes segcam to the network' },
  { flag: 'width', type: 'string', default: '640', help: 'requested capture width, px (cameras and the demo)' },
  { flag: 'height', type: 'string', default: '480', help: 'requested capture height, px' },
  { flag: 'fps', type: 'string', default: '30', help: 'requested frame rate; 0 = unpaced for files and the demo (as fast as the pipeline goes)' },
  { flag: 'fourcc', type: 'string', default: '', help: 'camera pixel format, e.g. MJPG for USB cameras that reach full rate only with it' },
  { flag: 'rtsp-transport', type: 'string', default: 'tcp', help: 'RTSP transport: tcp or udp' },
  { flag: 'loop', type: 'boolean', default: 'true', help: 'loop video files (--no-loop plays once and then shows "ended")' },
  { flag: 'quality', type: 'string', default: String(DEFAULT_SETTINGS.quality), help: 'JPEG quality, 1-100' },
  { flag: 'space', type: 'string', default: DEFAULT_SETTINGS.space, help: 'colour space of the ranges: hsv or bgr' },
  { flag: 'range', type: 'string', multiple: true, default: '170,100,80:10,255,255', help: 'a colour range [name=]L1,L2,L3:U1,U2,U3; repeat for several (OR-ed); hue wraps when L1 > U1' },
  { flag: 'blobs', type: 'boolean', default: 'true', help: "find each range's blobs (count, boxes, centroids); --no-blobs keeps coverage only and saves a labelling pass per range" },
  { flag: 'token', type: 'string', default: '(random)', help: 'control token: may watch and change settings' },
  { flag: 'view-token', type: 'string', default: '', help: 'optional view-only token: may watch, may not change anything' },
  { flag: 'no-auth', type: 'boolean', default: 'false', help: 'turn authentication off (anyone who can reach the port may watch and control)' },
  { flag: 'allow-origin', type: 'string', multiple: true, default: '', help: 'extra Origin allowed to open the WebSocket (same origin is always allowed); repeatable' },
  { flag: 'max-viewers', type: 'string', default: '64', help: 'most simultaneous viewers (WebSocket and MJPEG)' },
  { flag: 'max-buffered', type: 'string', default: '512', help: 'KiB a viewer may have buffered before it skips frames' },
  { flag: 'stall-timeout', type: 'string', default: '5', help: 's without a frame before a live source is declared stalled and reopened' },
  { flag: 'open-timeout', type: 'string', default: '5', help: 's a network source may take to open or to deliver data' },
  { flag: 'retry-min', type: 'string', default: '0.5', help: 's before the first reconnect attempt' },
  { flag: 'retry-max', type: 'string', default: '30', help: 's cap of the jittered exponential reconnect backoff' },
  { flag: 'data-dir', type: 'string', default: '$XDG_CONFIG_HOME/segcam or ~/.config/segcam', help: 'where settings and presets are saved' },
  { flag: 'preset', type: 'string', default: '', help: 'load this saved preset at start' },
  { flag: 'quiet', type: 'boolean', default: 'false', help: 'log warnings and errors only' },
  { flag: 'help', type: 'boolean', default: '', help: 'print this help and exit' },
];

/** envName returns the environment variable that sets a flag: --max-viewers → SEGCAM_MAX_VIEWERS. */
export function envName(flag: string): string {
  return `SEGCAM_${flag.replace(/-/g, '_').toUpperCase()}`;
}

/** helpText renders the --help output. */
export function helpText(): string {
  const rows = FLAGS.map((f) => {
    const name = `--${f.flag}${f.type === 'string' ? ' VALUE' : ''}`;
    const def = f.default ? ` (default: ${f.default})` : '';
    const env = f.flag === 'help' ? '' : `  [${envName(f.flag)}]`;
    return `  ${name.padEnd(26)}${f.help}${def}${env}`;
  });
  return [
    'segcam: live camera segmentation, tuned from the browser',
    '',
    'usage: npm start -- [flags]',
    '',
    ...rows,
    '',
    'Every flag can also be set by its environment variable; a flag on the command line wins.',
  ].join('\n');
}

function number(name: string, text: string, min: number, max: number, integer = true): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
    throw new ConfigError(`--${name} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got "${text}".`);
  }
  return v;
}

/** parseRange parses `[name=]L1,L2,L3:U1,U2,U3`. */
export function parseRange(text: string, index: number): ColorRange {
  const m = /^(?:([\w.-]{1,32})=)?(\d{1,3}),(\d{1,3}),(\d{1,3}):(\d{1,3}),(\d{1,3}),(\d{1,3})$/.exec(text.trim());
  if (!m) throw new ConfigError(`--range must look like [name=]L1,L2,L3:U1,U2,U3 (e.g. red=170,100,80:10,255,255), got "${text}".`);
  const n = m.slice(2).map(Number);
  return {
    name: m[1] ?? `range${index + 1}`,
    color: RANGE_COLORS[index % RANGE_COLORS.length]!,
    lower: n.slice(0, 3) as Triple,
    upper: n.slice(3, 6) as Triple,
  };
}

/**
 * parseConfig turns argv and the environment into a Config, or throws ConfigError with one
 * sentence. Returns null when --help was asked for.
 */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): Config | null {
  const options = Object.fromEntries(
    FLAGS.filter((f) => f.flag !== 'no-auth').map((f) => [f.flag, { type: f.type, multiple: f.multiple ?? false }]),
  ) as Record<string, { type: 'string' | 'boolean'; multiple: boolean }>;
  options['auth'] = { type: 'boolean', multiple: false };
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false, allowNegative: true }) as { values: typeof values });
  } catch (e) {
    throw new ConfigError(`${(e as Error).message.replace(/\.?$/, '.')} See --help.`);
  }
  if (values.help) return null;

  const get = (flag: string): string | undefined => {
    const v = values[flag];
    if (typeof v === 'string') return v;
    if (Array.isArray(v)) return v[v.length - 1];
    return env[envName(flag)];
  };
  const getBool = (flag: string, fallback: boolean): boolean => {
    const v = values[flag];
    if (typeof v === 'boolean') return v;
    const e = env[envName(flag)];
    if (e === undefined || e === '') return fallback;
    if (/^(1|true|yes|on)$/i.test(e)) return true;
    if (/^(0|false|no|off)$/i.test(e)) return false;
    throw new ConfigError(`${envName(flag)} must be true or false, got "${e}".`);
  };
  /** given: the flag is on the command line, or its environment variable is set and not empty */
  const given = (flag: string): boolean => values[flag] !== undefined || Boolean(env[envName(flag)]);
  const list = (flag: string): string[] => {
    const v = values[flag];
    if (Array.isArray(v)) return v;
    const e = env[envName(flag)];
    return e ? e.split(/\s+/).filter(Boolean) : [];
  };

  const noAuth = values.auth === false || getBool('no-auth', false);
  const token = get('token') ?? null;
  const viewToken = get('view-token') || null;
  if (noAuth && (token || viewToken)) throw new ConfigError('--no-auth cannot be combined with --token or --view-token.');
  for (const [flag, t] of [['token', token], ['view-token', viewToken]] as const) {
    if (t !== null && !/^[\w.~-]{8,128}$/.test(t)) {
      throw new ConfigError(`--${flag} must be 8 to 128 characters of letters, digits, '.', '_', '~' or '-'.`);
    }
  }
  if (token && viewToken && token === viewToken) throw new ConfigError('--view-token must differ from --token.');

  const space = get('space') ?? DEFAULT_SETTINGS.space;
  if (!(SPACES as readonly string[]).includes(space)) throw new ConfigError(`--space must be hsv or bgr, got "${space}".`);
  const quality = get('quality');
  const ranges = list('range');
  let initialSettings: Settings | null = null;
  if (ranges.length || given('space') || quality !== undefined || given('blobs')) {
    initialSettings = cloneSettings(DEFAULT_SETTINGS);
    initialSettings.space = space as Space;
    if (quality !== undefined) initialSettings.quality = number('quality', quality, 1, 100);
    if (ranges.length) initialSettings.ranges = ranges.map(parseRange);
    initialSettings.blobs = getBool('blobs', DEFAULT_SETTINGS.blobs);
    const checked = checkSettings(initialSettings);
    if (!checked.ok) throw new ConfigError(`--range: ${checked.error.message.replace(/^ranges\.\d+ /, '')}.`);
  }

  const transport = get('rtsp-transport') ?? 'tcp';
  if (transport !== 'tcp' && transport !== 'udp') throw new ConfigError(`--rtsp-transport must be tcp or udp, got "${transport}".`);
  const fourcc = get('fourcc') || null;
  if (fourcc !== null && !/^[\w ]{4}$/.test(fourcc)) throw new ConfigError(`--fourcc must be four characters such as MJPG or YUYV, got "${fourcc}".`);

  const sourceText = get('source') ?? 'auto';
  let source: SourceSpec;
  try {
    source = parseSource(sourceText);
  } catch (e) {
    throw new ConfigError(`--source: ${(e as Error).message}.`);
  }
  if (source.kind === 'file') {
    const problem = fileProblem(source.path);
    if (problem) throw new ConfigError(`--source: ${problem === 'not found' ? 'file not found' : 'not a file'}: ${source.path}.`);
  }
  const host = get('host') ?? '127.0.0.1';
  if (!/^[\w.:-]+$/.test(host)) throw new ConfigError(`--host must be an address or host name, got "${host}".`);
  const origins = list('allow-origin');
  for (const o of origins) {
    if (!/^https?:\/\/[^/\s]+$/.test(o)) throw new ConfigError(`--allow-origin must be an origin like https://example.com (no path), got "${o}".`);
  }
  const retryMin = number('retry-min', get('retry-min') ?? '0.5', 0.05, 3600, false);
  const retryMax = number('retry-max', get('retry-max') ?? '30', 0.05, 3600, false);
  if (retryMax < retryMin) throw new ConfigError(`--retry-max (${retryMax}) must not be below --retry-min (${retryMin}).`);
  const preset = get('preset') || null;
  if (preset !== null && !/^[\w .-]{1,64}$/.test(preset)) throw new ConfigError(`--preset must be a preset name (letters, digits, space, dot, dash, underscore), got "${preset}".`);

  return {
    source,
    port: number('port', get('port') ?? '8080', 0, 65535),
    host,
    width: number('width', get('width') ?? '640', 16, 7680),
    height: number('height', get('height') ?? '480', 16, 4320),
    fps: number('fps', get('fps') ?? '30', 0, 240, false),
    fourcc,
    rtspTransport: transport,
    loop: getBool('loop', true),
    initialSettings,
    auth: noAuth ? null : { token: token ?? randomBytes(18).toString('base64url'), viewToken },
    allowOrigins: origins,
    maxViewers: number('max-viewers', get('max-viewers') ?? '64', 1, 10_000),
    maxBufferedBytes: number('max-buffered', get('max-buffered') ?? '512', 16, 1_048_576) * 1024,
    stallTimeoutMs: number('stall-timeout', get('stall-timeout') ?? '5', 0.5, 3600, false) * 1000,
    openTimeoutMs: number('open-timeout', get('open-timeout') ?? '5', 0.5, 600, false) * 1000,
    retryMinMs: retryMin * 1000,
    retryMaxMs: retryMax * 1000,
    dataDir: get('data-dir') ?? DEFAULT_DATA_DIR,
    preset,
    quiet: getBool('quiet', false),
  } satisfies Config;
}
