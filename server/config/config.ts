/**
 * The whole configuration, from the flags (flags.ts) and the config file (file.ts): the server's
 * options and one CameraConfig per camera. Everything is checked here, before anything starts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Rule } from '../../shared/rules.js';
import { CAMERA_NAME, DEFAULT_CAMERA } from '../../shared/status.js';
import { applySettingsPatch, type SettingsPatch } from '../../shared/protocol.js';
import { DEFAULT_SETTINGS, type RangeInput, type Triple, type View } from '../../shared/settings.js';
import type { CameraControls } from '../capture/controls.js';
import { describeFileProblem, fileProblem, parseSource, resolveRecordingSource, type SourceSpecError, type SourceSpec } from '../capture/source.js';
import type { MqttOptions } from '../outputs/mqtt.js';
import type { RetentionOptions } from '../outputs/recorder.js';
import type { WebhookConfig } from '../outputs/webhooks.js';
import { readConfigFile, type CameraFileEntry, type OutputsFileEntry } from './file.js';
import { ConfigError, readFlags, type FlagName, type FlagValues } from './flags.js';

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
  /** the rules the config file gives (they replace the saved ones at start); null: the saved ones */
  rules: Rule[] | null;
  record: RecordConfig;
  /** where the camera publishes H.264 (null: nowhere) */
  publish: PublishConfig | null;
}

/** RecordConfig is how a camera records: which view, and which rules start a recording. Times in ms. */
export interface RecordConfig {
  view: View;
  preRollMs: number;
  postRollMs: number;
  rules: string[];
  /** 0: every frame */
  maxFps: number;
  maxDurationMs: number;
}

/** PublishConfig is where and what a camera publishes to a media server. */
export interface PublishConfig {
  /** rtsp:// or rtsps:// */
  url: string;
  view: View;
  /** kbit/s; null: x264's constant quality */
  bitrateKbps: number | null;
  /** at most this many s between keyframes */
  keyframeS: number;
}

/** OutputsConfig is what the cameras' results go out through (one of each for all cameras). */
export interface OutputsConfig {
  mqtt: MqttOptions | null;
  webhooks: WebhookConfig[];
  /** applied to each camera's recordings */
  retention: RetentionOptions;
  /** how others reach this server, for links in events (null: links are paths) */
  publicUrl: string | null;
}

const DEFAULT_RECORD: RecordConfig = { view: 'masked', preRollMs: 0, postRollMs: 0, rules: [], maxFps: 0, maxDurationMs: 3_600_000 };

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
  outputs: OutputsConfig;
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

