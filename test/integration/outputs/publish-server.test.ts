/**
 * Publishing from the real server (the front, a camera process, its ffmpeg child) to a real
 * RECORD-mode RTSP server (GStreamer): with nobody watching, the camera publishes H.264 of the
 * source's size and JPEG-encodes nothing; viewers, snapshots and /readyz work beside it; a
 * media server that is killed and started again gets the stream again; a target with nothing
 * listening leaves the camera live for its viewers; the side view's placeholders keep the
 * published size (one session, on past the end of a file), the mask view goes out grey; the
 * encoder child goes when the server stops; Mats stay flat.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { clipPath } from '../../helpers/fixtures.js';
import { alive, childPids } from '../../helpers/proc.js';
import { RtspRecordServer } from '../../helpers/rtsp-record.js';
import { freePort } from '../../helpers/rtsp.js';
import { authHeaders, removeTempDirs, startServer, tempDir, type ServerHandle } from '../../helpers/server.js';
import { waitFor } from '../../helpers/wait.js';
import { connectViewer } from '../../helpers/viewer.js';
import { probe } from '../../helpers/ffprobe.js';

const run = promisify(execFile);
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
  removeTempDirs();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function recordServer(): Promise<RtspRecordServer> {
  const r = new RtspRecordServer(await freePort(), tempDir('segcam-pubsrv-'));
  await r.start();
  cleanups.push(() => r.kill());
  return r;
}
async function server(args: string[]): Promise<ServerHandle> {
  const s = await startServer({ args });
  cleanups.push(() => s.stop());
  return s;
}

/** counter reads one per-camera counter from /metrics. */
async function counter(s: ServerHandle, name: string, camera = 'main'): Promise<number> {
  const text = await (await fetch(`${s.base}/metrics`, { headers: authHeaders(s) })).text();
  return Number(new RegExp(`^${name}\\{camera="${camera}"\\} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
}

/** encoderOf is the ffmpeg child of a camera process (null while it has none). */
const encoderOf = (cameraPid: number): number | null => childPids(cameraPid).find((c) => c.command === 'ffmpeg')?.pid ?? null;

const liveMats = async (s: ServerHandle, camera = 'main'): Promise<number> =>
  ((await (await fetch(`${s.base}/cam/${camera}/api/status`, { headers: authHeaders(s) })).json()) as { liveMats: number }).liveMats;

describe('publishing from the server', () => {
  it('with nobody watching, publishes H.264 of the source size and encodes no JPEG; viewers, snapshots and /readyz work beside it; it publishes again after the media server restarts', async () => {
    const rtsp = await recordServer();
    const s = await server(['--source', clipPath('small'), '--publish', rtsp.url, '--retry-min', '0.2', '--retry-max', '1']);
    const connected = (): number => s.output().split(`publishing to ${rtsp.url}: connected`).length - 1;
    await waitFor(() => connected() === 1 && rtsp.sessionsOfRun(1).length === 1, 15_000, 'the first publishing session');
    const cameraPid = await s.cameraPid();
    const encoder = encoderOf(cameraPid);
    expect(encoder).not.toBeNull();
    await sleep(1000);
    const mats0 = await liveMats(s);
    const segmented0 = await counter(s, 'segcam_frames_segmented_total');
    await sleep(2500);
    // nobody has watched: every frame segmented for the publisher, not one JPEG made
    expect(await counter(s, 'segcam_frames_segmented_total')).toBeGreaterThan(segmented0 + 50);
    expect(await counter(s, 'segcam_jpeg_encodes_total')).toBe(0);
    expect(Math.abs((await liveMats(s)) - mats0)).toBeLessThanOrEqual(2);
    const first = await probe(rtsp.sessionsOfRun(1)[0]!.file);
    expect(first).toMatchObject({ codec: 'h264', width: 320, height: 240 });
    expect(first.frames).toBeGreaterThan(45);

    // the rest of the server as ever
    const v = await connectViewer(s, { acks: true });
    await v.nextFrame((f) => !f.placeholder && f.width === 320);
    const snap = await fetch(`${s.base}/snapshot.jpg`, { headers: authHeaders(s) });
    expect(snap.status).toBe(200);
    expect(snap.headers.get('content-type')).toBe('image/jpeg');
    expect((await fetch(`${s.base}/readyz`, { headers: authHeaders(s) })).status).toBe(200);

    // the media server dies: the publisher retries, the viewer never notices
    await rtsp.kill();
    const downFrames = v.frameCount;
    await waitFor(() => /warn\s+camera main: publishing to rtsp:\/\/127\.0\.0\.1:\d+\/pub: .*retry \d+ in/.test(s.output()), 10_000, 'the publisher to see the server gone');
    await sleep(1500);
    expect(v.frameCount - downFrames).toBeGreaterThan(30);
    expect(v.frames.slice(-10).every((f) => !f.placeholder)).toBe(true);
    expect((await fetch(`${s.base}/readyz`, { headers: authHeaders(s) })).status).toBe(200);

    await rtsp.start();
    await waitFor(() => connected() === 2 && rtsp.sessionsOfRun(2).length === 1, 15_000, 'publishing again');
    await sleep(2500);
    const again = await probe(rtsp.sessionsOfRun(2)[0]!.file);
    expect(again).toMatchObject({ codec: 'h264', width: 320, height: 240 });
    expect(again.frames).toBeGreaterThan(30);
    expect(v.closed).toBeNull();
    v.close();

    // the encoder child ends with its camera
    const now = encoderOf(cameraPid)!;
    await s.stop();
    expect(alive(now)).toBe(false);
    expect(alive(encoder!)).toBe(false);
  });

  it('a publish target with nothing listening leaves the camera live and streaming to its viewers', async () => {
    const port = await freePort();
    const s = await server(['--source', clipPath('small'), '--publish', `rtsp://127.0.0.1:${port}/cam`, '--retry-min', '0.2', '--retry-max', '1']);
    const v = await connectViewer(s, { acks: true });
    await v.nextFrame((f) => !f.placeholder);
    const from = v.frameCount;
    await sleep(3000);
    expect(v.frameCount - from).toBeGreaterThan(60); // a 30 fps file: the viewer misses nothing that counts
    expect(v.frames.slice(-30).every((f) => !f.placeholder)).toBe(true);
    expect((await s.cameras())[0]).toMatchObject({ state: 'live' });
    expect((await fetch(`${s.base}/readyz`, { headers: authHeaders(s) })).status).toBe(200);
    const retries = s.output().match(/warn\s+camera main: publishing to rtsp:\/\/127\.0\.0\.1:\d+\/cam: .*retry \d+ in/g) ?? [];
    expect(retries.length).toBeGreaterThanOrEqual(2); // and it keeps trying
    expect((await fetch(`${s.base}/snapshot.jpg`, { headers: authHeaders(s) })).status).toBe(200);
    v.close();
  });

  it('placeholders keep the published size (the side view: one session, on past the end of the file); the mask view goes out grey; Mats stay flat', async () => {
    const [side, mask] = [await recordServer(), await recordServer()];
    const dir = tempDir('segcam-pubcfg-');
    const config = join(dir, 'cams.yaml');
    writeFileSync(
      config,
      [
        'cameras:',
        '  a:',
        `    source: ${clipPath('small')}`,
        '    loop: false',
        `    publish: { url: "${side.url}", view: side }`,
        '  b:',
        `    source: ${clipPath('small')}`,
        '    loop: false',
        `    publish: { url: "${mask.url}", view: mask }`,
        '',
      ].join('\n'),
    );
    const s = await server(['--config', config]);
    await waitFor(async () => (await s.cameras()).every((c) => c.state === 'ended'), 15_000, 'both files to end');
    const mats0 = [await liveMats(s, 'a'), await liveMats(s, 'b')];
    await sleep(3000); // placeholders, 2 a second
    expect(Math.abs((await liveMats(s, 'a')) - mats0[0]!)).toBeLessThanOrEqual(2);
    expect(Math.abs((await liveMats(s, 'b')) - mats0[1]!)).toBeLessThanOrEqual(2);
    // the 2 s file and then its ENDED placeholder, letterboxed into the side view's size: one encoder all along
    expect(side.sessionsOfRun()).toHaveLength(1);
    const a = await probe(side.sessionsOfRun()[0]!.file);
    expect(a).toMatchObject({ codec: 'h264', width: 640, height: 240 });
    expect(a.span).toBeGreaterThan(3);
    const b = await probe(mask.sessionsOfRun()[0]!.file);
    expect(b).toMatchObject({ codec: 'h264', width: 320, height: 240 });
    // a frame of the mask: grey (B = G = R, within the codec's chroma error)
    const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', mask.sessionsOfRun()[0]!.file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'bgr24', 'pipe:1'], {
      encoding: 'buffer',
      maxBuffer: 1 << 24,
    });
    const px = stdout as Buffer;
    let worst = 0;
    for (let i = 0; i < px.length; i += 3 * 97) worst = Math.max(worst, Math.abs(px[i]! - px[i + 1]!), Math.abs(px[i + 1]! - px[i + 2]!));
    expect(worst).toBeLessThan(12);
  });
});
