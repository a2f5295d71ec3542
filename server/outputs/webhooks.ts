/**
 * Webhooks: every rule change POSTed as JSON to the configured URLs, signed GitHub-style with
 * HMAC-SHA256 of the raw body (`X-Segcam-Signature: sha256=HEX`), with a timestamp header that
 * the body repeats (`sentAt`), so that it is covered by the signature and a receiver that
 * refuses old timestamps refuses replays. Each hook has its own bounded queue and one request
 * in flight, in order: a slow or dead receiver never holds up another hook, the front's event
 * loop, or memory (a full queue drops its oldest event, counted). A failed attempt (network
 * error, timeout, 5xx, 408, 429) is retried with capped, jittered backoff; other answers are
 * final. Redirects are not followed (the body would go somewhere nobody configured).
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { RuleChange } from '../../shared/rules.js';
import { backoffDelay } from '../capture/backoff.js';
import { redactSource } from '../capture/source.js';
import type { Logger } from '../log.js';

/** WebhookConfig is one hook. Times in ms. */
export interface WebhookConfig {
  url: string;
  /** label in status and metrics (default: `webhook-N`, N its place in the list, from 1) */
  name?: string;
  /** HMAC key; without it requests are not signed */
  secret?: string;
  /** per attempt, ms (default 5000) */
  timeoutMs?: number;
  /** attempts after the first (default 3) */
  retries?: number;
  /** events waiting beyond the one in flight (default 100) */
  queue?: number;
  /** delay before retry n: min·2^(n-1), capped at max, ms (default 1000..30000) */
  backoff?: { minMs: number; maxMs: number };
  /** only these cameras' changes (default: every camera) */
  cameras?: string[];
  /** only these rules' changes (default: every rule) */
  rules?: string[];
  /** only changes to these states (default: both) */
  states?: ('on' | 'off')[];
  /** sent with every request (e.g. an Authorization the receiver wants) */
  headers?: Record<string, string>;
}

/** WebhookBody is what is POSTed: the rule change, a delivery id that stays the same across retries, and when this attempt was sent. */
export interface WebhookBody {
  /** delivery id: the same on every attempt of one event, so that a receiver can drop duplicates */
  id: string;
  type: 'rule';
  /** ms since the epoch, when this attempt was sent (also the X-Segcam-Timestamp header) */
  sentAt: number;
  camera: string;
  rule: string;
  state: 'on' | 'off';
  previous: 'on' | 'off';
  /** ms since the epoch of the change */
  time: number;
  reason: RuleChange['reason'];
  value: number | null;
  analysis: RuleChange['analysis'];
  /** a URL of a picture of the moment, when the front has one */
  snapshot?: string;
}

/** WebhookStatus is one hook as `/api/status` and `/metrics` show it. */
export interface WebhookStatus {
  name: string;
  /** with credentials redacted */
  url: string;
  /** whether the newest attempt succeeded; null before the first */
  ok: boolean | null;
  lastStatus: number | null;
  lastError: string | null;
  /** ms since the epoch of the newest attempt's outcome */
  lastAt: number | null;
  /** events delivered */
  sent: number;
  /** events given up on (retries exhausted, or refused) */
  failed: number;
  /** events dropped from a full queue, or still queued when the hook was closed */
  dropped: number;
  /** attempts that were retries */
  retried: number;
  /** events waiting now, beyond the one in flight */
  queued: number;
  inFlight: boolean;
}

/** SIGNATURE_HEADER carries `sha256=HEX`, the HMAC-SHA256 of the raw body (only with a secret). */
export const SIGNATURE_HEADER = 'X-Segcam-Signature';
/** TIMESTAMP_HEADER carries when this attempt was sent, ms since the epoch (the body's `sentAt`). */
export const TIMESTAMP_HEADER = 'X-Segcam-Timestamp';
/** DELIVERY_HEADER carries the delivery id (the body's `id`), the same on every attempt. */
export const DELIVERY_HEADER = 'X-Segcam-Delivery';
/** EVENT_HEADER says what kind of event the body is (`rule`). */
export const EVENT_HEADER = 'X-Segcam-Event';

