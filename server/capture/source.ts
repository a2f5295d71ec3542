/**
 * Source specs: what `--source`, a camera's `source:` or a runtime switch names, parsed and
 * checked without opening anything; and their redaction, wherever a source is shown.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SourceKind } from '../../shared/status.js';

/** SourceSpec is a parsed source. */
export type SourceSpec =
  | { kind: 'camera'; index: number; device: string | null; text: string }
  | { kind: 'url'; url: string; text: string }
  | { kind: 'file'; path: string; text: string }
  | { kind: 'demo'; text: string }
  /** camera 0, falling back to the demo with a warning when there is none */
  | { kind: 'auto'; text: string };

/** SourceSpecError is a source that cannot be right whatever happens at run time. */
export class SourceSpecError extends Error {}

/** parseSource parses a source's text; it never touches the file system or network. */
export function parseSource(text: string): SourceSpec {
  const t = text.trim();
  if (t === '' || t === 'auto') return { kind: 'auto', text: 'auto' };
  if (t === 'demo') return { kind: 'demo', text: 'demo' };
  if (/^\d{1,3}$/.test(t)) return { kind: 'camera', index: Number(t), device: null, text: t };
  const dev = /^\/dev\/video(\d{1,3})$/.exec(t);
  if (dev) return { kind: 'camera', index: Number(dev[1]), device: t, text: t };
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

/** fileProblem says why a file source cannot be opened at all ('not found', 'not a file'), or null. */
export function fileProblem(path: string): 'not found' | 'not a file' | null {
  if (!existsSync(path)) return 'not found';
  return statSync(path).isFile() ? null : 'not a file';
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

/** sourceKind maps a spec to the kind viewers are told about. */
export function sourceKind(spec: SourceSpec): SourceKind {
  return spec.kind === 'auto' ? 'camera' : spec.kind;
}
