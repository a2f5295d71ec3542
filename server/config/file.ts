/**
 * The config file (`--config FILE`, YAML): the cameras, each a named source with its own capture
 * options, analysis mode, camera controls, rules, recording and publishing; and the outputs the
 * cameras share (MQTT, webhooks, recordings' retention). A bad file is one sentence naming the
 * file, the line and the field, before anything starts. Times are in seconds unless a field's
 * name says otherwise.
 *
 *   cameras:
 *     door:
 *       source: "rtsp://cam1/stream"
 *       rules: { person: { subject: { range: red }, op: above, value: 2, hold: 1 } }
 *       record: { rules: [person], pre_roll: 3, post_roll: 5 }
 *       publish: rtsp://127.0.0.1:8554/door
 *     bench: { source: 0, width: 1280, height: 720, fps: 30, fourcc: MJPG, controls: { exposure: 150 } }
 *   outputs:
 *     mqtt: { url: "mqtt://broker:1883", username: segcam, password_file: /etc/segcam/mqtt-password }
 *     webhooks: [{ url: "https://hooks.example.org/segcam", secret_file: /etc/segcam/hook-secret }]
 *     recordings: { max_age_hours: 168, max_size_mb: 20000 }
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { z } from 'zod';
import { RULE_NAME, rulesMapSchema } from '../../shared/rules.js';
import { VIEWS } from '../../shared/settings.js';
import { CAMERA_NAME } from '../../shared/status.js';
import { CONTROLS } from '../capture/controls.js';
import { ConfigError } from './flags.js';

const controlsSchema = z.strictObject(
  Object.fromEntries(Object.keys(CONTROLS).map((k) => [k, z.number().finite().optional()])) as Record<keyof typeof CONTROLS, z.ZodOptional<z.ZodNumber>>,
);

/** cameraFileSchema is one camera of the file; missing options take the flags' values. */
export const cameraFileSchema = z.strictObject({
  source: z.union([z.string().min(1), z.number().int().min(0).max(999)]).transform(String),
  width: z.number().int().min(16).max(7680).optional(),
  height: z.number().int().min(16).max(4320).optional(),
  fps: z.number().min(0).max(240).optional(),
  fourcc: z
    .string()
    .regex(/^[\w ]{4}$/, 'must be four characters such as MJPG')
    .optional(),
  rtsp_transport: z.enum(['tcp', 'udp']).optional(),
  loop: z.boolean().optional(),
  open_timeout: z.number().min(0.5).max(600).optional(),
  stall_timeout: z.number().min(0.5).max(3600).optional(),
  analyse: z.enum(['watched', 'always']).optional(),
  controls: controlsSchema.optional(),
  /** rules by name (see shared/rules.ts); given here, they replace the ones saved over the API at every start */
  rules: rulesMapSchema.optional(),
  record: z
    .strictObject({
      view: z.enum(VIEWS).default('masked'),
      pre_roll: z.number().min(0).max(60).default(0),
      post_roll: z.number().min(0).max(3600).default(0),
      rules: z.array(z.string().regex(RULE_NAME, 'must be a rule name')).default([]),
      max_fps: z.number().min(0).max(240).default(0),
      max_duration: z.number().min(1).max(86_400).default(3600),
    })
    .optional(),
  publish: z
    .union([
      z.string(),
      z.strictObject({
        url: z.string(),
        view: z.enum(VIEWS).default('masked'),
        bitrate: z.number().int().min(50).max(100_000).optional(),
        keyframe: z.number().min(0.1).max(1).default(1),
      }),
    ])
    .transform((p) => (typeof p === 'string' ? { url: p, view: 'masked' as const, keyframe: 1 } : p))
    .refine((p) => /^rtsps?:\/\/[^/\s]+/.test(p.url), 'must be an rtsp:// or rtsps:// URL to publish to')
    .optional(),
});
export type CameraFileEntry = z.output<typeof cameraFileSchema>;

