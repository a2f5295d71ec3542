/**
 * A recording is also a source, end to end: a real segcam records a scene (a clip ffmpeg made)
 * with its real Recorder, through the recordings API; then real segcam servers play that folder
 * back, at its recorded pace, segmenting it as it was segmented live; a still image streams one
 * picture for ever; `recording:ID` switches a running camera to the recording over the API, and
 * an id that does not exist is a clear 4xx while the current source keeps running.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FrameMessage, StatusMessage } from '../../../shared/protocol.js';
import type { SourceStatus } from '../../../shared/status.js';
import { cv, type Mat } from '../../../server/cv.js';
import type { MetadataLine, RecordingInfo } from '../../../server/outputs/recorder.js';
import { decode, meanAbsDiff } from '../../helpers/images.js';
import { startServer, type ServerHandle } from '../../helpers/server.js';
import { connectViewer, type TestViewer } from '../../helpers/viewer.js';

const run = promisify(execFile);
const W = 320;
const H = 240;
/** RANGE is not the default (red): the blue box, never the red one */
const RANGE = 'blue=100,120,70:130,255,255';
/** a grey scene with a blue box that enters, crosses and leaves (its coverage changes every frame) and a still red box */
const SCENE = `color=c=0x808080:size=${W}x${H}:rate=30[bg];color=c=blue:size=60x60:rate=30[box];[bg][box]overlay=x='mod(t*100\\,440)-60':y=90,drawbox=x=20:y=20:w=40:h=40:color=red:t=fill[out0]`;

let root = '';
/** the data folder the recording was made in; later servers get a copy of their own */
let recData = '';
let info: RecordingInfo;
let recDir = '';
let meta: MetadataLine[] = [];
/** each recorded frame, shrunk (for finding which one a replayed frame is) */
let thumbs: Mat[] = [];
const servers: ServerHandle[] = [];
const viewers: TestViewer[] = [];

const auth = (s: ServerHandle): Record<string, string> => ({ authorization: `Bearer ${s.token}` });
async function api<T = unknown>(s: ServerHandle, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${s.base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { ...auth(s), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as T };
}
async function segcam(args: string[], dataDir?: string): Promise<ServerHandle> {
  const s = await startServer({ args, ...(dataDir ? { dataDir } : {}) });
  servers.push(s);
  return s;
}
async function watch(s: ServerHandle): Promise<TestViewer> {
  const v = await connectViewer(s, { acks: true });
  viewers.push(v);
  v.send({ type: 'view', view: 'original' });
  return v;
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const isStatus = (state: string) => (m: { type: string }) => m.type === 'status' && (m as StatusMessage).status.state === state;
const readyz = async (s: ServerHandle): Promise<number> => (await fetch(`${s.base}/readyz`, { headers: auth(s) })).status;

function thumb(jpeg: Uint8Array): Mat {
  const m = decode(jpeg);
  const t = m.resize(H / 4, W / 4, 0, 0, cv.INTER_AREA);
  m.release();
  return t;
}
/** which recorded frame a received picture is (the nearest, by mean absolute difference), and how near */
function identify(jpeg: Uint8Array): { index: number; distance: number } {
  const t = thumb(jpeg);
  let best = { index: -1, distance: Infinity };
  for (const [index, r] of thumbs.entries()) {
    const distance = meanAbsDiff(t, r);
    if (distance < best.distance) best = { index, distance };
  }
  t.release();
  return best;
}
const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'segcam-replay-'));
  const clip = join(root, 'scene.mp4');
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', SCENE, '-t', '4.4', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', '30', clip]);
  // the recording: the original view (what the camera saw), analysed with RANGE, by the real Recorder
  writeFileSync(join(root, 'cams.yaml'), `cameras:\n  main:\n    source: ${clip}\n    analyse: always\n    record: { view: original }\n`);
  recData = join(root, 'rec-data');
  mkdirSync(recData);
  const s = await segcam(['--config', join(root, 'cams.yaml'), '--range', RANGE, '--quality', '95'], recData);
  const v = await watch(s);
  await v.nextFrame((f) => !f.placeholder && f.view === 'original', 15_000);
  expect((await api(s, '/cam/main/api/recordings/start', {})).status).toBe(201);
  await sleep(3000);
  const stopped = await api<{ stopped: RecordingInfo }>(s, '/cam/main/api/recordings/stop', {});
  expect(stopped.status).toBe(200);
  info = stopped.json.stopped;
  v.close();
  await s.stop();
  recDir = join(recData, 'cameras', 'main', 'recordings', info.id);
  meta = readFileSync(join(recDir, 'metadata.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as MetadataLine);
  expect(meta.length).toBe(info.frames);
  expect(meta.length).toBeGreaterThan(60); // ~3 s at 30 fps
  expect(meta.every((l) => l.analysis !== null)).toBe(true); // each frame with the analysis it was recorded with
  thumbs = meta.map((l) => thumb(readFileSync(join(recDir, l.file))));
}, 60_000);

