/**
 * Access: two roles (control, view), a token for each, accepted from a header, the query or a
 * cookie, and compared in constant time. A right token is always accepted, at once. Wrong ones
 * are slowed down rather than banned (a ban would let anyone behind the same proxy, or a page
 * of stale tabs, lock the operator out): each wrong answer waits longer the more an address has
 * guessed, and past a global rate of wrong tokens they are refused at once with 429, whatever
 * address they come from. The per-address record is bounded and its old entries are dropped.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIPv6 } from 'node:net';
import { parse as parseCookie } from 'cookie';
import type { Role } from '../../shared/protocol.js';
import type { Logger } from '../log.js';
import { TokenBucket } from '../stream/limiter.js';

/** COOKIE_NAME holds the token after a `?token=` visit, so that the page can reconnect. */
export const COOKIE_NAME = 'segcam_token';

/** WRONG_TOKENS bounds guessing. */
export const WRONG_TOKENS = {
  /** first delay of a wrong answer, ms; it doubles with each further guess from the address */
  firstDelayMs: 100,
  maxDelayMs: 2000,
  /** a guess is forgotten after this long */
  windowMs: 10 * 60_000,
  /** wrong tokens per second, from everywhere, answered with a delay; the rest at once with 429 */
  globalPerSecond: 20,
  globalBurst: 40,
  /** addresses remembered at most (the oldest are forgotten first) */
  maxAddresses: 4096,
  /** wrong answers waiting at once at most (each holds a socket) */
  maxWaiting: 256,
};

/** AuthResult: a role; no credentials at all; a wrong token (answer after `delayMs`); or too many wrong ones right now. */
export type AuthResult =
  | { ok: true; role: Role; via: 'header' | 'query' | 'cookie' | 'none'; token: string | null }
  | { ok: false; reason: 'missing' }
  | { ok: false; reason: 'wrong'; delayMs: number }
  | { ok: false; reason: 'throttled'; retryAfterS: number };

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Auth checks requests against the configured tokens. */
export class Auth {
  private readonly control: Buffer | null;
  private readonly view: Buffer | null;
  /** wrong guesses per address (insertion order = least recently guessing first) */
  private readonly guesses = new Map<string, { count: number; last: number }>();
  private readonly wrongRate = new TokenBucket(WRONG_TOKENS.globalPerSecond, WRONG_TOKENS.globalBurst);
  private waiting = 0;
  /** wrong tokens since start, by how they were answered (for /metrics): counted where the answer is chosen */
  readonly wrongAnswers = { delayed: 0, throttled: 0 };
  private lastLogAt = 0;
  private unlogged = 0;

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

  /** addresses is how many addresses are remembered as guessing (for tests: bounded). */
  get addresses(): number {
    return this.guesses.size;
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
    const found = tokenOf(req);
    if (!found) return { ok: false, reason: 'missing' };
    const role = this.roleOf(found.token);
    if (role) return { ok: true, role, via: found.via, token: found.token };
    return this.wrong(addressKey(req.socket.remoteAddress ?? 'unknown'));
  }

  /**
   * waitAndAnswer runs `answer` after a wrong token's delay, holding at most maxWaiting answers
   * at once (beyond that, the answer is a 429 at once).
   */
  delay(result: Extract<AuthResult, { reason: 'wrong' }>, answer: (r: AuthResult) => void): void {
    if (this.waiting >= WRONG_TOKENS.maxWaiting) {
      this.wrongAnswers.throttled++;
      return answer({ ok: false, reason: 'throttled', retryAfterS: 1 });
    }
    this.wrongAnswers.delayed++;
    this.waiting++;
    setTimeout(() => {
      this.waiting--;
      answer(result);
    }, result.delayMs).unref();
  }

  private wrong(address: string): AuthResult {
    const now = Date.now();
    if (!this.wrongRate.take()) {
      this.wrongAnswers.throttled++;
      this.note(address, now, 'throttled');
      return { ok: false, reason: 'throttled', retryAfterS: 1 };
    }
    const g = this.guesses.get(address);
    const count = g && now - g.last < WRONG_TOKENS.windowMs ? g.count + 1 : 1;
    this.guesses.delete(address); // re-insert: most recent last
    this.guesses.set(address, { count, last: now });
    while (this.guesses.size > WRONG_TOKENS.maxAddresses) this.guesses.delete(this.guesses.keys().next().value!);
    this.note(address, now, count === 1 ? 'first' : 'again');
    return { ok: false, reason: 'wrong', delayMs: Math.min(WRONG_TOKENS.maxDelayMs, WRONG_TOKENS.firstDelayMs * 2 ** Math.min(10, count - 1)) };
  }

  /** note logs wrong tokens without flooding the log: at most one line per 10 s, with a count. */
  private note(address: string, now: number, what: 'first' | 'again' | 'throttled'): void {
    this.unlogged++;
    if (now - this.lastLogAt < 10_000 && what !== 'first') return;
    if (now - this.lastLogAt < 1000) return;
    this.log.warn(
      `wrong token from ${address}${this.unlogged > 1 ? ` (${this.unlogged} wrong tokens since the last report)` : ''}${what === 'throttled' ? '; answering further wrong tokens with 429 for now' : ''}`,
    );
    this.lastLogAt = now;
    this.unlogged = 0;
  }
}

/** addressKey groups IPv6 addresses by their /64 (one host can hold a whole /64); IPv4 stays as it is. */
export function addressKey(address: string): string {
  const a = address.replace(/^::ffff:/, '');
  if (!isIPv6(a)) return a;
  const full = a.includes('::') ? expand(a) : a.split(':');
  return `${full.slice(0, 4).join(':')}::/64`;
}

function expand(a: string): string[] {
  const [head, tail] = a.split('::') as [string, string];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  return [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
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
  if (r.reason === 'wrong') return 'the access token is wrong: open the URL segcam printed at start, or ask for the current token';
  return `too many wrong tokens right now; try again in ${r.retryAfterS} s`;
}
