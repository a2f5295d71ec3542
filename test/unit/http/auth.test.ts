/**
 * Auth: the right token always gets in at once, wrong ones are slowed down (per address, and
 * everywhere at once past a global rate), and the record of guessing addresses stays bounded.
 */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { Auth, WRONG_TOKENS, addressKey, tokenOf } from '../../../server/http/auth.js';
import { createLogger } from '../../../server/log.js';

const TOKEN = 'the-right-token-123';
const req = (o: { token?: string; header?: string; cookie?: string; address?: string } = {}): IncomingMessage =>
  ({
    url: o.token ? `/api/status?token=${o.token}` : '/api/status',
    headers: { ...(o.header ? { authorization: `Bearer ${o.header}` } : {}), ...(o.cookie ? { cookie: `segcam_token=${o.cookie}` } : {}) },
    socket: { remoteAddress: o.address ?? '127.0.0.1' },
  }) as unknown as IncomingMessage;

describe('Auth', () => {
  it('after many wrong tokens from an address, the right one still gets in at once, by every route', () => {
    const lines: string[] = [];
    const auth = new Auth(
      { token: TOKEN, viewToken: 'view-token-1234' },
      createLogger(false, (l) => lines.push(l)),
    );
    for (let i = 0; i < 30; i++) auth.check(req({ header: `wrong-${i}-xxxxxxxx` }));
    expect(auth.check(req({ header: TOKEN }))).toMatchObject({ ok: true, role: 'control', via: 'header' });
    expect(auth.check(req({ token: TOKEN }))).toMatchObject({ ok: true, via: 'query' });
    expect(auth.check(req({ cookie: TOKEN }))).toMatchObject({ ok: true, via: 'cookie' });
    expect(auth.check(req({ header: 'view-token-1234' }))).toMatchObject({ ok: true, role: 'view' });
    expect(lines.join('\n')).not.toMatch(/wrong-\d/); // no token in the log
  });

  it('each wrong answer from an address waits longer, up to a cap', () => {
    const auth = new Auth({ token: TOKEN, viewToken: null }, createLogger(true));
    const delays = Array.from({ length: 8 }, () => {
      const r = auth.check(req({ header: 'nope-nope-nope' }));
      return r.ok === false && r.reason === 'wrong' ? r.delayMs : -1;
    });
    expect(delays.slice(0, 5)).toEqual([100, 200, 400, 800, 1600]);
    expect(delays.slice(5)).toEqual([2000, 2000, 2000]);
    expect(auth.check(req({ header: 'nope-nope-nope', address: '127.0.0.2' }))).toMatchObject({ reason: 'wrong', delayMs: 100 }); // another address: its own count
    expect(auth.check(req())).toEqual({ ok: false, reason: 'missing' });
  });

  it('20,000 guesses from 20,000 addresses are throttled all together, and the record stays bounded', () => {
    const auth = new Auth({ token: TOKEN, viewToken: null }, createLogger(true));
    const counts = { wrong: 0, throttled: 0 };
    for (let i = 0; i < 20_000; i++) {
      const r = auth.check(req({ header: `guess-${i}-xxxxxx`, address: `127.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }));
      if (!r.ok && (r.reason === 'wrong' || r.reason === 'throttled')) counts[r.reason]++;
    }
    expect(counts.wrong).toBeLessThan(WRONG_TOKENS.globalBurst + 50); // a burst, then ~20 a second
    expect(counts.throttled).toBeGreaterThan(19_000);
    expect(auth.addresses).toBeLessThanOrEqual(WRONG_TOKENS.maxAddresses);
    expect(auth.check(req({ header: TOKEN, address: '127.9.9.9' }))).toMatchObject({ ok: true }); // still
  });

  it('holds at most maxWaiting delayed answers; beyond that they are a 429 at once', async () => {
    const auth = new Auth({ token: TOKEN, viewToken: null }, createLogger(true));
    const answers: string[] = [];
    for (let i = 0; i < WRONG_TOKENS.maxWaiting + 5; i++) auth.delay({ ok: false, reason: 'wrong', delayMs: 50 }, (r) => answers.push(r.ok ? 'ok' : r.reason));
    expect(answers).toEqual(new Array(5).fill('throttled'));
    await new Promise((r) => setTimeout(r, 150));
    expect(answers.filter((a) => a === 'wrong')).toHaveLength(WRONG_TOKENS.maxWaiting);
  });

  it('groups IPv6 addresses by /64 and reads every place a token can be', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(tokenOf(req())).toBeNull();
    expect(tokenOf({ url: '/', headers: { 'x-segcam-token': 'abc' }, socket: {} } as unknown as IncomingMessage)).toEqual({ token: 'abc', via: 'header' });
  });
});