afterEach(async () => {
  for (const v of viewers.splice(0)) v.close();
  for (const s of servers.splice(0)) await s.stop().catch(() => undefined);
});
afterAll(() => {
  for (const t of thumbs) t.release();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** copyData gives a server a data folder of its own holding the recording (and the recorder's saved settings) */
async function copyData(): Promise<string> {
  const d = join(root, `data-${servers.length}-${Date.now()}`);
  await run('cp', ['-a', recData, d]);
  return d;
}

describe('a recording folder as a source', () => {
  it('plays at its recorded pace, and its analysis is what the recording says for the same settings', async () => {
    const s = await segcam(['--source', recDir, '--range', RANGE, '--quality', '95']);
    const v = await watch(s);
    await v.nextFrame((f) => !f.placeholder && f.view === 'original', 15_000);
    const { json: source } = await api<SourceStatus>(s, '/cam/main/api/source');
    const ts = meta.map((l) => l.ts);
    const gaps = ts.slice(1).map((t, i) => t - ts[i]!);
    const medianFps = 1000 / quantile(gaps, 0.5);
    expect(source).toMatchObject({ state: 'live', reason: 'OK', kind: 'recording', source: recDir, width: W, height: H });
    expect(Math.abs(source.fps! - medianFps)).toBeLessThan(0.5);

    // ≥ 3 s of frames: the camera numbers every frame it processes (seq) and stamps its capture time (ts)
    const from = v.frames.length;
    await sleep(3500);
    const got = v.frames.slice(from).filter((f) => !f.placeholder && f.view === 'original' && f.analysis);
    const span = got.at(-1)!.ts - got[0]!.ts;
    expect(span).toBeGreaterThan(3000);
    const played = ((got.at(-1)!.seq - got[0]!.seq) * 1000) / span;
    const received = ((got.length - 1) * 1000) / span;
    // a pass is the recording's frames over its length plus one interval (the rewind)
    const recorded = (meta.length * 1000) / (ts.at(-1)! - ts[0]! + 1000 / medianFps);
    console.log(
      `replay: recorded ${recorded.toFixed(2)} fps (median ${medianFps.toFixed(2)}); played ${played.toFixed(2)} fps, received ${received.toFixed(2)} fps over ${(span / 1000).toFixed(2)} s`,
    );
    expect(Math.abs(played / recorded - 1)).toBeLessThan(0.08);
    expect(received / recorded).toBeGreaterThan(0.75); // the viewer may skip a frame when busy; never more than were played

    // which recorded frame each one is, by its picture; then its analysis and its pace against the metadata
    const pairs = got.map((f) => ({ f, ...identify(f.jpeg) }));
    const distances = pairs.map((p) => p.distance);
    expect(quantile(distances, 0.5)).toBeLessThan(1.5); // the recorded pictures themselves (re-encoded at 95)
    const coverageErr = pairs.map((p) => Math.abs(p.f.analysis!.coverage - meta[p.index]!.analysis!.coverage));
    const blobsSame = pairs.filter((p) => p.f.analysis!.ranges[0]!.blobs === meta[p.index]!.analysis!.ranges[0]!.blobs).length;
    const paceErr: number[] = [];
    for (let k = 1; k < pairs.length; k++) {
      const [a, b] = [pairs[k - 1]!, pairs[k]!];
      if (b.index > a.index && b.f.seq - a.f.seq === b.index - a.index) paceErr.push(Math.abs(b.f.ts - a.f.ts - (ts[b.index]! - ts[a.index]!)));
    }
    console.log(
      `replay: ${pairs.length} frames matched to the recording (median distance ${quantile(distances, 0.5).toFixed(2)}); coverage off by max ${Math.max(...coverageErr).toFixed(3)} / mean ${(coverageErr.reduce((x, y) => x + y, 0) / coverageErr.length).toFixed(4)} percentage points; same blob count ${blobsSame}/${pairs.length}; gaps off by median ${quantile(paceErr, 0.5).toFixed(1)} ms, 90th ${quantile(paceErr, 0.9).toFixed(1)} ms (${paceErr.length} gaps)`,
    );
    // live, the camera segmented the decoded H.264 frame; here it segments the recorded JPEG of it (quality 95):
    // only pixels on the blue box's edge (a blend of blue and grey) could fall on the other side of a bound,
    // and the metadata rounds to 0.01. The bound must stay well below what one frame changes while the box
    // enters or leaves (60 px x 3.3 px per frame = 0.26 percentage points), so that it proves this frame's
    // analysis, not a neighbour's; 0.05 allows the rounding and some 30 edge pixels.
    expect(new Set(pairs.map((p) => meta[p.index]!.analysis!.coverage)).size).toBeGreaterThan(5); // the coverage does change
    expect(Math.max(...coverageErr)).toBeLessThanOrEqual(0.05);
    expect(blobsSame / pairs.length).toBeGreaterThan(0.95);
    expect(paceErr.length).toBeGreaterThan(pairs.length / 2);
    // each frame when its capture time says, relative to the one before (the 90th percentile, printed
    // above, is the shared machine's scheduling: each frame is due at its recorded offset from the start of
    // its pass, so one that is late does not delay the next)
    expect(quantile(paceErr, 0.5)).toBeLessThan(10);
    expect(await readyz(s)).toBe(200);
  });

  it('with --no-loop it plays once, then says it ended', async () => {
    const s = await segcam(['--source', recDir, '--no-loop']);
    const v = await watch(s);
    const first = await v.nextFrame((f) => !f.placeholder, 15_000);
    const ended = (await v.next(isStatus('ended'), 15_000)) as StatusMessage;
    const length = meta.at(-1)!.ts - meta[0]!.ts;
    expect(ended.status).toMatchObject({ reason: 'ENDED', error: 'end of recording', kind: 'recording' });
    expect(Date.now() - first.ts).toBeGreaterThan(length - 200); // all of it played, at its pace
    const ph = await v.nextFrame((f) => f.placeholder === true);
    expect([ph.width, ph.height]).toEqual([W, H]);
  });
});

describe('a still image, and recording:ID over the API', () => {
  it('streams one picture for ever; switches to recording:ID; a bad id is a 4xx sentence and the recording keeps playing', async () => {
    const png = join(root, 'still.png');
    await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${W}x${H}`, '-frames:v', '1', png]);
    const picture = cv.imread(png);
    const s = await segcam(['--source', png, '--fps', '10'], await copyData());
    const v = await watch(s);
    await v.nextFrame((f) => !f.placeholder && f.view === 'original', 15_000);
    expect((await api<SourceStatus>(s, '/cam/main/api/source')).json).toMatchObject({ state: 'live', kind: 'still', fps: 10, width: W, height: H });
    const from = v.frames.length;
    await sleep(2500);
    const still = v.frames.slice(from).filter((f) => !f.placeholder && f.view === 'original');
    const span = still.at(-1)!.ts - still[0]!.ts;
    console.log(`still: ${still.length} frames in ${(span / 1000).toFixed(2)} s (${(((still.length - 1) * 1000) / span).toFixed(2)} fps, asked 10)`);
    expect(still.length).toBeGreaterThanOrEqual(18); // 10 fps for 2.5 s
    expect(((still.length - 1) * 1000) / span).toBeGreaterThan(8.5);
    const bytes = Buffer.from(still[0]!.jpeg);
    for (const f of still) expect(Buffer.from(f.jpeg).equals(bytes)).toBe(true); // the same picture, encoded the same, every time
    // and it is the image, exactly: the bytes OpenCV makes of it at the camera's quality
    const { json: current } = await api<{ settings: { output: { quality: number } } }>(s, '/cam/main/api/settings');
    expect(Buffer.from(cv.imencode('.jpg', picture, [cv.IMWRITE_JPEG_QUALITY, current.settings.output.quality])).equals(bytes)).toBe(true);
    picture.release();

    // to the recording, by id
    const to = await api<SourceStatus>(s, '/cam/main/api/source', { source: `recording:${info.id}` });
    expect(to.status).toBe(200);
    expect(to.json).toMatchObject({ state: 'live', kind: 'recording', source: `recording:${info.id}`, width: W, height: H });
    const isRecorded = (f: FrameMessage): boolean => !f.placeholder && f.view === 'original' && identify(f.jpeg).distance < 3;
    await v.nextFrame(isRecorded, 10_000);

    // ids that are not there, or not ids: one sentence each, and nothing changes
    const bad = [
      [`recording:20261201-101500-000`, 404, 'NOT_FOUND', 'camera main has no recording 20261201-101500-000'],
      [`recording:door/${info.id}`, 404, 'NOT_FOUND', `camera door has no recording ${info.id}`],
      ['recording:last-tuesday', 400, 'INVALID', 'source: recording:last-tuesday: a recording id looks like 20261201-101500-000 (its start time, UTC), got "last-tuesday"'],
      [root, 400, 'INVALID', `${root} is a folder, but not a recording (it has no metadata.jsonl and no numbered images such as 000001.jpg)`],
    ] as const;
    for (const [source, status, code, message] of bad) {
      const r = await api<{ code: string; message: string }>(s, '/cam/main/api/source', { source });
      expect(r, source).toEqual({ status, json: { code, message } });
    }
    v.send({ type: 'source', source: 'recording:20261201-101500-000' });
    expect(await v.next((m) => m.type === 'error' && m.ref === 'source')).toMatchObject({ code: 'NOT_FOUND', message: 'camera main has no recording 20261201-101500-000' });
    expect((await api<SourceStatus>(s, '/cam/main/api/source')).json).toMatchObject({ state: 'live', kind: 'recording', source: `recording:${info.id}` });
    const last = v.frames.at(-1)!.seq;
    await v.nextFrame((f) => f.seq > last && isRecorded(f), 10_000); // still playing
    expect(await readyz(s)).toBe(200);
    const cams = await s.cameras();
    expect(cams[0]).toMatchObject({ state: 'live', kind: 'recording', source: `recording:${info.id}` });
  });
});
