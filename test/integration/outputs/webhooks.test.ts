/**
 * Webhooks against a real loopback HTTP receiver: the signature verifies over the raw body and
 * covers the timestamp; a failing receiver (500, then 200) gets the same delivery again; a
 * receiver that stays down costs retries, then the event (counted), and a full queue drops its
 * oldest (counted); the queue stays bounded behind a receiver that never answers; timeouts;
 * answers that are final; filters.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RuleChange } from '../../../shared/rules.js';
import type { Logger } from '../../../server/log.js';
import { Webhook, Webhooks, verifySignature, type WebhookBody, type WebhookConfig } from '../../../server/outputs/webhooks.js';
import { startReceiver, type WebhookReceiver } from '../../helpers/webhook-receiver.js';
import { waitFor } from '../../helpers/wait.js';

const lines: string[] = [];
const log: Logger = { info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
  lines.length = 0;
});

async function receiver(): Promise<WebhookReceiver> {
  const r = await startReceiver();
  cleanups.push(() => r.stop());
  return r;
}

function hook(cfg: WebhookConfig): Webhook {
  const h = new Webhook({ backoff: { minMs: 50, maxMs: 200 }, timeoutMs: 2000, ...cfg }, log);
  cleanups.push(() => h.close());
  return h;
}

let n = 0;
function change(over: Partial<RuleChange> = {}): RuleChange {
  n++;
  return {
    camera: 'door',
    rule: 'red-seen',
    state: 'on',
    previous: 'off',
    time: 1_700_000_000_000 + n,
    value: 4.2,
    reason: 'condition',
    analysis: { ts: 1_700_000_000_000 + n, rev: 3, method: 'colour', coverage: 4.2, ranges: [{ name: 'red', color: '#ff0000', coverage: 4.2, blobs: 1 }] },
    ...over,
  };
}

describe('webhooks', () => {
  it('POSTs the change as JSON, signed over the raw body, the timestamp inside the signed body', async () => {
    const r = await receiver();
    const secret = 's3cret-for-the-test';
    const h = hook({ url: r.url('/in?token=abc'), secret, headers: { Authorization: 'Bearer xyz' } });
    h.send(change(), 'http://segcam.local/cam/door/api/events/1/snapshot.jpg');
    await r.waitFor(1);
    const got = r.received[0]!;
    expect(got).toMatchObject({ method: 'POST', path: '/in?token=abc' });
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers.authorization).toBe('Bearer xyz');
    expect(verifySignature(secret, got.body, got.headers['x-segcam-signature'] as string)).toBe(true);
    expect(got.headers['x-segcam-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    // a body changed by one byte, or another secret, does not verify
    expect(verifySignature(secret, Buffer.concat([got.body, Buffer.from(' ')]), got.headers['x-segcam-signature'] as string)).toBe(false);
    expect(verifySignature('other', got.body, got.headers['x-segcam-signature'] as string)).toBe(false);
    const body = JSON.parse(got.body.toString()) as WebhookBody;
    expect(body).toMatchObject({
      type: 'rule',
      camera: 'door',
      rule: 'red-seen',
      state: 'on',
      previous: 'off',
      reason: 'condition',
      value: 4.2,
      snapshot: 'http://segcam.local/cam/door/api/events/1/snapshot.jpg',
    });
    expect(body.analysis).toMatchObject({ rev: 3, ranges: [{ name: 'red', blobs: 1 }] });
    expect(String(body.sentAt)).toBe(got.headers['x-segcam-timestamp']);
    expect(Math.abs(body.sentAt - got.at)).toBeLessThan(2000);
    expect(body.id).toBe(got.headers['x-segcam-delivery']);
    expect(got.headers['x-segcam-event']).toBe('rule');
    await waitFor(() => h.status().sent === 1, 2000, 'sent');
    expect(h.status()).toMatchObject({ ok: true, lastStatus: 200, lastError: null, sent: 1, failed: 0, dropped: 0, queued: 0, url: expect.stringContaining('token=***') });
    // unsigned without a secret
    const plain = hook({ url: r.url() });
    plain.send(change());
    await r.waitFor(2);
    expect(r.received[1]!.headers['x-segcam-signature']).toBeUndefined();
  });

  it('retries a receiver that fails (500, then 200): the same delivery id, re-signed, counted once', async () => {
    const r = await receiver();
    r.script = [500, 'reset', 200];
    const h = hook({ url: r.url(), secret: 'k', retries: 3 });
    h.send(change());
    await r.waitFor(3);
    await waitFor(() => h.status().sent === 1, 2000, 'sent');
    const ids = r.received.map((x) => JSON.parse(x.body.toString()).id as string);
    expect(new Set(ids).size).toBe(1);
    for (const x of r.received) expect(verifySignature('k', x.body, x.headers['x-segcam-signature'] as string)).toBe(true);
    expect(h.status()).toMatchObject({ ok: true, lastStatus: 200, sent: 1, failed: 0, retried: 2 });
    // the backoff between the attempts is there, and short (50..200 ms here)
    const gaps = r.received.slice(1).map((x, i) => x.at - r.received[i]!.at);
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(30);
  });

  it('a receiver that stays down: each event costs its retries and then fails; a full queue drops its oldest', async () => {
    const r = await receiver();
    const url = r.url();
    await r.stop(); // the port now refuses connections
    const h = hook({ url, retries: 2, queue: 3, backoff: { minMs: 20, maxMs: 40 } });
    for (let i = 0; i < 10; i++) h.send(change({ rule: `r${i}` }));
    // one in flight, three waiting, six dropped at once
    expect(h.status()).toMatchObject({ inFlight: true, queued: 3, dropped: 6 });
    await waitFor(() => h.status().failed === 4, 5000, 'the four kept events to fail');
    const s = h.status();
    expect(s).toMatchObject({ ok: false, lastStatus: null, sent: 0, failed: 4, dropped: 6, queued: 0, inFlight: false, retried: 8 });
    expect(s.lastError).toMatch(/ECONNREFUSED/);
    expect(lines.some((l) => /warn webhook webhook-1 .*ECONNREFUSED/.test(l))).toBe(true);
    // it comes back: the next event goes through
    await r.start();
    h.send(change());
    await waitFor(() => h.status().sent === 1, 3000, 'sent after the receiver came back');
    expect(h.status().ok).toBe(true);
  });

  it('the queue stays bounded behind a receiver that never answers; closing drops what is left', async () => {
    const r = await receiver();
    r.otherwise = 'hang';
    const h = hook({ url: r.url(), queue: 5, timeoutMs: 30_000 });
    for (let i = 0; i < 50; i++) h.send(change());
    await r.waitFor(1);
    expect(h.status()).toMatchObject({ inFlight: true, queued: 5, dropped: 44, sent: 0 });
    const t0 = Date.now();
    await h.close();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(h.status()).toMatchObject({ queued: 0, dropped: 49 });
    expect(h.send(change())).toBe(false); // closed
  });

  it('times out an attempt that gets no answer; a 4xx is final; redirects are not followed', async () => {
    const r = await receiver();
    r.script = ['hang'];
    const slow = hook({ url: r.url(), timeoutMs: 300, retries: 0 });
    const t0 = Date.now();
    slow.send(change());
    await waitFor(() => slow.status().failed === 1, 3000, 'the timeout');
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(slow.status().lastError).toBe('no answer within 300 ms');
    r.script = [400];
    const refused = hook({ url: r.url(), retries: 3 });
    const before = r.received.length;
    refused.send(change());
    await waitFor(() => refused.status().failed === 1, 3000, 'the refusal');
    expect(r.received.length - before).toBe(1); // not retried
    expect(refused.status()).toMatchObject({ lastStatus: 400, lastError: 'answered 400', retried: 0 });
    r.script = [302];
    const moved = hook({ url: r.url(), retries: 3 });
    moved.send(change());
    await waitFor(() => moved.status().failed === 1, 3000, 'the redirect');
    expect(moved.status().lastError).toMatch(/redirect, not followed/);
  });

  it('filters by camera, rule and state; every hook has its own queue', async () => {
    const a = await receiver();
    const b = await receiver();
    b.otherwise = 'hang';
    const hooks = new Webhooks(
      [
        { url: a.url(), cameras: ['door'], states: ['on'], backoff: { minMs: 20, maxMs: 40 } },
        { url: b.url(), rules: ['other'], timeoutMs: 30_000 },
      ],
      log,
    );
    cleanups.push(() => hooks.close());
    hooks.send(change({ camera: 'yard' }));
    hooks.send(change({ state: 'off', previous: 'on' }));
    hooks.send(change({ rule: 'other' }));
    hooks.send(change());
    await a.waitFor(2);
    await b.waitFor(1);
    await waitFor(() => hooks.status()[0]!.sent === 2, 5000, 'the first hook to count its deliveries'); // the receiver has them before the sender hears its answer
    expect(a.received.map((x) => JSON.parse(x.body.toString()).rule)).toEqual(['other', 'red-seen']);
    expect(b.received).toHaveLength(1); // and it hangs, while the first hook delivered
    expect(hooks.status().map((s) => [s.name, s.sent, s.inFlight])).toEqual([
      ['webhook-1', 2, false],
      ['webhook-2', 0, true],
    ]);
  });
});
