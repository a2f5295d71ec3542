/**
 * Source specs: what `--source` (or a runtime switch) names, parsed and checked without
 * opening anything.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

/** SourceSpec is a parsed `--source`. */
export type SourceSpec =
  | { kind: 'camera'; index: number; device: string | null; text: string }
  | { kind: 'url'; url: string; text: string }
  | { kind: 'file'; path: string; text: string }
  | { kind: 'demo'; text: string }
  /** camera 0, falling back to the demo with a warning when there is none */
  | { kind: 'auto'; text: string };

/** SourceSpecError is a source that cannot be right whatever happens at run time. */
export class SourceSpecError extends Error {}

/** parseSource parses the text of `--source`; it never touches the file system or network. */
export function parseSource(text: string): SourceSpec {
  const t = text.trim();
  if (t === '' || t === 'auto') return { kind: 'auto', text: 'auto' };
  if (t === 'demo') return { kind: 'demo', text: 'demo' };
  if (/^\d{1,3}$/.test(t)) return { kind: 'camera', index: Number(t), device: null, text: t };
  const dev = /^\/dev\/video(\d{1,3})$/.exec(t);
  if (dev) return { kind: 'camera', index: Number(dev[1]), device: t, text: t };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(t);
  if (scheme) {
    if (!/^(rtsps?|https?)$/i.test(scheme[1]!)) {
      throw new SourceSpecError(`unsupported URL scheme "${scheme[1]}:" (use rtsp, rtsps, http or https)`);
    }
    try {
      new URL(t);
    } catch {
      throw new SourceSpecError(`not a valid URL: ${redactSource(t)}`);
    }
    return { kind: 'url', url: t, text: t };
  }
  return { kind: 'file', path: resolve(t), text: t };
}

/** fileProblem says why a file source cannot be opened at all ('not found', 'not a file'), or null. */
export function fileProblem(path: string): 'not found' | 'not a file' | null {
  if (!existsSync(path)) return 'not found';
  return statSync(path).isFile() ? null : 'not a file';
}

/** redactSource hides a URL's password so that a source can be logged and shown. */
export function redactSource(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@\s]*):[^@/\s]*@/i, '$1:***@');
}

/** sourceKind maps a spec to the kind viewers are told about. */
export function sourceKind(spec: SourceSpec): 'camera' | 'url' | 'file' | 'demo' {
  return spec.kind === 'auto' ? 'camera' : spec.kind;
}
