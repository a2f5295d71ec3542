/**
 * Every command-line flag, once: its name, environment variable, default, help line and the
 * parser that turns its text into a value (or one sentence saying what is wrong). `--help`
 * prints this table and `readFlags` reads argv and the environment through it, so the help
 * and the parser cannot drift apart.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

/** ConfigError is a bad flag, value or config file; its message is one sentence for the user. */
export class ConfigError extends Error {}

interface FlagSpec<T> {
  kind: 'string' | 'boolean' | 'list';
  /** placeholder for the value in --help ("N", "S", "FILE") */
  value?: string;
  default: T;
  /** how --help shows the default when it is not the value itself */
  shown?: string;
  help: string;
  parse: (text: string, flag: string) => T;
  /** no environment variable (e.g. --help) */
  noEnv?: boolean;
}

const text = (value: string, def: string | null, help: string, check?: (t: string, flag: string) => void): FlagSpec<string | null> => ({
  kind: 'string',
  value,
  default: def,
  help,
  parse: (t, flag) => {
    check?.(t, flag);
    return t;
  },
});

const num = (value: string, def: number, min: number, max: number, help: string, integer = true): FlagSpec<number> => ({
  kind: 'string',
  value,
  default: def,
  help,
  parse: (t, flag) => {
    const v = Number(t);
    if (t.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
      throw new ConfigError(`--${flag} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got "${t}".`);
    }
    return v;
  },
});

const choice = <C extends string>(choices: readonly C[], def: C, help: string): FlagSpec<C> => ({
  kind: 'string',
  value: choices.join('|'),
  default: def,
  help,
  parse: (t, flag) => {
    if (!(choices as readonly string[]).includes(t)) throw new ConfigError(`--${flag} must be ${choices.join(' or ')}, got "${t}".`);
    return t as C;
  },
});

const bool = (def: boolean, help: string, noEnv = false): FlagSpec<boolean> => ({
  kind: 'boolean',
  default: def,
  help,
  noEnv,
  parse: (t, flag) => {
    if (/^(1|true|yes|on)$/i.test(t)) return true;
    if (/^(0|false|no|off)$/i.test(t)) return false;
    throw new ConfigError(`${envName(flag)} must be true or false, got "${t}".`);
  },
});

const list = (value: string, help: string, check?: (t: string, flag: string) => void): FlagSpec<string[]> => ({
  kind: 'list',
  value,
  default: [],
  help,
  parse: (t, flag) => {
    check?.(t, flag);
    return [t];
  },
});

const DEFAULT_DATA_DIR = join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'segcam');

