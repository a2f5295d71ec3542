/**
 * Source specs: what `--source`, a camera's `source:` or a runtime switch names, parsed and
 * checked without opening anything; recordings named by id (`recording:ID`,
 * `recording:CAMERA/ID`) found in the data folder; and their redaction, wherever a source is
 * shown. No OpenCV here: the front uses this module too.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { CAMERA_NAME, type SourceKind } from '../../shared/status.js';
import { cameraDir } from '../control/migrate.js';
import { RECORDING_ID } from '../outputs/recorder.js';

/** SourceSpec is a parsed source. */
export type SourceSpec =
  | { kind: 'camera'; index: number; device: string | null; text: string }
  | { kind: 'url'; url: string; text: string }
  /** a video file, a recording folder or a still image (sourceKind and open.ts tell which) */
  | { kind: 'file'; path: string; text: string }
  /**
   * a recording by id, of the camera's own (camera null) or of another camera; not yet looked
   * up: resolveRecordingSource turns it into the `file` spec of its folder
   */
  | { kind: 'recording'; camera: string | null; id: string; text: string }
  | { kind: 'demo'; text: string }
  /** camera 0, falling back to the demo with a warning when there is none */
  | { kind: 'auto'; text: string };

/** SourceSpecError is a source that cannot be right whatever happens at run time. */
export class SourceSpecError extends Error {}

/** RECORDING_PREFIX starts a source that names a recording by id. */
export const RECORDING_PREFIX = 'recording:';

/** parseSource parses a source's text; it never touches the file system or network. */
export function parseSource(text: string): SourceSpec {
  const t = text.trim();
  if (t === '' || t === 'auto') return { kind: 'auto', text: 'auto' };
  if (t === 'demo') return { kind: 'demo', text: 'demo' };
  if (/^\d{1,3}$/.test(t)) return { kind: 'camera', index: Number(t), device: null, text: t };
  const dev = /^\/dev\/video(\d{1,3})$/.exec(t);
  if (dev) return { kind: 'camera', index: Number(dev[1]), device: t, text: t };
  if (t.startsWith(RECORDING_PREFIX)) return parseRecording(t);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(t);
  if (scheme) {
    if (!/^(rtsps?|https?)$/i.test(scheme[1]!)) throw new SourceSpecError(`unsupported URL scheme "${scheme[1]}:" (use rtsp, rtsps, http or https)`);
    try {
      new URL(t);
    } catch {
      throw new SourceSpecError(`not a valid URL: ${redactSource(t)}`);
    }
    return { kind: 'url', url: t, text: t };
  }
  return { kind: 'file', path: resolve(t), text: t };
}

/** parseRecording parses `recording:ID` and `recording:CAMERA/ID` (a file of that name is `./recording:...`). */
function parseRecording(t: string): SourceSpec {
  const rest = t.slice(RECORDING_PREFIX.length);
  const slash = rest.indexOf('/');
  const camera = slash < 0 ? null : rest.slice(0, slash);
  const id = slash < 0 ? rest : rest.slice(slash + 1);
  if (camera !== null && !CAMERA_NAME.test(camera)) throw new SourceSpecError(`${t}: "${camera}" is not a camera name (1-32 of a-z, 0-9, _ and -)`);
  if (!RECORDING_ID.test(id)) throw new SourceSpecError(`${t}: a recording id looks like 20261201-101500-000 (its start time, UTC), got "${id}"`);
  return { kind: 'recording', camera, id, text: t };
}

/** RECORDINGS_DIR is the folder of a camera's recordings, in its folder (the recorder writes there, a `recording:` source reads there). */
export const RECORDINGS_DIR = 'recordings';

/** recordingDir is where a camera's recording is kept. */
export function recordingDir(dataDir: string, camera: string, id: string): string {
  return join(cameraDir(dataDir, camera), RECORDINGS_DIR, id);
}

/**
 * resolveRecordingSource looks a `recording:...` spec up in the data folder: `recording:ID` is a
 * recording of `ownCamera`, `recording:CAMERA/ID` one of another camera (or of one no longer
 * configured, whose folder is still there). It returns the `file` spec of the folder, keeping
 * the text as given (that is what the status shows), and any other spec as it is. Throws
 * SourceSpecError ("camera door has no recording 20261201-101500-000") when there is no such
 * recording.
 */
export function resolveRecordingSource(spec: SourceSpec, dataDir: string, ownCamera: string): SourceSpec {
  if (spec.kind !== 'recording') return spec;
  const camera = spec.camera ?? ownCamera;
  const path = recordingDir(dataDir, camera, spec.id);
  if (!isRecordingDir(path)) throw new SourceSpecError(`camera ${camera} has no recording ${spec.id}`);
  return { kind: 'file', path, text: spec.text };
}