function parseSourceOption(text: string, where: string, dataDir: string, camera: string): SourceSpec {
  let source: SourceSpec;
  try {
    source = resolveRecordingSource(parseSource(text), dataDir, camera);
  } catch (e) {
    throw new ConfigError(`${where}: ${(e as SourceSpecError).message}.`);
  }
  if (source.kind === 'file') {
    const problem = fileProblem(source.path);
    if (problem) throw new ConfigError(`${where}: ${describeFileProblem(problem, source.path)}.`);
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

/** secretFile reads a secret (password, HMAC key) from a file, trimmed; a file that cannot be read is one sentence. */
function secretFile(path: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(`${what}: ${code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? (e as Error).message})`}: ${path}.`);
  }
  if (!text) throw new ConfigError(`${what}: the file is empty: ${path}.`);
  return text;
}

function recordOf(entry: CameraFileEntry | undefined): RecordConfig {
  const r = entry?.record;
  if (!r) return { ...DEFAULT_RECORD };
  return { view: r.view, preRollMs: r.pre_roll * 1000, postRollMs: r.post_roll * 1000, rules: r.rules, maxFps: r.max_fps, maxDurationMs: r.max_duration * 1000 };
}

const PUBLISH_URL = /^rtsps?:\/\/[^/\s]+\S*$/;

/** outputsOf merges the flags' outputs with the config file's (a flag wins over the file's field). */
function outputsOf(v: FlagValues, given: Set<FlagName>, file: OutputsFileEntry, where: string): OutputsConfig {
  const fm = file.mqtt;
  const url = v.mqtt ?? fm?.url ?? null;
  let mqtt: MqttOptions | null = null;
  if (url) {
    const passwordFile = v['mqtt-password-file'] ?? fm?.password_file;
    const username = v['mqtt-user'] ?? fm?.username;
    if (passwordFile && !username) throw new ConfigError('--mqtt-password-file needs --mqtt-user (a broker checks a password against a user name).');
    mqtt = {
      url,
      ...(username ? { username } : {}),
      ...(passwordFile ? { password: secretFile(passwordFile, v['mqtt-password-file'] ? '--mqtt-password-file' : `${where}: outputs.mqtt.password_file`) } : {}),
      ...((v['mqtt-ca'] ?? fm?.ca) ? { caFile: v['mqtt-ca'] ?? fm?.ca } : {}),
      ...((v['mqtt-cert'] ?? fm?.cert) ? { certFile: v['mqtt-cert'] ?? fm?.cert } : {}),
      ...((v['mqtt-key'] ?? fm?.key) ? { keyFile: v['mqtt-key'] ?? fm?.key } : {}),
      baseTopic: given.has('mqtt-base-topic') ? v['mqtt-base-topic']! : (fm?.base_topic ?? v['mqtt-base-topic']!),
      discoveryPrefix: given.has('mqtt-discovery-prefix') ? v['mqtt-discovery-prefix']! : (fm?.discovery_prefix ?? v['mqtt-discovery-prefix']!),
      discovery: given.has('mqtt-discovery') ? v['mqtt-discovery'] : (fm?.discovery ?? v['mqtt-discovery']),
      snapshots: given.has('mqtt-snapshots') ? v['mqtt-snapshots'] : (fm?.snapshots ?? v['mqtt-snapshots']),
      ...(fm?.interval !== undefined ? { stateIntervalMs: fm.interval * 1000 } : {}),
    };
    for (const f of ['caFile', 'certFile', 'keyFile'] as const) {
      const path = mqtt[f];
      if (path) secretFile(path, `MQTT ${f.replace('File', '')} file`);
    }
    if (Boolean(mqtt.certFile) !== Boolean(mqtt.keyFile)) throw new ConfigError('--mqtt-cert and --mqtt-key go together: give both or neither.');
  } else if (v['mqtt-user'] || v['mqtt-password-file'] || v['mqtt-ca'] || v['mqtt-cert'] || v['mqtt-key']) {
    throw new ConfigError('the --mqtt-* options need --mqtt URL (which broker to use).');
  }
  const flagSecret = v['webhook-secret-file'] ? secretFile(v['webhook-secret-file'], '--webhook-secret-file') : undefined;
  if (flagSecret && !v.webhook.length) throw new ConfigError('--webhook-secret-file needs --webhook URL (what to sign for).');
  const webhooks: WebhookConfig[] = [
    ...(file.webhooks ?? []).map((h, i) => ({
      url: h.url,
      ...(h.name ? { name: h.name } : {}),
      ...(h.secret_file ? { secret: secretFile(h.secret_file, `${where}: outputs.webhooks.${i}.secret_file`) } : {}),
      ...(h.cameras ? { cameras: h.cameras } : {}),
      ...(h.rules ? { rules: h.rules } : {}),
      ...(h.states ? { states: h.states } : {}),
      ...(h.timeout !== undefined ? { timeoutMs: h.timeout * 1000 } : {}),
      ...(h.retries !== undefined ? { retries: h.retries } : {}),
      ...(h.queue !== undefined ? { queue: h.queue } : {}),
      ...(h.headers ? { headers: h.headers } : {}),
    })),
    ...v.webhook.map((url) => ({ url, ...(flagSecret ? { secret: flagSecret } : {}) })),
  ];
  const names = new Set<string>();
  for (const [i, h] of webhooks.entries()) {
    const name = h.name ?? `webhook-${i + 1}`;
    if (names.has(name)) throw new ConfigError(`${where}: two webhooks are named "${name}".`);
    names.add(name);
  }
  const ageH = given.has('record-max-age') ? v['record-max-age'] : (file.recordings?.max_age_hours ?? 0);
  const sizeMb = given.has('record-max-size') ? v['record-max-size'] : (file.recordings?.max_size_mb ?? 0);
  return {
    mqtt,
    webhooks,
    retention: { ...(ageH > 0 ? { maxAgeMs: ageH * 3_600_000 } : {}), ...(sizeMb > 0 ? { maxBytes: sizeMb * 1024 * 1024 } : {}) },
    publicUrl: v['public-url']?.replace(/\/+$/, '') ?? null,
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
  if (v.preset !== null && !/^[A-Za-z0-9_][\w .-]{0,63}$/.test(v.preset))
    throw new ConfigError(`--preset must be a preset name (letters, digits, space, dot, dash, underscore), got "${v.preset}".`);

  // cameras: the config file's, then each --camera, or the one --source names
  const cameras: CameraConfig[] = [];
  const add = (name: string, sourceText: string, where: string, entry?: CameraFileEntry): void => {
    if (!CAMERA_NAME.test(name)) throw new ConfigError(`${where}: camera name "${name}" must be 1-32 of a-z, 0-9, _ and -, starting with a letter or digit.`);
    if (cameras.some((c) => c.name === name)) throw new ConfigError(`${where}: there is already a camera named "${name}".`);
    const publish = entry?.publish ? { url: entry.publish.url, view: entry.publish.view, bitrateKbps: entry.publish.bitrate ?? null, keyframeS: entry.publish.keyframe } : null;
    cameras.push({
      name,
      source: parseSourceOption(sourceText, where, v['data-dir']!, name),
      capture: captureOf(v, entry),
      analyse: entry?.analyse ?? v.analyse,
      modelsDir: v['models-dir'] ?? join(v['data-dir']!, 'models'),
      rules: entry?.rules ?? null,
      record: recordOf(entry),
      publish,
    });
  };
  const file = v.config ? readConfigFile(v.config) : null;
  if (file) for (const { name, entry } of file.cameras) add(name, entry.source, `${v.config}: cameras.${name}.source`, entry);
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

  // --publish [NAME=]URL: which camera publishes where (the flag wins over the file)
  for (const p of v.publish) {
    const m = /^([a-z0-9][a-z0-9_-]{0,31})=(.*)$/.exec(p);
    const [name, url] = m ? [m[1]!, m[2]!] : [null, p];
    if (!PUBLISH_URL.test(url)) throw new ConfigError(`--publish must look like [NAME=]rtsp://HOST:PORT/PATH, got "${p}".`);
    if (name === null && cameras.length > 1) throw new ConfigError(`--publish ${url}: there are ${cameras.length} cameras; name one (NAME=URL).`);
    const camera = name === null ? cameras[0]! : cameras.find((c) => c.name === name);
    if (!camera) throw new ConfigError(`--publish: there is no camera named "${name}".`);
    camera.publish = { url, view: camera.publish?.view ?? 'masked', bitrateKbps: camera.publish?.bitrateKbps ?? null, keyframeS: camera.publish?.keyframeS ?? 1 };
  }
  for (const c of cameras) {
    const names = new Set((c.rules ?? []).map((r) => r.name));
    const unknown = c.rules ? c.record.rules.filter((r) => !names.has(r)) : [];
    if (unknown.length)
      throw new ConfigError(`${v.config}: cameras.${c.name}.record.rules: no rule named "${unknown[0]}" (the camera's rules are ${[...names].join(', ') || 'none'}).`);
  }
  const outputs = outputsOf(v, given, file?.outputs ?? {}, v.config ?? '');

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
      outputs,
      quiet: v.quiet,
    },
  };
}
