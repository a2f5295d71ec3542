/**
 * Which requests this server answers: only those whose Host header names it, so that a page
 * whose own name resolves to 127.0.0.1 (DNS rebinding) cannot talk to it, and only
 * state-changing requests that a page on another site could not have sent (CSRF): they need a
 * JSON content type, and an Origin, when they carry one, of this server's own or one allowed
 * with --allow-origin.
 */
import { isIP } from 'node:net';

/** hostnameOf returns the name in a Host header, lowercased and without its port ("[::1]:8080" → "::1"). */
export function hostnameOf(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colon = h.lastIndexOf(':');
  return colon > 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

/**
 * hostAllowed accepts IP addresses (a rebinding attack needs a name), `localhost` and names under
 * it, the name the server was told to listen on, and every --allow-host name. A request without
 * a Host header (HTTP/1.0 tools) is accepted: a browser always sends one.
 */
export function hostAllowed(host: string | undefined, allowHosts: readonly string[], listenHost: string): boolean {
  if (host === undefined || host === '') return true;
  const name = hostnameOf(host);
  if (!name) return false;
  if (isIP(name)) return true;
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (name === listenHost.toLowerCase()) return true;
  return allowHosts.some((a) => a === name || a === host.trim().toLowerCase());
}

/** misdirected is the sentence a refused Host gets. */
export function misdirected(host: string): string {
  const name = hostnameOf(host).slice(0, 100);
  return `this server does not answer to the name "${name}"; if that name is really this server, start segcam with --allow-host ${name}`;
}

/** originAllowed accepts the page's own origin (its Host) and any configured extra origin. */
export function originAllowed(origin: string, host: string | undefined, extra: readonly string[]): boolean {
  if (extra.includes(origin)) return true;
  try {
    return new URL(origin).host === (host ?? '').toLowerCase();
  } catch {
    return false;
  }
}

/** STATE_CHANGING are the methods that change something; they need a JSON body type. */
export const STATE_CHANGING: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** isJson says whether a Content-Type header is JSON (a type a plain form or a simple cross-site fetch cannot send). */
export function isJson(contentType: string | undefined): boolean {
  return /^application\/json\s*(;|$)/i.test(contentType ?? '');
}
