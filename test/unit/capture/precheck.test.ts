/**
 * A network source's first answer, against real loopback servers: refused, silent, dripping,
 * missing, wanting credentials, and fine; and the probe process with its hard deadline.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { precheck } from '../../../server/capture/precheck.js';
import { probeUrl } from '../../../server/capture/prober.js';
import { dripServer, silentServer, type HostileServer } from '../../helpers/hostile.js';
import { RtspServer, freePort } from '../../helpers/rtsp.js';
import { ROOT } from '../../helpers/server.js';

const PROBE = `${ROOT}dist/server/capture/probe.js`;
let http: ReturnType<typeof createHttpServer>;
let httpPort = 0;
let rtsp404: ReturnType<typeof createServer>;
let rtsp404Port = 0;
let silent: HostileServer;
let drip: HostileServer;

beforeAll(async () => {
  http = createHttpServer((req, res) => {
    if (req.url === '/ok') return void res.writeHead(200, { 'content-type': 'video/mp4' }).end('x');
    if (req.url === '/secret') return void res.writeHead(401).end();
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  httpPort = (http.address() as { port: number }).port;
  rtsp404 = createServer((s) => s.once('data', () => s.end('RTSP/1.0 404 Not Found\r\nCSeq: 1\r\n\r\n')));
  await new Promise<void>((r) => rtsp404.listen(0, '127.0.0.1', r));
  rtsp404Port = (rtsp404.address() as { port: number }).port;
  silent = await silentServer();
  drip = await dripServer('HTTP/1.1 200 OK\r\n\r\n', 500);
});
afterAll(async () => {
  http?.close();
  rtsp404?.close();
  await silent?.close();
  await drip?.close();
});

describe('precheck', () => {
  it('names each way a source can fail, with its reason code', async () => {
    const port = await freePort();
    expect(await precheck(`rtsp://127.0.0.1:${port}/x`, 2000)).toMatchObject({ ok: false, reason: 'REFUSED', error: `rtsp://127.0.0.1:${port}/x: connection refused` });
    expect(await precheck(`http://127.0.0.1:${httpPort}/nothing`, 2000)).toMatchObject({ ok: false, reason: 'NOT_FOUND' });
    expect(await precheck(`http://127.0.0.1:${httpPort}/secret`, 2000)).toMatchObject({ ok: false, reason: 'UNAUTHORIZED' });
    expect(await precheck(`http://user:pw@127.0.0.1:${httpPort}/secret`, 2000)).toEqual({ ok: true }); // FFmpeg may do digest: let it try
    expect(await precheck(`http://127.0.0.1:${httpPort}/ok`, 2000)).toEqual({ ok: true });
    expect(await precheck(`rtsp://127.0.0.1:${rtsp404Port}/x`, 2000)).toMatchObject({ ok: false, reason: 'NOT_FOUND' });
    expect(await precheck('rtsp://no-such-host.invalid/x', 5000)).toMatchObject({ ok: false, reason: 'NOT_FOUND', error: expect.stringMatching(/host not found/) });
  });

  it('a server that never answers, or drips its answer, is a TIMEOUT at the deadline', async () => {
    for (const url of [`rtsp://127.0.0.1:${silent.port}/x`, `http://127.0.0.1:${drip.port}/x`]) {
      const t0 = Date.now();
      const r = await precheck(url, 800);
      expect(r).toMatchObject({ ok: false, reason: 'TIMEOUT', error: expect.stringMatching(/within 0\.8 s/) });
      expect(Date.now() - t0).toBeLessThan(1500);
    }
  });
});

describe('the probe process', () => {
  it('opens a real RTSP stream and reports its size', async () => {
    const cam = new RtspServer(await freePort());
    await cam.start();
    try {
      const r = await probeUrl(cam.url, 10_000, undefined, PROBE);
      expect(r).toMatchObject({ ok: true, width: 320, height: 240, frames: 0 });
    } finally {
      await cam.kill();
    }
  });

  it('is killed at its deadline whatever the source does, and can be cancelled', async () => {
    const t0 = Date.now();
    const r = await probeUrl(`rtsp://127.0.0.1:${silent.port}/x`, 1000, undefined, PROBE);
    expect(r).toMatchObject({ ok: false, reason: 'TIMEOUT' });
    expect(Date.now() - t0).toBeLessThan(2000);
    const ac = new AbortController();
    const pending = probeUrl(`rtsp://127.0.0.1:${silent.port}/x`, 10_000, ac.signal, PROBE);
    setTimeout(() => ac.abort(), 100);
    expect(await pending).toMatchObject({ ok: false, reason: 'STOPPED' });
  });
});
