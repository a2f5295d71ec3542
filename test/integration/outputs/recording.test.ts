/**
 * Recording and replay, with real files, real JPEGs (OpenCV) and the real hub: a recording's
 * frames and metadata read back (OpenCV decodes the JPEGs, ffprobe reads the folder as an image
 * sequence), its tar download, pre-roll and post-roll round a rule, frames skipped (counted)
 * when the disk falls behind, retention by age and size, and a recording replayed as a source,
 * through the real capture loop, at its recorded pace; a still image as a source.
 */
import { execFile, execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { TimedAnalysis } from '../../../shared/protocol.js';
import type { RuleChange } from '../../../shared/rules.js';
import type { View } from '../../../shared/settings.js';
import { CaptureLoop, type CaptureSink } from '../../../server/capture/capture.js';
import type { OpenFailure } from '../../../server/capture/open.js';
import { medianFps, openRecording, openStill, readRecordingIndex } from '../../../server/capture/recording.js';
import type { CaptureConfig } from '../../../server/config/config.js';
import { blank, cv, type Mat } from '../../../server/cv.js';
import type { Logger } from '../../../server/log.js';
import { Recorder, RecordingStore, type MetadataLine, type RecordingInfo } from '../../../server/outputs/recorder.js';
import { Hub } from '../../../server/stream/hub.js';
import { waitFor } from '../../helpers/wait.js';

const run = promisify(execFile);
const log: Logger = { info: () => undefined, warn: (m) => console.warn(m), error: (m) => console.error(m) };
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'segcam-rec-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const W = 160;
const H = 120;
/** level is the grey level of frame i: it says which frame a decoded picture is */
const level = (i: number): number => 20 + (i % 20) * 10;
const jpegs = Array.from({ length: 20 }, (_, i) => {
  const m = blank(H, W, cv.CV_8UC3, level(i));
  const j = cv.imencode('.jpg', m, [cv.IMWRITE_JPEG_QUALITY, 90]);
  m.release();
  return new Uint8Array(j);
});
/** levelOf reads a decoded frame's grey level back */
const levelOf = (m: Mat): number => m.getData()[0]!;

/** TestCamera is the front's side of a camera without its process: a real hub, and the analysis event before each frame, as Camera emits them. */
class TestCamera extends EventEmitter<{ analysis: [TimedAnalysis] }> {
  readonly name = 'door';
  readonly demand: View[][] = [];
  readonly hub = new Hub((views) => this.demand.push(views));
  publish(i: number, ts: number, o: { view?: View; placeholder?: boolean } = {}): void {
    const analysis: TimedAnalysis = { ts, rev: 7, method: 'colour', coverage: i, ranges: [{ name: 'red', color: '#ff0000', coverage: i }] };
    this.emit('analysis', analysis);
    this.hub.publish({
      type: 'frame',
      ts,
      rev: 7,
      placeholder: o.placeholder ?? false,
      jpegs: [{ view: o.view ?? 'masked', jpeg: jpegs[i % 20]!, width: W, height: H }],
      analysis,
      encodes: 1,
      timings: { wait: 0, segment: 0, encode: 0 },
    });
  }
}

const tick = (ms = 2): Promise<void> => new Promise((r) => setTimeout(r, ms));
const rule = (name: string, state: 'on' | 'off', time: number): RuleChange => ({
  camera: 'door',
  rule: name,
  state,
  previous: state === 'on' ? 'off' : 'on',
  time,
  value: null,
  reason: 'condition',
  analysis: null,
});
const metadata = (dir: string): MetadataLine[] =>
  readFileSync(join(dir, 'metadata.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as MetadataLine);

/** record makes a recording of frames at the given capture times (ms), by hand */
async function record(store: RecordingStore, times: number[]): Promise<RecordingInfo> {
  const cam = new TestCamera();
  const rec = new Recorder(cam, store, { view: 'masked', maxPendingFrames: 10_000 }, log);
  await rec.start();
  for (const [i, ts] of times.entries()) {
    cam.publish(i, ts);
    if (i % 10 === 9) await tick();
  }
  const info = (await rec.stop())!;
  await rec.close();
  return info;
}

describe('recorder', () => {
  it('records a view: frames, metadata and recording.json read back; OpenCV and ffprobe read the frames; tar downloads it', async () => {
    const root = temp();
    const store = new RecordingStore(join(root, 'recordings'), {}, log);
    const cam = new TestCamera();
    const rec = new Recorder(cam, store, { view: 'masked' }, log);
    expect(rec.watching).toBeNull(); // no pre-roll: nothing encoded for it while it does not record
    expect(cam.hub.watchedViews()).toEqual([]);
    const started = await rec.start();
    expect(started).toMatchObject({ camera: 'door', view: 'masked', reason: 'manual', stopped: null });
    expect(cam.demand.at(-1)).toEqual(['masked']); // the camera is asked to encode the view
    const T0 = 1_800_000_000_000;
    for (let i = 0; i < 40; i++) {
      cam.publish(i, T0 + i * 33);
      if (i === 5) cam.publish(99, T0 + i * 33 + 1, { placeholder: true }); // not recorded
      if (i === 6) cam.publish(98, T0 + i * 33 + 2, { view: 'original' }); // another view: not recorded
      await tick();
    }
    const info = (await rec.stop())!;
    expect(cam.demand.at(-1)).toEqual([]);
    expect(info).toMatchObject({ camera: 'door', view: 'masked', frames: 40, started: T0, bytes: jpegs.slice(0, 20).reduce((s, j) => s + j.byteLength, 0) * 2 });
    const dir = store.pathOf(info.id)!;
    expect(JSON.parse(readFileSync(join(dir, 'recording.json'), 'utf8'))).toEqual(info);
    expect(info.stopped).toBeGreaterThan(0);
    const lines = metadata(dir);
    expect(lines).toHaveLength(40);
    for (const [i, l] of lines.entries()) {
      expect(l).toMatchObject({
        seq: i + 1,
        file: `${String(i + 1).padStart(6, '0')}.jpg`,
        ts: T0 + i * 33,
        rev: 7,
        bytes: jpegs[i % 20]!.byteLength,
        analysis: { ts: T0 + i * 33, coverage: i },
      });
      const m = cv.imread(join(dir, l.file));
      expect([m.cols, m.rows]).toEqual([W, H]);
      expect(Math.abs(levelOf(m) - level(i))).toBeLessThanOrEqual(3);
      m.release();
    }
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-f',
      'image2',
      '-i',
      join(dir, '%06d.jpg'),
      '-count_frames',
      '-show_entries',
      'stream=codec_name,width,height,nb_read_frames',
      '-of',
      'json',
    ]);
    expect(JSON.parse(stdout).streams[0]).toMatchObject({ codec_name: 'mjpeg', width: W, height: H, nb_read_frames: '40' });
    expect(await store.list()).toEqual([{ ...info, active: false }]);
    // download: a tar of the folder
    const dl = (await store.download(info.id))!;
    expect(dl.filename).toBe(`door-${info.id}.tar`);
    const tarPath = join(root, 'dl.tar');
    await pipeline(dl.stream, createWriteStream(tarPath));
    const listed = execFileSync('tar', ['-tf', tarPath], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter((f) => f !== './');
    expect(listed.sort()).toEqual(['./recording.json', './metadata.jsonl', ...lines.map((l) => `./${l.file}`)].sort());
    expect(await store.download('20260101-000000-000')).toBeNull();
    // delete
    expect(store.pathOf('../../etc')).toBeNull();
    expect(await store.delete(info.id)).toBe(true);
    expect(await store.delete(info.id)).toBe(false);
    expect(await store.list()).toEqual([]);
    await rec.close();
    expect(cam.hub.size).toBe(0);
  });

  it('pre-roll and post-roll round a rule; a rule turning on again in the post-roll extends the recording', async () => {
    const store = new RecordingStore(join(temp(), 'recordings'), {}, log);
    const cam = new TestCamera();
    const rec = new Recorder(cam, store, { view: 'masked', preRollMs: 1000, postRollMs: 500, rules: ['seen'], maxPendingFrames: 10_000 }, log);
    expect(rec.watching).toBe('masked'); // armed: the ring needs the frames
    expect(cam.demand.at(-1)).toEqual(['masked']);
    const T0 = 1_800_000_000_000;
    const ts = (i: number): number => T0 + Math.round((i * 1000) / 30);
    const events: Record<number, RuleChange[]> = {
      60: [rule('seen', 'on', ts(60))], // 2.0 s
      75: [rule('other', 'on', ts(75))], // not one of its rules
      90: [rule('seen', 'off', ts(90))], // 3.0 s: stop at 3.5 s ...
      100: [rule('seen', 'on', ts(100))], // 3.33 s: ... but it is on again
      110: [rule('seen', 'off', ts(110))], // 3.67 s: stop at 4.17 s
      140: [rule('seen', 'on', ts(140))], // 4.67 s: a second recording
    };
    for (let i = 0; i < 170; i++) {
      for (const c of events[i] ?? []) rec.ruleChanged(c); // rules move on the analysis, before the frame reaches the hub
      cam.publish(i, ts(i));
      await tick(1);
    }
    await waitFor(async () => (await store.list()).some((r) => !r.active), 5000, 'the first recording to finish');
    expect(rec.status()).toMatchObject({ triggers: ['seen'], recording: { reason: 'rule:seen' } });
    await rec.stop();
    const [second, first] = await store.list();
    const a = metadata(store.pathOf(first!.id)!);
    const b = metadata(store.pathOf(second!.id)!);
    // the first: from 1 s before the rule turned on (pre-roll) to 0.5 s after it last turned off (post-roll)
    expect(a[0]!.ts).toBe(ts(30));
    expect(a.at(-1)!.ts).toBe(ts(125));
    expect(a.map((l) => l.ts)).toEqual(Array.from({ length: 96 }, (_, k) => ts(30 + k))); // every frame, in order, once
    expect(first).toMatchObject({ reason: 'rule:seen', frames: 96, started: ts(30), preRollMs: 1000, postRollMs: 500 });
    // the second: its pre-roll, then on until stopped by hand
    expect(b[0]!.ts).toBe(ts(110));
    expect(b.at(-1)!.ts).toBe(ts(169));
    await rec.close();
    expect(rec.watching).toBeNull();
  });

  it('frames are skipped, and counted, when the disk falls behind', async () => {
    const store = new RecordingStore(join(temp(), 'recordings'), {}, log);
    const cam = new TestCamera();
    const rec = new Recorder(cam, store, { view: 'masked', maxPendingFrames: 5 }, log);
    await rec.start();
    for (let i = 0; i < 100; i++) cam.publish(i, 1000 + i); // all at once: no write can finish meanwhile
    expect(rec.status()).toMatchObject({ dropped: 95, recording: { pending: 5 } });
    expect(cam.hub.dropped).toBe(95); // the hub counts them as a busy consumer's
    const info = (await rec.stop())!;
    expect(info.frames).toBe(5);
    await rec.close();
  });
});

describe('recording store: retention', () => {
  /** fake makes a finished recording that started at `at` with `bytes` of frames */
  async function fake(store: RecordingStore, at: number, bytes: number, finished = true): Promise<string> {
    const { id, dir } = await store.create(at);
    await writeFile(join(dir, '000001.jpg'), Buffer.alloc(bytes));
    const info: RecordingInfo = {
      id,
      camera: 'door',
      view: 'masked',
      reason: 'manual',
      started: at,
      stopped: finished ? at + 1000 : null,
      frames: 1,
      bytes,
      preRollMs: 0,
      postRollMs: 0,
    };
    await writeFile(join(dir, 'recording.json'), JSON.stringify(info));
    if (finished) store.finished(id);
    return id;
  }

  it('by total size, oldest first; by age; never one being written; an interrupted one counted from its folder', async () => {
    const dir = join(temp(), 'recordings');
    const store = new RecordingStore(dir, {}, log);
    const now = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await fake(store, now - (10 - i) * 60_000, 1000));
    expect(await store.enforce(now)).toEqual([]); // no limits: nothing goes
    store.setRetention({ maxBytes: 2500 });
    expect(await store.enforce(now)).toEqual(ids.slice(0, 3));
    expect((await store.list()).map((r) => r.id)).toEqual([ids[4], ids[3]]);
    // by age: a day old goes, an hour old stays
    const old = await fake(store, now - 2 * 86_400_000, 10);
    store.setRetention({ maxAgeMs: 86_400_000 });
    expect(await store.enforce(now)).toEqual([old]);
    // the oldest is being written: it stays, the next oldest goes
    const writing = await fake(store, now - 3 * 86_400_000, 5000, false);
    // (it counts towards the total: 1000 + 1000 + 5000 bytes, over 6500 by one older recording)
    store.setRetention({ maxBytes: 6500, maxAgeMs: 86_400_000 });
    expect(await store.enforce(now)).toEqual([ids[3]]);
    expect((await store.list()).map((r) => [r.id, r.active])).toEqual([
      [ids[4], false],
      [writing, true],
    ]);
    await expect(store.delete(writing)).rejects.toThrow(/being written/);
    // the server stopped while it was written (stopped: null, no longer active): its size is what its folder holds
    const restarted = new RecordingStore(dir, {}, log);
    expect(await restarted.get(writing)).toMatchObject({ active: false, stopped: null, frames: 1, bytes: 5000 });
    expect(await restarted.enforce(now)).toEqual([]);
    restarted.setRetention({ maxAgeMs: 86_400_000 });
    expect(await restarted.enforce(now)).toEqual([writing]);
    // a stray folder is not a recording
    await mkdir(join(dir, 'not-a-recording'));
    expect((await restarted.list()).map((r) => r.id)).toEqual([ids[4]]);
  });
});

describe('a recording as a source', () => {
  const capture = (loop: boolean): CaptureConfig => ({
    width: W,
    height: H,
    fps: 30,
    fourcc: null,
    rtspTransport: 'tcp',
    loop,
    openTimeoutMs: 5000,
    stallTimeoutMs: 5000,
    retry: { minMs: 100, maxMs: 1000 },
    controls: {},
  });

  it('plays at its recorded pace (fps the median rate), ends, and rewinds one interval after its last frame', async () => {
    const store = new RecordingStore(join(temp(), 'recordings'), {}, log);
    // 15 frames 50 ms apart, then 10 frames 100 ms apart: 1.7 s in all
    const times = [...Array.from({ length: 15 }, (_, i) => i * 50), ...Array.from({ length: 10 }, (_, i) => 700 + (i + 1) * 100)].map((t) => 1_800_000_000_000 + t);
    const info = await record(store, times);
    const dir = store.pathOf(info.id)!;
    expect(readRecordingIndex(dir).frames).toHaveLength(25);
    expect(medianFps(times)).toBe(20);
    const reader = openRecording(dir);
    cleanups.push(() => reader.close());
    expect(reader).toMatchObject({ kind: 'recording', width: W, height: H, fps: 20, live: true, controls: null });
    const at: number[] = [];
    const levels: number[] = [];
    for (;;) {
      const m = await reader.read();
      if (!m) break;
      at.push(performance.now());
      levels.push(levelOf(m));
      m.release();
    }
    expect(levels).toHaveLength(25);
    for (const [i, v] of levels.entries()) expect(Math.abs(v - level(i))).toBeLessThanOrEqual(3);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    const want = times.slice(1).map((t, i) => t - times[i]!);
    for (const [i, g] of gaps.entries()) expect(Math.abs(g - want[i]!), `gap ${i}: ${g.toFixed(1)} ms, recorded ${want[i]} ms`).toBeLessThan(30);
    expect(Math.abs(at.at(-1)! - at[0]! - 1700)).toBeLessThan(60); // no drift over the whole
    // rewind: the first frame again, one frame interval (1/fps) after the last was due
    expect(reader.rewind()).toBe(true);
    const again = (await reader.read())!;
    const loopGap = performance.now() - at.at(-1)!;
    expect(Math.abs(levelOf(again) - level(0))).toBeLessThanOrEqual(3);
    again.release();
    expect(loopGap).toBeGreaterThan(35);
    expect(loopGap).toBeLessThan(90);
    console.log(
      `replay: ${gaps.length} gaps within ${Math.max(...gaps.map((g, i) => Math.abs(g - want[i]!))).toFixed(1)} ms of the recorded ones; the whole ${(at.at(-1)! - at[0]!).toFixed(0)} ms for 1700 recorded`,
    );
  });

  it('through the capture loop: its frames, in order, at its pace, looping like a file', async () => {
    const store = new RecordingStore(join(temp(), 'recordings'), {}, log);
    const times = Array.from({ length: 10 }, (_, i) => 1_800_000_000_000 + i * 40); // 25 fps, 0.4 s
    const info = await record(store, times);
    const dir = store.pathOf(info.id)!;
    const offered: { at: number; level: number }[] = [];
    const sink: CaptureSink = {
      wanted: () => true,
      analysing: () => false,
      offer: (frame, _ts, placeholder) => {
        if (!placeholder) offered.push({ at: performance.now(), level: levelOf(frame) });
        frame.release();
      },
      taken: () => Promise.resolve(),
      log: () => undefined,
    };
    const statuses: string[] = [];
    const loop = new CaptureLoop({ kind: 'file', path: dir, text: dir }, capture(true), sink, (s) => statuses.push(`${s.state}:${s.fps}`), openRecording(dir));
    cleanups.push(() => loop.stop());
    await waitFor(() => offered.length >= 25, 5000, '25 frames');
    await loop.stop();
    expect(statuses[0]).toBe('live:25');
    const levels = offered.map((o) => Math.round((o.level - 20) / 10));
    expect(levels.slice(0, 25)).toEqual(Array.from({ length: 25 }, (_, i) => i % 10)); // in order, and round again
    const gaps = offered.slice(1, 25).map((o, i) => o.at - offered[i]!.at);
    for (const g of gaps) expect(Math.abs(g - 40)).toBeLessThan(25);
    const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
    expect(Math.abs(mean - 40)).toBeLessThan(5);
    // without loop, it ends
    const once: number[] = [];
    const ended = new CaptureLoop(
      { kind: 'file', path: dir, text: dir },
      capture(false),
      {
        ...sink,
        offer: (f, _t, p) => {
          if (!p) once.push(1);
          f.release();
        },
      },
      (s) => statuses.push(s.state),
      openRecording(dir),
    );
    cleanups.push(() => ended.stop());
    await waitFor(() => statuses.includes('ended'), 5000, 'the end');
    expect(once.length).toBe(10);
  });

  it('a still image repeats one picture at its rate; what is not a recording or an image does not open', async () => {
    const d = temp();
    const png = join(d, 'still.png');
    const img = blank(H, W, cv.CV_8UC3, [10, 200, 30]);
    writeFileSync(png, cv.imencode('.png', img));
    img.release();
    const still = openStill(png, { fps: 20 });
    expect(still).toMatchObject({ kind: 'still', width: W, height: H, fps: 20, live: true });
    const t0 = performance.now();
    const frames: Mat[] = [];
    for (let i = 0; i < 10; i++) frames.push((await still.read())!);
    const took = performance.now() - t0;
    expect(took).toBeGreaterThan(400); // 9 intervals of 50 ms after the first
    expect(took).toBeLessThan(700);
    frames[0]!.release(); // each is a copy of its own
    expect([...frames[9]!.getData().subarray(0, 3)]).toEqual([10, 200, 30]);
    for (const f of frames.slice(1)) f.release();
    still.close();
    expect(await still.read()).toBeNull();
    const fails = (f: () => unknown): OpenFailure => {
      try {
        f();
      } catch (e) {
        return e as OpenFailure;
      }
      throw new Error('it opened');
    };
    expect(fails(() => openStill(join(d, 'none.png')))).toMatchObject({ reason: 'NOT_FOUND' });
    writeFileSync(join(d, 'text.png'), 'not an image');
    expect(fails(() => openStill(join(d, 'text.png')))).toMatchObject({ reason: 'NO_SIGNAL' });
    expect(fails(() => openRecording(d))).toMatchObject({ reason: 'NOT_FOUND' });
    await mkdir(join(d, 'empty'));
    writeFileSync(join(d, 'empty', 'metadata.jsonl'), '{"seq":1,"file":"000001.jpg","ts":1}\n');
    expect(fails(() => openRecording(join(d, 'empty')))).toMatchObject({ reason: 'NO_SIGNAL' }); // its one frame is missing
  });
});