/** signBody returns the signature header's value for a raw body: `sha256=` and the HMAC-SHA256 in hex. */
export function signBody(secret: string, body: string | Uint8Array): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** verifySignature checks a signature header against a raw body in constant time (for receivers, and the tests). */
export function verifySignature(secret: string, body: string | Uint8Array, header: string | undefined | null): boolean {
  if (!header) return false;
  const want = Buffer.from(signBody(secret, body));
  const got = Buffer.from(header);
  return want.length === got.length && timingSafeEqual(want, got);
}

type Attempt = { ok: true; status: number } | { ok: false; status: number | null; error: string; retryable: boolean; retryAfterMs: number | null };

const RETRY_AFTER_CAP_MS = 5 * 60_000;

type QueueItem = { id: string; event: Omit<WebhookBody, 'id' | 'type' | 'sentAt'> };

/** Webhook is one hook with its queue and its one request in flight. */
export class Webhook {
  private readonly queue: QueueItem[] = [];
  private busy = false;
  private closed = false;
  private readonly closing = new AbortController();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly s: Omit<WebhookStatus, 'queued' | 'inFlight' | 'name' | 'url'> = {
    ok: null,
    lastStatus: null,
    lastError: null,
    lastAt: null,
    sent: 0,
    failed: 0,
    dropped: 0,
    retried: 0,
  };
  readonly name: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly capacity: number;
  private readonly backoff: { minMs: number; maxMs: number };