const file = z.string().min(1);
const mqttFileSchema = z.strictObject({
  url: z.string().regex(/^mqtts?:\/\/[^/\s]+\/?$/, 'must look like mqtt://HOST[:PORT] or mqtts://HOST[:PORT]'),
  username: z.string().optional(),
  password_file: file.optional(),
  ca: file.optional(),
  cert: file.optional(),
  key: file.optional(),
  base_topic: z.string().optional(),
  discovery_prefix: z.string().optional(),
  discovery: z.boolean().optional(),
  snapshots: z.boolean().optional(),
  /** least s between two coverage publications of a camera */
  interval: z.number().min(0).max(3600).optional(),
});
const webhookFileSchema = z.strictObject({
  url: z.string().regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL'),
  name: z
    .string()
    .regex(/^[\w.-]{1,32}$/, 'must be 1-32 letters, digits, _, . or -')
    .optional(),
  secret_file: file.optional(),
  cameras: z.array(z.string()).optional(),
  rules: z.array(z.string()).optional(),
  states: z.array(z.enum(['on', 'off'])).optional(),
  timeout: z.number().min(0.1).max(120).optional(),
  retries: z.number().int().min(0).max(20).optional(),
  queue: z.number().int().min(1).max(10_000).optional(),
  headers: z.record(z.string().regex(/^[\w-]+$/, 'must be a header name'), z.string()).optional(),
});
export const outputsFileSchema = z.strictObject({
  mqtt: mqttFileSchema.optional(),
  webhooks: z.array(webhookFileSchema).max(32).optional(),
  recordings: z.strictObject({ max_age_hours: z.number().min(0).optional(), max_size_mb: z.number().min(0).optional() }).optional(),
});
export type OutputsFileEntry = z.output<typeof outputsFileSchema>;

const fileSchema = z.strictObject({
  cameras: z.record(z.string(), cameraFileSchema).refine((c) => Object.keys(c).length > 0, 'must name at least one camera'),
  outputs: outputsFileSchema.optional(),
});

/** ConfigFile is a checked config file: its cameras in order, and its outputs. */
export interface ConfigFile {
  cameras: { name: string; entry: CameraFileEntry }[];
  outputs: OutputsFileEntry;
}

/** readConfigFile reads and checks a config file; it throws ConfigError with file:line: reason. */
export function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(`--config: ${code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? (e as Error).message})`}: ${path}.`);
  }
  return parseConfigText(path, text);
}

/** parseConfigText parses the text of a config file (`path` only names it in errors). */
export function parseConfigText(path: string, text: string): ConfigFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number | undefined): string => (offset === undefined ? '' : `:${lines.linePos(offset).line}`);
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw new ConfigError(`${path}${lineAt(e.pos[0])}: not valid YAML (${e.message.split('\n')[0]}).`);
  }
  const data: unknown = doc.toJS();
  const parsed = fileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const node = doc.getIn(issue.path as (string | number)[], true);
    const parent = doc.getIn(issue.path.slice(0, -1) as (string | number)[], true);
    const at = isNode(node) ? node.range?.[0] : isNode(parent) ? parent.range?.[0] : undefined;
    const field = issue.path.map(String).join('.') || 'the file';
    const why = issue.code === 'unrecognized_keys' ? `unknown field ${(issue as { keys: string[] }).keys.join(', ')}` : issue.message;
    throw new ConfigError(`${path}${lineAt(at)}: ${field}: ${why}.`);
  }
  const cameras = Object.entries(parsed.data.cameras).map(([name, entry]) => {
    if (!CAMERA_NAME.test(name)) {
      const node = doc.getIn(['cameras'], true);
      const at = isNode(node) ? node.range?.[0] : undefined;
      throw new ConfigError(`${path}${lineAt(at)}: camera name "${name}" must be 1-32 of a-z, 0-9, _ and -, starting with a letter or digit.`);
    }
    return { name, entry };
  });
  return { cameras, outputs: parsed.data.outputs ?? {} };
}
