/**
 * The whole configuration, from the flags (flags.ts) and the config file (file.ts): the server's
 * options and one CameraConfig per camera. Everything is checked here, before anything starts.
 */
import { CAMERA_NAME, DEFAULT_CAMERA } from '../../shared/status.js';
import { join } from 'node:path';
import { applySettingsPatch, type SettingsPatch } from '../../shared/protocol.js';
import { DEFAULT_SETTINGS, type RangeInput, type Triple } from '../../shared/settings.js';
import type { CameraControls } from '../capture/controls.js';
import { fileProblem, parseSource, SourceSpecError, type SourceSpec } from '../capture/source.js';
import { readConfigFile, type CameraFileEntry } from './file.js';
import { ConfigError, readFlags, type FlagValues } from './flags.js';

/** CaptureConfig is how a camera opens and reads its source. */
export interface CaptureConfig {
  width: number;
  height: number;
  /** Requested rate; 0 = unpaced for files and the demo. */
  fps: number;
  fourcc: string | null;
  rtspTransport: 'tcp' | 'udp';
  loop: boolean;
  /** ms a network source may take to open and deliver its first frame */
  openTimeoutMs: number;
  /** ms without a frame from a live source before it is declared stalled and reopened */
  stallTimeoutMs: number;
  retry: { minMs: number; maxMs: number };
  controls: CameraControls;
}

/** CameraConfig is one camera: its name, source, capture options and analysis mode. */
export interface CameraConfig {
  name: string;
  source: SourceSpec;
  capture: CaptureConfig;
  /** watched: segment only while someone watches; always: also for metrics, status and events */
  analyse: 'watched' | 'always';
  /** where the model method's ONNX files are (a model is named by its file name, never a path) */
  modelsDir: string | null;
}

/** TokenOptions are the flags that decide the tokens (resolved at start, see control/tokens.ts). */
export interface TokenOptions {
  noAuth: boolean;
  token: string | null;
  tokenFile: string | null;
  viewToken: string | null;
  viewTokenFile: string | null;
  rotate: boolean;
}

/** Config is everything the server needs to start, already checked. */
export interface Config {
  cameras: CameraConfig[];
  port: number;
  host: string;
  tokens: TokenOptions;
  allowOrigins: string[];
  allowHosts: string[];
  maxViewers: number;
  /** a viewer that does not acknowledge frames and has more than this many bytes queued skips frames */
  maxBufferedBytes: number;
  /** ms of silence after which a camera process is killed and restarted */
  cameraTimeoutMs: number;
  dataDir: string;
  /** loaded at start, before the flags' patch */
  preset: string | null;
  /** what --range/--space/--quality/--blobs change, over whatever is loaded (null: nothing) */
  settingsPatch: SettingsPatch | null;
  quiet: boolean;
}

/** ParsedCommand is a Config to run, or a request for the help or the version. */
export type ParsedCommand = { run: Config } | { help: true } | { version: true };