  constructor(
    private readonly cfg: WebhookConfig,
    private readonly log: Logger,
    index = 1,
  ) {
    const u = new URL(cfg.url); // throws on a bad URL: the config check should have caught it
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`webhook ${redactSource(cfg.url)}: only http and https URLs are supported`);
    this.name = cfg.name ?? `webhook-${index}`;
    this.timeoutMs = cfg.timeoutMs ?? 5000;
    this.retries = Math.max(0, cfg.retries ?? 3);
    this.capacity = Math.max(1, cfg.queue ?? 100);
    this.backoff = cfg.backoff ?? { minMs: 1000, maxMs: 30_000 };
  }

  /** wants says whether this hook takes a change (its camera, rule and state filters). */
  wants(change: Pick<RuleChange, 'camera' | 'rule' | 'state'>): boolean {
    const c = this.cfg;
    return (!c.cameras || c.cameras.includes(change.camera)) && (!c.rules || c.rules.includes(change.rule)) && (!c.states || c.states.includes(change.state));
  }

  /** send queues one change (if the hook wants it); a full queue drops its oldest event. Returns whether it was queued. */
  send(change: RuleChange, snapshotUrl?: string): boolean {
    if (this.closed || !this.wants(change)) return false;
    const { camera, rule, state, previous, time, reason, value, analysis } = change;
    this.queue.push({ id: randomUUID(), event: { camera, rule, state, previous, time, reason, value, analysis, ...(snapshotUrl ? { snapshot: snapshotUrl } : {}) } });
    if (this.queue.length > this.capacity) {
      this.queue.shift();
      this.s.dropped++;
    }
    this.pump();
    return true;
  }

  status(): WebhookStatus {
    return { name: this.name, url: redactSource(this.cfg.url), ...this.s, queued: this.queue.length, inFlight: this.busy };
  }

  /**
   * close stops the hook: it waits up to `drainMs` for the queue to empty, then abandons the
   * request in flight and drops what is left (counted).
   */
  async close(drainMs = 0): Promise<void> {
    if (drainMs > 0 && (this.busy || this.queue.length)) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, drainMs);
        this.idleWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    this.closed = true;
    this.s.dropped += this.queue.length;
    this.queue.length = 0;
    this.closing.abort();
  }

  /** pump starts the next delivery when none is in flight (synchronously, so the queue bound is exact). */
  private pump(): void {
    if (this.busy || this.closed) return;
    const item = this.queue.shift();
    if (!item) {
      for (const w of this.idleWaiters.splice(0)) w();
      return;
    }
    this.busy = true;
    void this.deliver(item).finally(() => {
      this.busy = false;
      this.pump();
    });
  }

  private async deliver(item: QueueItem): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const r = await this.attempt(item);
      this.s.lastAt = Date.now();
      this.s.lastStatus = r.status;
      if (r.ok) {
        this.s.ok = true;
        this.s.lastError = null;
        this.s.sent++;
        return;
      }
      if (this.s.ok !== false) this.log.warn(`webhook ${this.name} (${redactSource(this.cfg.url)}): ${r.error}${r.retryable && attempt <= this.retries ? '; retrying' : ''}`);
      this.s.ok = false;
      this.s.lastError = r.error;
      if (this.closed) return;
      if (!r.retryable || attempt > this.retries) {
        this.s.failed++;
        return;
      }
      this.s.retried++;
      const delay = r.retryAfterMs !== null ? Math.min(r.retryAfterMs, this.backoff.maxMs, RETRY_AFTER_CAP_MS) : backoffDelay(attempt, this.backoff);
      await this.pause(delay);
      if (this.closed) return;
    }
  }

  /** pause waits `ms`, or until the hook is closed (its listener removed either way, so retries do not pile them up). */
  private pause(ms: number): Promise<void> {
    const signal = this.closing.signal;
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private async attempt(item: QueueItem): Promise<Attempt> {
    const sentAt = Date.now();
    const body: WebhookBody = { id: item.id, type: 'rule', sentAt, ...item.event };
    const raw = JSON.stringify(body);
    const headers: Record<string, string> = {
      ...this.cfg.headers,
      'Content-Type': 'application/json',
      'User-Agent': 'segcam-webhook',
      [EVENT_HEADER]: 'rule',
      [DELIVERY_HEADER]: item.id,
      [TIMESTAMP_HEADER]: String(sentAt),
    };
    if (this.cfg.secret) headers[SIGNATURE_HEADER] = signBody(this.cfg.secret, raw);
    try {
      const res = await fetch(this.cfg.url, {
        method: 'POST',
        headers,
        body: raw,
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(this.timeoutMs), this.closing.signal]),
      });
      await res.body?.cancel().catch(() => undefined); // nothing is read from the answer: free the connection
      if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
      const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
      const why = res.status >= 300 && res.status < 400 ? `answered ${res.status} (a redirect, not followed)` : `answered ${res.status}`;
      return { ok: false, status: res.status, error: why, retryable, retryAfterMs: retryAfter(res.headers.get('retry-after')) };
    } catch (e) {
      return { ok: false, status: null, error: fetchError(e, this.timeoutMs), retryable: true, retryAfterMs: null };
    }
  }
}

/** retryAfter reads a Retry-After header (seconds or an HTTP date) as ms, or null. */
function retryAfter(v: string | null): number | null {
  if (!v) return null;
  if (/^\d+$/.test(v.trim())) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

/** fetchError says in a few words why a request failed (fetch hides the network error in `cause`). */
function fetchError(e: unknown, timeoutMs: number): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  if (err?.name === 'AbortError') return 'abandoned: the hook was closed';
  const cause = err?.cause;
  return cause ? (cause.code ?? cause.message ?? String(cause)) : (err?.message ?? String(e));
}

/** Webhooks is every configured hook. */
export class Webhooks {
  readonly hooks: Webhook[];

  constructor(configs: WebhookConfig[], log: Logger) {
    this.hooks = configs.map((c, i) => new Webhook(c, log, i + 1));
  }

  /** send offers a rule change to every hook that wants it. */
  send(change: RuleChange, snapshotUrl?: string): void {
    for (const h of this.hooks) h.send(change, snapshotUrl);
  }

  status(): WebhookStatus[] {
    return this.hooks.map((h) => h.status());
  }

  /** close closes every hook, waiting up to `drainMs` for each to deliver what it holds. */
  async close(drainMs = 0): Promise<void> {
    await Promise.all(this.hooks.map((h) => h.close(drainMs)));
  }
}
