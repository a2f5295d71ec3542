/**
 * The config file (`--config FILE`, YAML): the cameras, each a named source with its own capture
 * options, analysis mode and camera controls. A bad file is one sentence naming the file, the
 * line and the field, before anything starts.
 *
 *   cameras:
 *     door:  { source: "rtsp://cam1/stream", rtsp_transport: tcp, analyse: always }
 *     bench: { source: 0, width: 1280, height: 720, fps: 30, fourcc: MJPG, controls: { exposure: 150 } }
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { z } from 'zod';
import { CAMERA_NAME } from '../../shared/status.js';
import { CONTROLS } from '../capture/controls.js';
import { ConfigError } from './flags.js';

const controlsSchema = z.strictObject(Object.fromEntries(Object.keys(CONTROLS).map((k) => [k, z.number().finite().optional()])) as Record<keyof typeof CONTROLS, z.ZodOptional<z.ZodNumber>>);

/** cameraFileSchema is one camera of the file; missing options take the flags' values. */
export const cameraFileSchema = z.strictObject({
  source: z.union([z.string().min(1), z.number().int().min(0).max(999)]).transform(String),
  width: z.number().int().min(16).max(7680).optional(),
  height: z.number().int().min(16).max(4320).optional(),
  fps: z.number().min(0).max(240).optional(),
  fourcc: z.string().regex(/^[\w ]{4}$/, 'must be four characters such as MJPG').optional(),
  rtsp_transport: z.enum(['tcp', 'udp']).optional(),
  loop: z.boolean().optional(),
  open_timeout: z.number().min(0.5).max(600).optional(),
  stall_timeout: z.number().min(0.5).max(3600).optional(),
  analyse: z.enum(['watched', 'always']).optional(),
  controls: controlsSchema.optional(),
});
export type CameraFileEntry = z.output<typeof cameraFileSchema>;

const fileSchema = z.strictObject({
  cameras: z.record(z.string(), cameraFileSchema).refine((c) => Object.keys(c).length > 0, 'must name at least one camera'),
});

/** readConfigFile reads and checks a config file; it throws ConfigError with file:line: reason. */
export function readConfigFile(path: string): { name: string; entry: CameraFileEntry }[] {
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
export function parseConfigText(path: string, text: string): { name: string; entry: CameraFileEntry }[] {
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
  return Object.entries(parsed.data.cameras).map(([name, entry]) => {
    if (!CAMERA_NAME.test(name)) {
      const node = doc.getIn(['cameras'], true);
      const at = isNode(node) ? node.range?.[0] : undefined;
      throw new ConfigError(`${path}${lineAt(at)}: camera name "${name}" must be 1-32 of a-z, 0-9, _ and -, starting with a letter or digit.`);
    }
    return { name, entry };
  });
}
