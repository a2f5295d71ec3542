/**
 * Access: two roles (control, view), a token for each, accepted from a header, the query or a
 * cookie; compared in constant time; wrong tokens from one address are rate-limited and logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { parse as parseCookie } from 'cookie';
import type { Role } from '../../shared/protocol.js';
import type { Logger } from '../log.js';

/** COOKIE_NAME holds the token after a `?token=` visit, so that the page can reconnect. */
export const COOKIE_NAME = 'segcam_token';

/** FAILURE_LIMIT wrong tokens per address per window before that address is refused for a while. */
export const FAILURE_LIMIT = { count: 10, windowMs: 60_000 };

/** AuthResult: a role, no credentials at all, a wrong one, or an address that is refused for now. */
export type AuthResult =
  | { ok: true; role: Role; via: 'header' | 'query' | 'cookie' | 'none'; token: string | null }
  | { ok: false; reason: 'missing' | 'wrong' | 'throttled'; retryAfterS?: number };

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Auth checks requests against the configured tokens. */
export class Auth {
  private readonly control: Buffer | null;
  private readonly view: Buffer | null;
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(
    tokens: { token: string; viewToken: string | null } | null,
    private readonly log: Logger,
  ) {
    this.control = tokens ? digest(tokens.token) : null;
    this.view = tokens?.viewToken ? digest(tokens.viewToken) : null;
  }

  get enabled(): boolean {
    return this.control !== null;
  }

  /** roleOf returns the role a token grants, comparing digests in constant time. */
  roleOf(token: string): Role | null {
    if (!this.control) return 'control';
    const d = digest(token);
    const isControl = timingSafeEqual(d, this.control);
    const isView = this.view ? timingSafeEqual(d, this.view) : false;
    return isControl ? 'control' : isView ? 'view' : null;
  }

  /** check authenticates a request (HTTP or WebSocket upgrade). */
  check(req: IncomingMessage): AuthResult {
    if (!this.control) return { ok: true, role: 'control', via: 'none', token: null };
    const address = req.socket.remoteAddress ?? 'unknown';
    const f = this.failures.get(address);
    if (f && f.count >= FAILURE_LIMIT.count) {
      const left = f.since + FAILURE_LIMIT.windowMs - Date.now();
      if (left > 0) return { ok: false, reason: 'throttled', retryAfterS: Math.ceil(left / 1000) };
      this.failures.delete(address);
    }
    const found = tokenOf(req);
    if (!found) return { ok: false, reason: 'missing' };
    const role = this.roleOf(found.token);
    if (role) return { ok: true, role, via: found.via, token: found.token };
    const now = Date.now();
    const entry = f && now - f.since < FAILURE_LIMIT.windowMs ? f : { count: 0, since: now };
    entry.count++;
    this.failures.set(address, entry);
    if (entry.count === 1 || entry.count === FAILURE_LIMIT.count) {
      this.log.warn(`wrong token from ${address} (${entry.count} in the last minute${entry.count >= FAILURE_LIMIT.count ? '; refusing this address for a minute' : ''})`);
    }
    return { ok: false, reason: 'wrong' };
  }
}

/** tokenOf finds a token in the Authorization header, X-Segcam-Token, ?token= or the cookie. */
export function tokenOf(req: IncomingMessage): { token: string; via: 'header' | 'query' | 'cookie' } | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return { token: auth.slice(7).trim(), via: 'header' };
  const header = req.headers['x-segcam-token'];
  if (typeof header === 'string' && header) return { token: header, via: 'header' };
  const q = new URL(req.url ?? '/', 'http://x').searchParams.get('token');
  if (q) return { token: q, via: 'query' };
  const cookies = req.headers.cookie ? parseCookie(req.headers.cookie) : {};
  const c = cookies[COOKIE_NAME];
  if (c) return { token: c, via: 'cookie' };
  return null;
}

/** authMessage says, in one sentence, why access was refused. */
export function authMessage(r: Extract<AuthResult, { ok: false }>): string {
  if (r.reason === 'missing') return 'an access token is required: open the URL segcam printed at start (it ends in ?token=...)';
  if (r.reason === 'wrong') return 'the access token is wrong: open the URL segcam printed at start';
  return `too many wrong tokens from this address; try again in ${r.retryAfterS} s`;
}