/** IMAGE_EXT: the still images (and the frames of a folder without metadata) OpenCV reads. */
const IMAGE_EXT = /^\.(jpe?g|png|bmp|webp)$/i;
/** NUMBERED_IMAGE is a frame of a recording folder (000001.jpg, ...). */
export const NUMBERED_IMAGE = /^\d+\.(jpe?g|png|bmp|webp)$/i;

/** isRecordingDir tells whether a path is a folder that plays as a recording: with metadata.jsonl, or numbered images. */
export function isRecordingDir(path: string): boolean {
  try {
    return statSync(path).isDirectory() && (existsSync(join(path, 'metadata.jsonl')) || readdirSync(path).some((f) => NUMBERED_IMAGE.test(f)));
  } catch {
    return false;
  }
}

/** isStillImage tells whether a path names an image (JPEG, PNG, BMP, WebP), by its extension. */
export function isStillImage(path: string): boolean {
  return IMAGE_EXT.test(extname(path));
}

/** FileProblem is why a file-like source cannot be opened at all. */
export type FileProblem = 'not found' | 'not a file' | 'not a recording';

/**
 * fileProblem says why a file source cannot be opened at all, or null: a file (video or image)
 * and a recording folder can be; a folder that is not a recording, a device or a socket cannot.
 */
export function fileProblem(path: string): FileProblem | null {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch {
    return 'not found';
  }
  if (st.isFile()) return null;
  if (st.isDirectory()) return isRecordingDir(path) ? null : 'not a recording';
  return 'not a file';
}

/** describeFileProblem is the sentence for a FileProblem of `path` (as the user wrote it). */
export function describeFileProblem(problem: FileProblem, path: string): string {
  switch (problem) {
    case 'not found':
      return `file not found: ${path}`;
    case 'not a recording':
      return `${path} is a folder, but not a recording (it has no metadata.jsonl and no numbered images such as 000001.jpg)`;
    case 'not a file':
      return `not a video file, an image or a recording folder: ${path}`;
  }
}

/** CREDENTIAL_PARAMS are query parameters whose values are secrets (camera URLs often carry them). */
const CREDENTIAL_PARAMS = /^(user(name)?|login|pass(word|wd)?|pwd|token|access_token|key|api[-_]?key|auth|authorization|sig(nature)?|secret)$/i;

/**
 * redactSource hides the credentials in a source URL so that it can be shown and logged: the
 * whole userinfo (`admin:p@ss@` becomes `***@`, however many `@` it holds) and the value of every
 * credential-like query parameter (user, password, pass, pwd, token, key, auth, signature, ...).
 * Anything that is not a URL is returned as it is.
 */
export function redactSource(text: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is.exec(text);
  if (!m) return text;
  const [, scheme, authority, rest] = m as unknown as [string, string, string, string];
  const at = authority.lastIndexOf('@');
  const host = at >= 0 ? `***@${authority.slice(at + 1)}` : authority;
  const q = rest.indexOf('?');
  if (q < 0) return scheme + host + rest;
  const hash = rest.indexOf('#', q);
  const query = rest.slice(q + 1, hash < 0 ? undefined : hash);
  const redacted = query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const key = eq < 0 ? pair : pair.slice(0, eq);
      let name = key;
      try {
        name = decodeURIComponent(key);
      } catch {
        // a malformed escape: judge the raw key
      }
      return eq >= 0 && CREDENTIAL_PARAMS.test(name) ? `${key}=***` : pair;
    })
    .join('&');
  return `${scheme}${host}${rest.slice(0, q)}?${redacted}${hash < 0 ? '' : rest.slice(hash)}`;
}

/** redactUrls redacts every URL inside a piece of text (log lines, error messages). */
export function redactUrls(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, (match) => {
    // punctuation that ends the sentence is not part of the URL
    const tail = /[).,;:!?]+$/.exec(match)?.[0] ?? '';
    return redactSource(match.slice(0, match.length - tail.length)) + tail;
  });
}

/**
 * sourceKind maps a spec to the kind viewers are told about. A `file` spec is a `still` image
 * (by its extension), a `recording` (named by id, or a recording folder: this looks at the
 * disk) or a video `file`.
 */
export function sourceKind(spec: SourceSpec): SourceKind {
  if (spec.kind === 'auto') return 'camera';
  if (spec.kind !== 'file') return spec.kind;
  if (spec.text.startsWith(RECORDING_PREFIX)) return 'recording';
  if (isStillImage(spec.path)) return 'still';
  return isRecordingDir(spec.path) ? 'recording' : 'file';
}