/** parseRange parses `[name[#rrggbb]=]L1,L2,L3:U1,U2,U3` (name and colour may be left out). */
export function parseRange(text: string): RangeInput {
  const m = /^(?:([\w.-]{1,32})?(#[0-9a-fA-F]{6})?=)?(\d{1,3}),(\d{1,3}),(\d{1,3}):(\d{1,3}),(\d{1,3}),(\d{1,3})$/.exec(text.trim());
  if (!m) throw new ConfigError(`--range must look like [name[#rrggbb]=]L1,L2,L3:U1,U2,U3 (e.g. red#ff3b30=170,100,80:10,255,255), got "${text}".`);
  const n = m.slice(3).map(Number);
  return { ...(m[1] ? { name: m[1] } : {}), ...(m[2] ? { color: m[2].toLowerCase() } : {}), lower: n.slice(0, 3) as Triple, upper: n.slice(3, 6) as Triple };
}

function parseSourceOption(text: string, where: string): SourceSpec {
  let source: SourceSpec;
  try {
    source = parseSource(text);
  } catch (e) {
    throw new ConfigError(`${where}: ${(e as SourceSpecError).message}.`);
  }
  if (source.kind === 'file') {
    const problem = fileProblem(source.path);
    if (problem) throw new ConfigError(`${where}: ${problem === 'not found' ? 'file not found' : 'not a file'}: ${source.path}.`);
  }
  return source;
}

function captureOf(v: FlagValues, entry: Partial<CameraFileEntry> = {}): CaptureConfig {
  return {
    width: entry.width ?? v.width,
    height: entry.height ?? v.height,
    fps: entry.fps ?? v.fps,
    fourcc: entry.fourcc ?? v.fourcc,
    rtspTransport: entry.rtsp_transport ?? v['rtsp-transport'],
    loop: entry.loop ?? v.loop,
    openTimeoutMs: (entry.open_timeout ?? v['open-timeout']) * 1000,
    stallTimeoutMs: (entry.stall_timeout ?? v['stall-timeout']) * 1000,
    retry: { minMs: v['retry-min'] * 1000, maxMs: v['retry-max'] * 1000 },
    controls: entry.controls ?? {},
  };
}

/** parseConfig turns argv and the environment into a command; a bad value throws ConfigError with one sentence. */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): ParsedCommand {
  const { values: v, given } = readFlags(argv, env);
  if (v.help) return { help: true };
  if (v.version) return { version: true };

  if (v['no-auth'] && (v.token || v['view-token'] || v['token-file'] || v['view-token-file'])) {
    throw new ConfigError('--no-auth cannot be combined with a token (--token, --token-file, --view-token, --view-token-file).');
  }
  if (v.token && v['token-file']) throw new ConfigError('--token and --token-file name the same thing: give one.');
  if (v['view-token'] && v['view-token-file']) throw new ConfigError('--view-token and --view-token-file name the same thing: give one.');
  if (v.token && v['view-token'] && v.token === v['view-token']) throw new ConfigError('--view-token must differ from --token.');
  if (v['retry-max'] < v['retry-min']) throw new ConfigError(`--retry-max (${v['retry-max']}) must not be below --retry-min (${v['retry-min']}).`);
  if (v.preset !== null && !/^[A-Za-z0-9_][\w .-]{0,63}$/.test(v.preset)) throw new ConfigError(`--preset must be a preset name (letters, digits, space, dot, dash, underscore), got "${v.preset}".`);

  // cameras: the config file's, then each --camera, or the one --source names
  const cameras: CameraConfig[] = [];
  const add = (name: string, sourceText: string, where: string, entry?: CameraFileEntry): void => {
    if (!CAMERA_NAME.test(name)) throw new ConfigError(`${where}: camera name "${name}" must be 1-32 of a-z, 0-9, _ and -, starting with a letter or digit.`);
    if (cameras.some((c) => c.name === name)) throw new ConfigError(`${where}: there is already a camera named "${name}".`);
    cameras.push({ name, source: parseSourceOption(sourceText, where), capture: captureOf(v, entry), analyse: entry?.analyse ?? v.analyse, modelsDir: v['models-dir'] ?? join(v['data-dir']!, 'models') });
  };
  if (v.config) for (const { name, entry } of readConfigFile(v.config)) add(name, entry.source, `${v.config}: cameras.${name}.source`, entry);
  for (const c of v.camera) {
    const eq = c.indexOf('=');
    if (eq <= 0 || eq === c.length - 1) throw new ConfigError(`--camera must look like NAME=SOURCE (e.g. door=rtsp://10.0.0.5/stream), got "${c}".`);
    add(c.slice(0, eq), c.slice(eq + 1), `--camera ${c.slice(0, eq)}`);
  }
  if (v.source !== null) {
    if (cameras.length) throw new ConfigError('--source names the one camera; with --camera or --config, give every camera there.');
    add(DEFAULT_CAMERA, v.source, '--source');
  }
  if (!cameras.length) add(DEFAULT_CAMERA, 'auto', '--source');

  // the flags' settings: a patch over whatever is loaded (saved settings or --preset)
  let settingsPatch: SettingsPatch | null = null;
  if (given.has('range') || given.has('space') || given.has('quality') || given.has('blobs')) {
    settingsPatch = {
      ...(given.has('space') ? { space: v.space } : {}),
      ...(given.has('quality') ? { quality: v.quality } : {}),
      ...(given.has('blobs') ? { blobs: v.blobs } : {}),
      ...(given.has('range') ? { ranges: v.range.map(parseRange) as SettingsPatch['ranges'] } : {}),
    };
    // check the patch on the defaults now, so that a bad --range stops the start
    const checked = applySettingsPatch(DEFAULT_SETTINGS, settingsPatch);
    if (!checked.ok) throw new ConfigError(`--range: ${checked.error.message.replace(/^ranges\.(\d+) /, (_, i: string) => `range ${Number(i) + 1} `)}.`);
  }

  return {
    run: {
      cameras,
      port: v.port,
      host: v.host!,
      tokens: { noAuth: v['no-auth'], token: v.token, tokenFile: v['token-file'], viewToken: v['view-token'], viewTokenFile: v['view-token-file'], rotate: v['rotate-token'] },
      allowOrigins: v['allow-origin'],
      allowHosts: v['allow-host'].map((h) => h.toLowerCase()),
      maxViewers: v['max-viewers'],
      maxBufferedBytes: v['max-buffered'] * 1024,
      cameraTimeoutMs: v['camera-timeout'] * 1000,
      dataDir: v['data-dir']!,
      preset: v.preset,
      settingsPatch,
      quiet: v.quiet,
    },
  };
}
