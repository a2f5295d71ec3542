/**
 * Safe to expose: roles, tokens, origins, limits, hostile input, HTTP hygiene and durable
 * settings, over real HTTP and WebSocket connections.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CLOSE_CODES, pack } from '../../shared/protocol.js';
import { rssKb } from '../helpers/proc.js';
import { runCli, startServer, type ServerHandle } from '../helpers/server.js';
import { connectViewer, wsRefusal } from '../helpers/viewer.js';

const VIEW_TOKEN = 'view-only-token-987654';
const ARGS = ['--source', 'demo', '--width', '320', '--height', '240', '--view-token', VIEW_TOKEN, '--max-viewers', '6'];

describe('access rules', () => {
  let s: ServerHandle;
  beforeAll(async () => {
    s = await startServer({ args: ARGS });
  });
  afterAll(async () => {
    await s?.stop();
  });
  const auth = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });

  it('HTTP: no token and a wrong token are refused; both tokens may read', async () => {
    expect((await fetch(`${s.base}/api/settings`)).status).toBe(401);
    const wrong = await fetch(`${s.base}/api/settings`, auth('wrong-token-xyz'));
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ code: 'UNAUTHORIZED', message: expect.stringMatching(/token is wrong/) });
    expect((await fetch(`${s.base}/api/settings`, auth(s.token!))).status).toBe(200);
    expect((await fetch(`${s.base}/api/settings`, auth(VIEW_TOKEN))).status).toBe(200);
    expect((await fetch(`${s.base}/snapshot.jpg`)).status).toBe(401); // no frame without the token
    expect((await fetch(`${s.base}/healthz`)).status).toBe(200); // the one public endpoint
  });

  it('the view token may watch but not set, switch or save', async () => {
    const v = await connectViewer(s, { token: VIEW_TOKEN });
    expect(v.messages[0]).toMatchObject({ type: 'hello', role: 'view' });
    await v.nextFrame();
    v.send({ type: 'set', settings: { quality: 10 } });
    expect(await v.next((m) => m.type === 'error')).toMatchObject({ code: 'FORBIDDEN', message: 'the view-only token may not send set' });
    v.send({ type: 'source', source: 'demo' });
    expect(await v.next((m) => m.type === 'error' && m.ref === 'source')).toMatchObject({ code: 'FORBIDDEN' });
    const patch = await fetch(`${s.base}/api/settings`, { method: 'PATCH', headers: { authorization: `Bearer ${VIEW_TOKEN}`, 'content-type': 'application/json' }, body: '{"quality":10}' });
    expect(patch.status).toBe(403);
    expect((await (await fetch(`${s.base}/api/settings`, auth(s.token!))).json()).settings.quality).not.toBe(10);
    v.close();
  });

  it('refuses WebSockets from a foreign origin, allows the same origin', async () => {
    const bad = await wsRefusal(`ws://127.0.0.1:${s.port}/ws?token=${s.token}`, { origin: 'http://evil.example' });
    expect(bad.status).toBe(403);
    const same = await connectViewer(s, { headers: { origin: `http://127.0.0.1:${s.port}` } });
    expect(same.messages[0]!.type).toBe('hello');
    same.close();
  });

  it('caps the number of viewers with a clear close reason', async () => {
    const viewers = [];
    for (let i = 0; i < 6; i++) viewers.push(await connectViewer(s));
    const extra = await wsRefusal(`ws://127.0.0.1:${s.port}/ws?token=${s.token}`);
    expect(extra.closeCode).toBe(CLOSE_CODES.TRY_AGAIN_LATER);
    expect(extra.closeReason).toBe('too many viewers (the most is 6)');
    viewers.forEach((v) => v.close());
    await new Promise((r) => setTimeout(r, 300));
  });

  it('rate-limits control messages, and closes a client that keeps flooding', async () => {
    const v = await connectViewer(s);
    for (let i = 0; i < 100; i++) v.send({ type: 'ping', id: i, t: 1 });
    const limited = await v.next((m) => m.type === 'error' && m.code === 'RATE_LIMITED');
    expect(limited.type).toBe('error');
    for (let i = 0; i < 400 && !v.closed; i++) v.sendRaw(new Uint8Array([0xc1])); // garbage, fast
    await new Promise((r) => setTimeout(r, 500));
    expect(v.closed?.code).toBe(CLOSE_CODES.ABUSE);
  });

  it('slows down an address that keeps guessing tokens', async () => {
    const other = await startServer({ args: ['--source', 'demo'] });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 12; i++) codes.push((await fetch(`${other.base}/api/status`, auth(`guess-${i}-xxxxxxxx`))).status);
      expect(codes.slice(0, 10).every((c) => c === 401)).toBe(true);
      expect(codes.slice(10)).toEqual([429, 429]);
      const right = await fetch(`${other.base}/api/status`, auth(other.token!));
      expect(right.status).toBe(429); // even the right token waits out the penalty
      expect(right.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(other.output()).toMatch(/wrong token from 127\.0\.0\.1 \(10 in the last minute; refusing this address for a minute\)/);
      expect(other.output()).not.toMatch(/guess-/); // tokens never reach the log
    } finally {
      await other.stop();
    }
  });
});

describe('HTTP hygiene', () => {
  let s: ServerHandle;
  beforeAll(async () => {
    s = await startServer({ args: ['--source', 'demo'] });
  });
  afterAll(async () => {
    await s?.stop();
  });
  const h = () => ({ authorization: `Bearer ${s.token}` });

  it('sends security headers the viewer satisfies', async () => {
    const r = await fetch(`${s.base}/`, { headers: h() });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-security-policy')).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('x-powered-by')).toBeNull();
  });

  it('JSON errors, no stack traces, no path traversal, bounded bodies', async () => {
    const notFound = await fetch(`${s.base}/nothing-here`, { headers: h() });
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toMatchObject({ code: 'NOT_FOUND' });
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/app.js/../../../package.json']) {
      const r = await fetch(`${s.base}${path}`, { headers: h() });
      expect(await r.text()).not.toMatch(/"name": "segcam"/);
    }
    const badJson = await fetch(`${s.base}/api/settings`, { method: 'PATCH', headers: { ...h(), 'content-type': 'application/json' }, body: '{"quality": 5' });
    expect(badJson.status).toBe(400);
    const body = await badJson.json();
    expect(body.code).toBe('BAD_MESSAGE');
    expect(JSON.stringify(body)).not.toMatch(/at .*\.js:\d+/);
    const big = await fetch(`${s.base}/api/settings`, { method: 'PATCH', headers: { ...h(), 'content-type': 'application/json' }, body: JSON.stringify({ quality: 5, pad: 'x'.repeat(40_000) }) });
    expect(big.status).toBe(413);
    const extra = await fetch(`${s.base}/api/settings`, { method: 'PATCH', headers: { ...h(), 'content-type': 'application/json' }, body: '{"quality":5,"__proto__":{"admin":true}}' });
    expect(extra.status).toBe(400);
    expect(await extra.json()).toMatchObject({ code: 'INVALID' });
  });
});

describe('hostile input over a real socket', () => {
  it('random and malformed frames do not hurt the server or another viewer', async () => {
    const s = await startServer({ args: ['--source', 'demo', '--width', '320', '--height', '240', '--fps', '30'] });
    try {
      const watcher = await connectViewer(s);
      await watcher.nextFrame();
      const rssBefore = rssKb(s.pid);
      const t0 = Date.now();
      const n0 = watcher.frameCount;
      const samples: Uint8Array[] = [
        new Uint8Array([0xc1]),
        new Uint8Array([0xdf, 0xff, 0xff, 0xff, 0xff]), // map claiming 4 billion entries
        new Uint8Array([0xdd, 0x7f, 0xff, 0xff, 0xff]), // array claiming 2 billion items
        new Uint8Array(new Array(3000).fill(0x91)), // 3000-deep nesting
        new Uint8Array([0xc7, 0x05, 0x42, 1, 2]), // truncated extension
        pack({ type: 'set', settings: { ranges: 'all' as never } }),
      ];
      let sent = 0;
      // fuzzers reconnect when closed for abuse; bounded in count and time
      while (Date.now() - t0 < 6000 && sent < 20_000) {
        const ws = new WebSocket(`ws://127.0.0.1:${s.port}/ws?token=${s.token}`);
        await new Promise((r) => ws.once('open', r));
        for (let i = 0; i < 150 && ws.readyState === WebSocket.OPEN; i++, sent++) {
          const b = i % 3 === 0 ? samples[i % samples.length]! : randomBytes(1 + (i % 200));
          ws.send(i % 7 === 0 ? b.toString() : b);
        }
        await new Promise((r) => setTimeout(r, 50));
        ws.terminate();
      }
      const seconds = (Date.now() - t0) / 1000;
      const fps = (watcher.frameCount - n0) / seconds;
      expect(sent).toBeGreaterThan(1000);
      expect(fps).toBeGreaterThan(20); // the watching viewer kept its ~30 fps
      expect(watcher.closed).toBeNull();
      expect((await fetch(`${s.base}/healthz`)).status).toBe(200);
      const rssAfter = rssKb(s.pid);
      expect(rssAfter - rssBefore).toBeLessThan(64 * 1024); // kB: bounded
      console.log(`fuzz: ${sent} hostile messages in ${seconds.toFixed(1)} s; watcher at ${fps.toFixed(1)} fps; RSS ${rssBefore} → ${rssAfter} kB`);
    } finally {
      await s.stop();
    }
  });
});

describe('durable settings', () => {
  it('SIGKILL in the middle of many saves always leaves a valid settings file', async () => {
    let dataDir: string | undefined;
    for (let round = 0; round < 5; round++) {
      const s = await startServer({ args: ['--source', 'demo'], dataDir });
      dataDir = s.dataDir;
      const h = { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' };
      let stop = false;
      const hammer = (async () => {
        for (let i = 0; !stop && i < 2000; i++) {
          await fetch(`${s.base}/api/settings`, { method: 'PATCH', headers: h, body: JSON.stringify({ quality: 1 + ((i * 7 + round) % 100), ranges: [{ name: `r${i}`, color: '#ff0000', lower: [0, 0, 0], upper: [i % 180, 255, 255] }] }) }).catch(() => undefined);
        }
      })();
      await new Promise((r) => setTimeout(r, 300 + round * 150));
      process.kill(s.pid, 'SIGKILL'); // the serving process itself, not a launcher that relays a stop
      stop = true;
      await hammer;
      if (s.proc.exitCode === null && s.proc.signalCode === null) await new Promise((r) => s.proc.once('exit', r));
      const text = readFileSync(join(dataDir, 'settings.json'), 'utf8');
      expect(() => JSON.parse(text)).not.toThrow();
    }
    // and the server starts from it
    const s = await startServer({ args: ['--source', 'demo'], dataDir });
    const got = await (await fetch(`${s.base}/api/settings`, { headers: { authorization: `Bearer ${s.token}` } })).json();
    expect(got.settings.ranges[0].name).toMatch(/^r\d+$/);
    await s.stop();
  });

  it('a broken settings file is a clear error naming file and line, and is left untouched', async () => {
    const s = await startServer({ args: ['--source', 'demo'] });
    await fetch(`${s.base}/api/settings`, { method: 'PATCH', headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' }, body: '{"quality":42}' });
    await s.stop();
    const file = join(s.dataDir, 'settings.json');
    const text = readFileSync(file, 'utf8');
    const broken = text.replace('"quality": 42,', '"quality": 42,,');
    writeFileSync(file, broken);
    const r = await runCli(['--source', 'demo', '--no-auth', '--port', '0', '--data-dir', s.dataDir]);
    expect(r.code).toBe(1);
    const line = broken.split('\n').findIndex((l) => l.includes(',,')) + 1;
    expect(r.stderr).toContain(`${file}:${line}:`);
    expect(r.stderr).toMatch(/not valid JSON/);
    expect(readFileSync(file, 'utf8')).toBe(broken);
    // a hand edit that is valid JSON but an impossible setting
    writeFileSync(file, text.replace('"quality": 42', '"quality": 420'));
    const r2 = await runCli(['--source', 'demo', '--no-auth', '--port', '0', '--data-dir', s.dataDir]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/settings\.json:\d+: settings: quality/);
  });
});
