/**
 * Plays well with others: MJPEG read by ffmpeg, snapshots fetched by curl, the REST API, health,
 * Prometheus metrics parsed by a Prometheus text-format parser, and the encode-once fan-out.
 */
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { promisify } from 'node:util';
import parsePrometheus from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pack, type SettingsMessage } from '../../shared/protocol.js';
import WebSocket from 'ws';
import { decode } from '../helpers/images.js';
import { rssKb } from '../helpers/proc.js';
import { removeTempDirs, startServer, tempDir, type ServerHandle } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { connectViewer, type TestViewer } from '../helpers/viewer.js';

const run = promisify(execFile);
let s: ServerHandle;
const auth = () => ({ authorization: `Bearer ${s.token}` });
const status = async () => (await fetch(`${s.base}/api/status`, { headers: auth() })).json();

describe('interoperability', () => {
  beforeAll(async () => {
    s = await startServer({ args: ['--source', 'demo', '--width', '320', '--height', '240', '--fps', '30', '--max-viewers', '64'] });
  });
  afterAll(async () => {
    await s?.stop();
    removeTempDirs();
  });

  it('ffmpeg reads /stream.mjpg and decodes at least 30 frames', async () => {
    const { stderr } = await run(
      'ffmpeg',
      [
        '-hide_banner',
        '-nostats',
        '-headers',
        `Authorization: Bearer ${s.token}\r\n`,
        '-f',
        'mpjpeg',
        '-i',
        `${s.base}/stream.mjpg?view=original`,
        '-frames:v',
        '40',
        '-f',
        'null',
        '-',
      ],
      { timeout: 30_000 },
    );
    const frames = Number(/frame=\s*(\d+)/.exec(stderr)?.[1] ?? /(\d+) frames? (?:decoded|successfully)/.exec(stderr)?.[1] ?? 0);
    expect(stderr).toMatch(/Stream #0:0: Video: mjpeg/);
    expect(frames).toBeGreaterThanOrEqual(30);
  });

  it("the README's ffmpeg recipe records at the stream's real pace (wall-clock timestamps)", async () => {
    const out = `${tempDir()}/out.mp4`;
    await run(
      'ffmpeg',
      [
        '-v',
        'error',
        '-use_wallclock_as_timestamps',
        '1',
        '-f',
        'mpjpeg',
        '-i',
        `${s.base}/stream.mjpg?token=${s.token}`,
        '-t',
        '3',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-fps_mode',
        'vfr',
        out,
      ],
      { timeout: 30_000 },
    );
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=nb_frames', '-of', 'json', out]);
    const probe = JSON.parse(stdout) as { format: { duration: string }; streams: { nb_frames: string }[] };
    expect(Number(probe.format.duration)).toBeGreaterThan(2.5);
    expect(Number(probe.format.duration)).toBeLessThan(3.5);
    expect(Number(probe.streams[0]!.nb_frames)).toBeGreaterThan(70); // ~30 fps for 3 s: real time, not slow motion
  });

  it('ffprobe sees a 320x240 MJPEG stream at the mjpg-streamer URL', async () => {
    const { stdout } = await run(
      'ffprobe',
      [
        '-v',
        'error',
        '-headers',
        `Authorization: Bearer ${s.token}\r\n`,
        '-f',
        'mpjpeg',
        '-select_streams',
        'v:0',
        '-show_entries',
        'stream=codec_name,width,height',
        '-of',
        'csv=p=0',
        `${s.base}/?action=stream`,
      ],
      { timeout: 30_000 },
    );
    expect(stdout.trim()).toBe('mjpeg,320,240');
  });

  it('curl fetches a snapshot that decodes, in each view', async () => {
    for (const view of ['masked', 'mask', 'original', 'side']) {
      const { stdout } = await run('curl', ['-sf', '-H', `Authorization: Bearer ${s.token}`, `${s.base}/snapshot.jpg?view=${view}`], {
        encoding: 'buffer',
        timeout: 15_000,
      } as never);
      const img = decode(stdout as unknown as Uint8Array);
      expect([img.cols, img.rows]).toEqual([view === 'side' ? 640 : 320, 240]);
      img.release();
    }
    const bad = await fetch(`${s.base}/snapshot.jpg?view=xray`, { headers: auth() });
    expect(bad.status).toBe(400);
  });

  it('PATCH /api/settings changes what WebSocket viewers receive, like a set', async () => {
    const v = await connectViewer(s);
    const before = await v.nextFrame((f) => !f.placeholder);
    expect(before.analysis!.coverage).toBeGreaterThan(0);
    const broadcast = v.next((m): m is SettingsMessage => m.type === 'settings');
    const res = await fetch(`${s.base}/api/settings`, { method: 'PATCH', headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify({ ranges: [] }) });
    expect(res.status).toBe(200);
    const msg = await broadcast;
    expect(msg).toMatchObject({ by: 0, settings: { method: { kind: 'colour', ranges: [] } } });
    await v.nextFrame((f) => f.analysis?.coverage === 0);
    const bad = await fetch(`${s.base}/api/settings`, { method: 'PATCH', headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify({ quality: 0 }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'INVALID', message: expect.stringMatching(/quality/) });
    await fetch(`${s.base}/api/settings`, {
      method: 'PATCH',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ ranges: [{ name: 'red', color: '#ff3b30', lower: [170, 100, 80], upper: [10, 255, 255] }] }),
    });
    v.close();
  });

  it('status, health, readiness and the OpenAPI description', async () => {
    const st = await status();
    expect(st).toMatchObject({ source: { state: 'live', kind: 'demo', width: 320, height: 240 }, viewers: { ws: expect.any(Number) } });
    expect(st.uptime).toBeGreaterThanOrEqual(0);
    expect(await (await fetch(`${s.base}/healthz`)).json()).toMatchObject({ ok: true });
    expect((await fetch(`${s.base}/readyz`, { headers: auth() })).status).toBe(200);
    const api = await (await fetch(`${s.base}/api/openapi.json`, { headers: auth() })).json();
    expect(api.openapi).toMatch(/^3\./);
    expect(Object.keys(api.paths)).toEqual(
      expect.arrayContaining(['/api/settings', '/api/status', '/snapshot.jpg', '/stream.mjpg', '/metrics', '/api/cameras', '/cam/{camera}/api/settings', '/cam/{camera}/readyz']),
    );
  });

  it('20 MJPEG clients and 20 WebSocket viewers of one view cost one encode per frame', async () => {
    const mjpeg: { close: () => void; bytes: () => number }[] = [];
    for (let i = 0; i < 20; i++) {
      let bytes = 0;
      const req = request(`${s.base}/stream.mjpg`, { headers: auth() }, (res) => res.on('data', (d: Buffer) => (bytes += d.length)));
      req.end();
      mjpeg.push({ close: () => req.destroy(), bytes: () => bytes });
    }
    const ws: TestViewer[] = [];
    for (let i = 0; i < 20; i++) ws.push(await connectViewer(s));
    await ws[0]!.nextFrame();
    await new Promise((r) => setTimeout(r, 500));
    const a = await status();
    await new Promise((r) => setTimeout(r, 2000));
    const b = await status();
    const frames = b.frames.processed - a.frames.processed;
    const encodes = b.frames.encodes - a.frames.encodes;
    expect(b.viewers).toEqual({ ws: 20, mjpeg: 20 });
    expect(b.watchedViews).toEqual(['masked']);
    expect(frames).toBeGreaterThan(30);
    expect(encodes, JSON.stringify({ a: a.frames, b: b.frames, av: a.watchedViews })).toBe(frames); // one watched view: one encode per frame, for 40 consumers
    expect(b.frames.sent - a.frames.sent).toBeGreaterThan(frames * 35);
    expect(mjpeg.every((m) => m.bytes() > 10_000)).toBe(true);
    // a second view adds exactly one encode per frame
    ws[0]!.send({ type: 'view', view: 'mask' });
    await ws[0]!.nextFrame((f) => f.view === 'mask');
    await new Promise((r) => setTimeout(r, 600)); // the counters reach /api/status every 250 ms
    const c = await status();
    await new Promise((r) => setTimeout(r, 1500));
    const d = await status();
    expect(d.frames.encodes - c.frames.encodes).toBe(2 * (d.frames.processed - c.frames.processed));
    mjpeg.forEach((m) => m.close());
    ws.forEach((v) => v.close());
    await new Promise((r) => setTimeout(r, 300));
  });

  it('a stalled MJPEG client drops frames instead of growing the server', async () => {
    // big frames fill the kernel's socket buffers sooner
    const patch = (quality: number) =>
      fetch(`${s.base}/api/settings`, { method: 'PATCH', headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify({ quality }) });
    await patch(100);
    // a client that connects and never reads: once its socket is full it skips frames
    const req = request(`${s.base}/stream.mjpg?view=original`, { headers: auth() }, (res) => res.pause());
    req.end();
    const start = (await status()).frames.dropped.viewers;
    const deadline = Date.now() + 30_000;
    while ((await status()).frames.dropped.viewers - start < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    const r0 = rssKb(s.pid) + rssKb(await s.cameraPid());
    const a = await status();
    await new Promise((r) => setTimeout(r, 4000));
    const r1 = rssKb(s.pid) + rssKb(await s.cameraPid());
    const b = await status();
    expect(b.frames.dropped.viewers - a.frames.dropped.viewers).toBeGreaterThan(60); // ~30 fps skipped
    expect(r1 - r0).toBeLessThan(20 * 1024); // kB: flat while it keeps skipping
    req.destroy();
    await patch(80);
  });

  it('/metrics parses as Prometheus text, with values that match what happened', async () => {
    const v = await connectViewer(s);
    await v.nextFrame((f) => !f.placeholder);
    // a viewer of its own that never reads, so that this test's drops are its own
    const stalled = new WebSocket(`ws://127.0.0.1:${s.port}/ws?token=${s.token}`);
    await new Promise((r) => stalled.once('open', r));
    stalled.send(pack({ type: 'view', view: 'original' })); // big frames fill the kernel's buffers sooner
    (stalled as unknown as { _socket: import('node:net').Socket })._socket.pause();
    await fetch(`${s.base}/api/settings`, { method: 'PATCH', headers: { ...auth(), 'content-type': 'application/json' }, body: '{"quality":100}' });
    const dropped0 = (await status()).frames.dropped.viewers;
    await waitFor(async () => (await status()).frames.dropped.viewers - dropped0 > 60, 30_000, 'the stalled viewer to skip frames');
    await new Promise((r) => setTimeout(r, 600));
    const text = await (await fetch(`${s.base}/metrics`, { headers: auth() })).text();
    const st = await status();
    const families = parsePrometheus(text) as { name: string; metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string }[] }[];
    const get = (name: string, labels: Record<string, string> = {}): number => {
      const f = families.find((x) => x.name === name);
      if (!f) throw new Error(`no metric ${name}`);
      const m = f.metrics.find((x) => Object.entries(labels).every(([k, val]) => x.labels?.[k] === val));
      if (!m) throw new Error(`no ${name} with ${JSON.stringify(labels)} in ${JSON.stringify(f.metrics).slice(0, 300)}`);
      return Number(m.value ?? m.count ?? m.buckets?.['+Inf']);
    };
    expect(get('segcam_frames_captured_total')).toBeGreaterThan(0);
    expect(get('segcam_frames_captured_total')).toBeLessThanOrEqual(st.frames.captured);
    expect(get('segcam_jpeg_encodes_total')).toBeLessThanOrEqual(st.frames.encodes);
    expect(get('segcam_jpeg_encodes_total')).toBeGreaterThan(st.frames.encodes - 60);
    expect(get('segcam_viewers', { kind: 'ws' })).toBe(2); // this test's viewer and its stalled one
    expect(get('segcam_source_live')).toBe(1);
    expect(get('segcam_frames_dropped_total', { reason: 'viewer' })).toBeGreaterThanOrEqual(st.frames.dropped.viewers - 40); // the stalled MJPEG client
    expect(get('segcam_frames_dropped_total', { reason: 'viewer' })).toBeGreaterThan(60);
    // histograms: one observation per segmented frame that reached the front (this parser keeps the first label set only)
    const reachedFront = st.frames.processed - st.frames.dropped.pipe;
    expect(get('segcam_stage_duration_seconds')).toBeGreaterThan(reachedFront - 60);
    expect(get('segcam_stage_duration_seconds')).toBeLessThanOrEqual(st.frames.processed + 30); // counters tick every 250 ms
    expect(get('segcam_capture_to_send_seconds')).toBeGreaterThan(reachedFront - 60);
    expect(text).toMatch(/segcam_stage_duration_seconds_count\{camera="main",stage="encode"\} \d+/);
    expect(text).not.toMatch(/segcam_process_process_/); // one prefix, not two
    expect(text).toMatch(/segcam_process_cpu_seconds_total \d/);
    expect(text).toMatch(/segcam_camera_resident_memory_bytes\{camera="main"\} \d+/);
    expect(get('segcam_mask_coverage_percent', { range: 'red' })).toBeGreaterThan(0);
    expect(get('segcam_mask_blobs', { range: 'red' })).toBeGreaterThanOrEqual(1);
    stalled.terminate();
    await fetch(`${s.base}/api/settings`, { method: 'PATCH', headers: { ...auth(), 'content-type': 'application/json' }, body: '{"quality":80}' });
    v.close();
  });
});