/** FLAGS is every flag, in the order --help lists them. */
export const FLAGS = {
  source: text(
    'S',
    null,
    'the one camera (named main): camera index (0), device (/dev/video0), rtsp://, rtsps://, http(s):// URL, video file, recording folder or recording:[CAMERA/]ID, still image, demo, or auto (camera 0, else the demo)',
  ),
  camera: list('NAME=S', 'a camera and its source (names: a-z, 0-9, _ and -, up to 32)'),
  config: text('FILE', null, 'YAML file with cameras: {NAME: {source, width, height, fps, ...}} (see README)'),
  port: num('N', 8080, 0, 65535, 'HTTP/WebSocket port; 0 picks a free one'),
  host: text('A', '127.0.0.1', 'address to listen on; 0.0.0.0 exposes segcam to the network', (t, f) => {
    if (!/^[\w.:-]+$/.test(t)) throw new ConfigError(`--${f} must be an address or host name, got "${t}".`);
  }),
  width: num('N', 640, 16, 7680, 'requested capture width, px (cameras and the demo)'),
  height: num('N', 480, 16, 4320, 'requested capture height, px'),
  fps: num('N', 30, 0, 240, 'requested frame rate; files play at their own; 0 = unpaced for files and the demo', false),
  fourcc: text('XXXX', null, 'camera pixel format, e.g. MJPG for USB cameras that reach full rate only with it', (t, f) => {
    if (!/^[\w ]{4}$/.test(t)) throw new ConfigError(`--${f} must be four characters such as MJPG or YUYV, got "${t}".`);
  }),
  'rtsp-transport': choice(['tcp', 'udp'] as const, 'tcp', 'RTSP transport'),
  loop: bool(true, 'loop video files and recordings (--no-loop plays once, then shows "ended")'),
  analyse: choice(['watched', 'always'] as const, 'watched', 'segment only while someone watches, or always (for metrics, status and events)'),
  'open-timeout': num('s', 5, 0.5, 600, 'a network source that has not opened and delivered a frame by then has failed', false),
  'stall-timeout': num('s', 5, 0.5, 3600, 'without a frame for this long, a live source is stalled and reopened', false),
  'retry-min': num('s', 0.5, 0.05, 3600, 'first reconnect delay', false),
  'retry-max': num('s', 30, 0.05, 3600, 'cap of the jittered exponential reconnect backoff', false),
  'camera-timeout': num('s', 10, 2, 600, 'a camera process that says nothing for this long is killed and restarted', false),
  quality: num('N', 80, 1, 100, 'JPEG quality, 1-100 (patched over saved settings)'),
  space: choice(['hsv', 'bgr', 'lab'] as const, 'hsv', 'colour space of the ranges (patched over saved settings; ranges are converted)'),
  range: list('[NAME[#RRGGBB]=]L1,L2,L3:U1,U2,U3', 'a colour range (several are OR-ed); hue wraps when L1 > U1; replaces the saved ranges'),
  blobs: bool(true, "find each range's blobs (count, boxes, centroids); --no-blobs keeps coverage only"),
  preset: text('NAME', null, 'load this saved preset at start (flags then patch over it)'),
  token: text('T', null, 'control token (watch and change); default: generated once and kept in DATA_DIR/token', tokenCheck),
  'token-file': text('FILE', null, 'read the control token from this file (keeps it out of /proc/PID/cmdline)'),
  'view-token': text('T', null, 'view-only token (watch, change nothing)', tokenCheck),
  'view-token-file': text('FILE', null, 'read the view-only token from this file'),
  'rotate-token': bool(false, 'replace the token kept in DATA_DIR/token with a new one, then start'),
  'no-auth': bool(false, 'no authentication at all (anyone who can reach the port may watch and control)'),
  'allow-origin': list('ORIGIN', 'extra Origin allowed to open the WebSocket and call the API (CORS)', (t, f) => {
    if (!/^https?:\/\/[^/\s]+$/.test(t)) throw new ConfigError(`--${f} must be an origin like https://example.com (no path), got "${t}".`);
  }),
  'allow-host': list('NAME', 'extra Host name this server answers to (besides loopback names and IP addresses)', (t, f) => {
    if (!/^[a-z0-9.-]+(:\d+)?$/i.test(t)) throw new ConfigError(`--${f} must be a host name like cam.example.org, got "${t}".`);
  }),
  'max-viewers': num('N', 64, 1, 10_000, 'most simultaneous viewers over all cameras (WebSocket and MJPEG)'),
  'max-buffered': num('KiB', 512, 16, 1_048_576, 'bytes a viewer that does not acknowledge frames may have queued before it skips frames'),
  mqtt: text('URL', null, 'MQTT broker for rule states, events and Home Assistant discovery: mqtt://HOST[:PORT] or mqtts://', (t, f) => {
    if (!/^mqtts?:\/\/[^/\s]+\/?$/.test(t)) throw new ConfigError(`--${f} must look like mqtt://HOST[:PORT] or mqtts://HOST[:PORT], got "${t}".`);
  }),
  'mqtt-user': text('NAME', null, 'MQTT user name'),
  'mqtt-password-file': text('FILE', null, 'read the MQTT password from this file'),
  'mqtt-ca': text('FILE', null, "PEM file of the CA that signed the broker's certificate (mqtts://)"),
  'mqtt-cert': text('FILE', null, 'PEM client certificate for the broker'),
  'mqtt-key': text('FILE', null, 'PEM key of --mqtt-cert'),
  'mqtt-base-topic': text('T', 'segcam', 'first level of every topic segcam publishes and takes commands on'),
  'mqtt-discovery-prefix': text('T', 'homeassistant', 'Home Assistant discovery prefix'),
  'mqtt-discovery': bool(true, 'publish Home Assistant discovery configs (--no-mqtt-discovery: states and events only)'),
  'mqtt-snapshots': bool(false, 'publish a JPEG of the moment on BASE/CAMERA/snapshot with each rule change'),
  webhook: list('URL', 'POST every rule change to this URL as signed JSON', (t, f) => {
    if (!/^https?:\/\/\S+$/.test(t)) throw new ConfigError(`--${f} must be an http:// or https:// URL, got "${t}".`);
  }),
  'webhook-secret-file': text('FILE', null, 'HMAC-SHA256 key for the X-Segcam-Signature header of every --webhook'),
  publish: list('[NAME=]URL', "publish a camera's masked view as H.264 to a media server (rtsp://HOST:PORT/PATH; NAME: which camera)"),
  'public-url': text('URL', null, 'how others reach this server (e.g. https://cam.example.org), for the snapshot links in webhooks', (t, f) => {
    if (!/^https?:\/\/[^\s?#]+$/.test(t)) throw new ConfigError(`--${f} must be an http:// or https:// URL without query, got "${t}".`);
  }),
  'record-max-age': num('h', 0, 0, 87_600, "delete a camera's recordings older than this; 0 keeps them", false),
  'record-max-size': num('MiB', 0, 0, 10_485_760, "delete a camera's oldest recordings while they take more than this; 0: no limit"),
  'models-dir': text('D', null, 'where the model method finds its ONNX files (default: DATA_DIR/models)'),
  'data-dir': { ...text('D', DEFAULT_DATA_DIR, 'where the token, settings and presets are kept'), shown: '$XDG_CONFIG_HOME/segcam or ~/.config/segcam' } as FlagSpec<string | null>,
  quiet: bool(false, 'log warnings and errors only'),
  version: bool(false, 'print the version and exit', true),
  help: bool(false, 'print this help and exit', true),
};

function tokenCheck(t: string, flag: string): void {
  if (!/^[\w.~-]{8,128}$/.test(t)) throw new ConfigError(`--${flag} must be 8 to 128 characters of letters, digits, '.', '_', '~' or '-'.`);
  if (t.startsWith('-')) throw new ConfigError(`--${flag} must not start with '-' (it would read as a flag).`);
}

export type FlagName = keyof typeof FLAGS;
/** FlagValues holds every flag's value: given, from its environment variable, or its default. */
export type FlagValues = { [K in FlagName]: (typeof FLAGS)[K]['default'] };

/** envName returns the environment variable that sets a flag: --max-viewers → SEGCAM_MAX_VIEWERS. */
export function envName(flag: string): string {
  return `SEGCAM_${flag.replace(/-/g, '_').toUpperCase()}`;
}

/** helpText renders --help from the table. */
export function helpText(): string {
  const entries = Object.entries(FLAGS) as [string, FlagSpec<unknown>][];
  const flagOf = (name: string, f: FlagSpec<unknown>): string => `--${name}${f.kind === 'boolean' ? '' : ` ${f.value}`}`;
  const width = Math.max(...entries.map(([n, f]) => flagOf(n, f).length)) + 2;
  const rows = entries.map(([name, f]) => {
    const shown =
      f.shown ??
      (f.kind === 'boolean'
        ? name === 'help' || name === 'version'
          ? ''
          : String(f.default)
        : f.default === null || (Array.isArray(f.default) && !f.default.length)
          ? ''
          : String(f.default));
    const env = f.noEnv ? '' : `  [${envName(name)}]`;
    return `  ${flagOf(name, f).padEnd(width)}${f.help}${shown ? ` (default: ${shown})` : ''}${f.kind === 'list' ? ' (repeatable)' : ''}${env}`;
  });
  return [
    'segcam: live camera segmentation, tuned from the browser',
    '',
    'usage: segcam [flags]',
    '',
    ...rows,
    '',
    'Boolean flags take --no-NAME to turn them off. Every flag can also be set by its environment',
    'variable (lists: separated by spaces); a flag on the command line wins.',
  ].join('\n');
}

/**
 * readFlags reads argv and the environment through the table: every value is parsed (a bad one
 * throws ConfigError with one sentence), and `given` says which ones the user set (command line,
 * or a non-empty environment variable).
 */
export function readFlags(argv: string[], env: NodeJS.ProcessEnv): { values: FlagValues; given: Set<FlagName> } {
  const options: Record<string, { type: 'string' | 'boolean'; multiple: boolean }> = {};
  for (const [name, f] of Object.entries(FLAGS) as [string, FlagSpec<unknown>][]) {
    if (name === 'no-auth') continue; // read as the negation of `auth`
    options[name] = { type: f.kind === 'boolean' ? 'boolean' : 'string', multiple: f.kind === 'list' };
  }
  options.auth = { type: 'boolean', multiple: false };
  let parsed: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values: parsed } = parseArgs({ args: joinNegativeValues(argv), options, strict: true, allowPositionals: false, allowNegative: true }) as { values: typeof parsed });
  } catch (e) {
    throw new ConfigError(`${(e as Error).message.split('\n')[0]!.replace(/\.?$/, '.')} See --help.`);
  }
  if (parsed.auth === false) parsed['no-auth'] = true;
  if (parsed.auth === true) parsed['no-auth'] = false;
  const values: Record<string, unknown> = {};
  const given = new Set<FlagName>();
  for (const [name, f] of Object.entries(FLAGS) as [FlagName, FlagSpec<unknown>][]) {
    const v = parsed[name];
    const e = f.noEnv ? undefined : env[envName(name)];
    if (v !== undefined) {
      given.add(name);
      if (f.kind === 'boolean') values[name] = v;
      else if (f.kind === 'list') values[name] = (v as string[]).flatMap((t) => f.parse(t, name) as string[]);
      else values[name] = f.parse(v as string, name);
    } else if (e !== undefined && e !== '') {
      given.add(name);
      values[name] =
        f.kind === 'list'
          ? e
              .split(/\s+/)
              .filter(Boolean)
              .flatMap((t) => f.parse(t, name) as string[])
          : f.parse(e, name);
    } else values[name] = f.default;
  }
  return { values: values as FlagValues, given };
}

/**
 * joinNegativeValues turns `--fps -1` into `--fps=-1`, so that a negative number reaches the
 * flag's own check ("must be ... from 0 to 240") instead of reading as an unknown flag.
 */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.startsWith('--') ? a.slice(2) : '';
    const spec = (FLAGS as Record<string, FlagSpec<unknown>>)[name];
    const next = argv[i + 1];
    if (spec && spec.kind !== 'boolean' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}
