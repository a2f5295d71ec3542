/**
 * Recording, on the front (no OpenCV): a Recorder is a hub consumer of one view of one camera,
 * so the camera encodes that view while it records even with nobody watching, and the JPEGs it
 * records are the very bytes viewers get (no second encode). A recording is a folder:
 *
 *   NNNNNN.jpg       each frame, numbered from 000001 (ffmpeg reads the folder as `%06d.jpg`)
 *   metadata.jsonl   a line per frame: {seq, file, ts (capture time, ms), rev (settings revision), bytes, analysis}
 *   recording.json   {id, camera, view, reason, started, stopped, frames, bytes, preRollMs, postRollMs}
 *
 * It starts and stops by hand, or while any of its rules is on: with a pre-roll (the frames of
 * the last seconds before the rule turned on, kept in a bounded in-memory ring, which keeps the
 * view encoded all the time) and a post-roll (it stops that long after the last of its rules
 * turned off). Frames go to disk in order, one write at a time, off the event loop; when the
 * disk falls behind by more than a bounded number of frames, frames are skipped (counted, and
 * the hub counts them as a busy consumer's). A RecordingStore lists, deletes and downloads the
 * recordings of one camera and applies retention by age and total size, oldest first, never
 * touching one that is being written.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ERROR_CODES, SegcamError, type TimedAnalysis } from '../../shared/protocol.js';
import type { RuleChange } from '../../shared/rules.js';
import type { RecorderStatus, RecordingInfo, RecordingListing } from '../../shared/outputs.js';
import type { View } from '../../shared/settings.js';

export type { RecorderStatus, RecordingInfo, RecordingListing } from '../../shared/outputs.js';
import type { Logger } from '../log.js';
import type { Consumer, Delivery, Hub, PublishedFrame } from '../stream/hub.js';

/** RECORDING_ID is what a recording's folder is called: its start time (UTC), and a number when two start in the same ms. */
export const RECORDING_ID = /^\d{8}-\d{6}-\d{3}(-\d{1,4})?$/;

/** FRAME_DIGITS is the width of a frame's file number. */
export const FRAME_DIGITS = 6;

/** frameFile is the file name of frame `seq` (from 1). */
export const frameFile = (seq: number): string => `${String(seq).padStart(FRAME_DIGITS, '0')}.jpg`;

/** MetadataLine is one line of metadata.jsonl. */
export interface MetadataLine {
  seq: number;
  file: string;
  /** capture time, ms since the epoch */
  ts: number;
  /** settings revision the frame was segmented with */
  rev: number;
  bytes: number;
  analysis: TimedAnalysis | null;
}

/** RetentionOptions: recordings older than maxAgeMs go, then the oldest until the total is at most maxBytes. */
export interface RetentionOptions {
  maxAgeMs?: number;
  maxBytes?: number;
}

function idFor(at: number): string {
  const d = new Date(at);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}-${p(d.getUTCMilliseconds(), 3)}`;
}

/** RecordingStore is one camera's recordings folder. */
export class RecordingStore {
  private readonly active = new Set<string>();

  constructor(
    readonly dir: string,
    private retention: RetentionOptions = {},
    private readonly log?: Logger,
  ) {}

  /** setRetention changes the limits (applied at the next enforce). */
  setRetention(retention: RetentionOptions): void {
    this.retention = { ...retention };
  }

  /** pathOf returns a recording's folder, or null for anything that is not a recording id (it can never leave the store). */
  pathOf(id: string): string | null {
    return RECORDING_ID.test(id) ? join(this.dir, id) : null;
  }

  /** create makes the folder of a new recording and marks it active (retention leaves it alone until `finished`). */
  async create(at: number = Date.now()): Promise<{ id: string; dir: string }> {
    await mkdir(this.dir, { recursive: true });
    const base = idFor(at);
    for (let n = 0; n < 10_000; n++) {
      const id = n ? `${base}-${n}` : base;
      const dir = join(this.dir, id);
      try {
        await mkdir(dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw e;
      }
      this.active.add(id);
      return { id, dir };
    }
    throw new Error(`cannot name a recording started at ${new Date(at).toISOString()}`);
  }

  /** finished says that a recording is complete (it may be deleted from now on). */
  finished(id: string): void {
    this.active.delete(id);
  }

  isActive(id: string): boolean {
    return this.active.has(id);
  }

  /** list returns every recording, newest first. A folder whose recording.json is missing or broken is left out. */
  async list(): Promise<RecordingListing[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: RecordingListing[] = [];
    for (const id of names) {
      const r = await this.get(id);
      if (r) out.push(r);
    }
    return out.sort((a, b) => b.started - a.started || (a.id < b.id ? 1 : -1));
  }

  /** get returns one recording, or null. A recording that never finished has its frames and bytes counted from its folder. */
  async get(id: string): Promise<RecordingListing | null> {
    const dir = this.pathOf(id);
    if (!dir) return null;
    let info: RecordingInfo;
    try {
      info = JSON.parse(await readFile(join(dir, 'recording.json'), 'utf8')) as RecordingInfo;
    } catch {
      return null;
    }
    const active = this.active.has(id);
    if (info.stopped === null && !active) {
      // interrupted (the server stopped while it recorded): what is on disk is what it holds
      const { frames, bytes } = await countFrames(dir);
      info = { ...info, frames, bytes };
    }
    return { ...info, id, active };
  }

  /** delete removes a recording; one being written cannot be (CONFLICT). Returns false when there is no such recording. */
  async delete(id: string): Promise<boolean> {
    const dir = this.pathOf(id);
    if (!dir) return false;
    if (this.active.has(id)) throw new SegcamError(ERROR_CODES.CONFLICT, `recording ${id} is being written; stop it first`);
    try {
      await stat(join(dir, 'recording.json'));
    } catch {
      return false;
    }
    await rm(dir, { recursive: true, force: true });
    return true;
  }

  /** enforce applies retention, oldest first, skipping active recordings; returns the ids it deleted. */
  async enforce(now: number = Date.now()): Promise<string[]> {
    const { maxAgeMs, maxBytes } = this.retention;
    if (maxAgeMs === undefined && maxBytes === undefined) return [];
    const all = (await this.list()).reverse(); // oldest first
    const deleted: string[] = [];
    let total = all.reduce((s, r) => s + r.bytes, 0);
    for (const r of all) {
      if (r.active) continue;
      const old = maxAgeMs !== undefined && now - (r.stopped ?? r.started) > maxAgeMs;
      const over = maxBytes !== undefined && total > maxBytes;
      if (!old && !over) continue;
      if (await this.delete(r.id).catch(() => false)) {
        total -= r.bytes;
        deleted.push(r.id);
      }
    }
    if (deleted.length) this.log?.info(`recordings: retention deleted ${deleted.length} (${deleted.join(', ')})`);
    return deleted;
  }

  /**
   * download streams one recording as a tar archive (the system `tar -c -C DIR .`), for the API
   * to pipe to its response; tar is killed if the stream is destroyed before it ends (the client
   * went away). Null when there is no such recording.
   */
  async download(id: string): Promise<{ stream: Readable; filename: string } | null> {
    const r = await this.get(id);
    const dir = this.pathOf(id);
    if (!r || !dir) return null;
    const tar = spawn('tar', ['-c', '-C', dir, '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    tar.stderr!.on('data', (d: Buffer) => {
      if (err.length < 2000) err += d.toString();
    });
    const stream = tar.stdout!;
    let ended = false;
    stream.once('end', () => (ended = true));
    stream.once('close', () => {
      if (!ended && tar.exitCode === null) tar.kill('SIGKILL');
    });
    tar.once('exit', (code) => {
      if (code && code !== 0) {
        this.log?.warn(`recordings: tar of ${id} failed (${code}): ${err.trim()}`);
        stream.destroy(new Error(`tar failed: ${err.trim()}`));
      }
    });
    return { stream, filename: `${r.camera}-${id}.tar` };
  }
}

/** countFrames counts the JPEGs of a folder and their bytes. */
async function countFrames(dir: string): Promise<{ frames: number; bytes: number }> {
  let frames = 0;
  let bytes = 0;
  for (const f of await readdir(dir).catch(() => [] as string[])) {
    if (!/^\d+\.jpg$/.test(f)) continue;
    frames++;
    bytes += (await stat(join(dir, f)).catch(() => ({ size: 0 }))).size;
  }
  return { frames, bytes };
}

// ---------------------------------------------------------------------------------------

/** RecordableCamera is what a Recorder needs of a camera (the front's Camera is one). */
export interface RecordableCamera {
  readonly name: string;
  readonly hub: Hub;
  on(event: 'analysis', listener: (a: TimedAnalysis) => void): unknown;
  off(event: 'analysis', listener: (a: TimedAnalysis) => void): unknown;
}

/** STOP_GRACE_MS: a post-roll ends by this much wall time after it should have, should the frames stop coming. */
const STOP_GRACE_MS = 2000;

/** RecorderOptions. Times in ms. */
export interface RecorderOptions {
  view: View;
  /** frames before a rule turned on that go into its recording (default 0: none kept, nothing encoded while not recording) */
  preRollMs?: number;
  /** how long a rule-started recording goes on after the last of its rules turned off (default 0) */
  postRollMs?: number;
  /** the rules that start a recording while they are on (default none: by hand only) */
  rules?: string[];
  /** the most frames per second recorded (default 0: every frame the camera makes) */
  maxFps?: number;
  /** frames waiting for the disk beyond which frames are skipped (default 30) */
  maxPendingFrames?: number;
  /** bytes the pre-roll ring may hold (default 64 MiB) */
  maxRingBytes?: number;
  /** the longest one recording may last; a rule that stays on does not record for ever (default 1 h) */
  maxDurationMs?: number;
  /** told when a recording has started (its folder made) and when one has stopped (on disk) */
  onChange?: () => void;
}

interface Frame {
  jpeg: Uint8Array;
  ts: number;
  rev: number;
  analysis: TimedAnalysis | null;
}

interface Active {
  info: RecordingInfo;
  dir: string | null;
  manual: boolean;
  meta: WriteStream | null;
  /** the writes, in order */
  chain: Promise<void>;
  pending: number;
  lastTs: number;
  /** frame time after which a rule-started recording stops (null: not stopping) */
  stopAt: number | null;
  stopTimer: NodeJS.Timeout | null;
  /** frame time after which it stops however it was started (maxDurationMs after its first frame) */
  endsAt: number | null;
  failed: boolean;
  finishing: Promise<RecordingInfo> | null;
}

/** Recorder records one view of one camera. */
export class Recorder implements Consumer {
  /** the hub counts it with the snapshot consumers: neither a viewer nor an MJPEG client (see the wiring notes) */
  readonly kind = 'snapshot' as const;
  private rec: Active | null = null;
  private readonly ring: Frame[] = [];
  private ringBytes = 0;
  private lastAnalysis: TimedAnalysis | null = null;
  private readonly triggers = new Set<string>();
  private readonly counters = { written: 0, dropped: 0, errors: 0 };
  private readonly o: Required<RecorderOptions>;
  private closed = false;
  private readonly onAnalysis = (a: TimedAnalysis): void => {
    this.lastAnalysis = a;
  };

  constructor(
    private readonly camera: RecordableCamera,
    private readonly store: RecordingStore,
    opts: RecorderOptions,
    private readonly log: Logger,
  ) {
    this.o = {
      view: opts.view,
      preRollMs: Math.max(0, opts.preRollMs ?? 0),
      postRollMs: Math.max(0, opts.postRollMs ?? 0),
      rules: opts.rules ?? [],
      maxFps: Math.max(0, opts.maxFps ?? 0),
      maxPendingFrames: Math.max(1, opts.maxPendingFrames ?? 30),
      maxRingBytes: Math.max(0, opts.maxRingBytes ?? 64 * 1024 * 1024),
      maxDurationMs: Math.max(1000, opts.maxDurationMs ?? 3_600_000),
      onChange: opts.onChange ?? (() => undefined),
    };
    camera.on('analysis', this.onAnalysis);
    camera.hub.add(this);
  }

  /** watching is the recorded view while recording or armed for a pre-roll, null otherwise (nothing encoded for it). */
  get watching(): View | null {
    return this.rec || (this.o.preRollMs > 0 && !this.closed) ? this.o.view : null;
  }

  /** start begins a recording by hand (or makes the running one manual: it then goes on until stop). */
  async start(reason = 'manual'): Promise<RecordingInfo> {
    if (this.closed) throw new SegcamError(ERROR_CODES.CONFLICT, 'the recorder is closed');
    if (this.rec) {
      this.rec.manual = true;
      this.cancelStop(this.rec);
      return { ...this.rec.info };
    }
    const rec = this.begin(reason, Date.now(), true);
    await rec.chain.catch(() => undefined); // answer with its id: once its folder is made
    return { ...rec.info };
  }

  /** stop ends the running recording, whatever started it; resolves with it once it is on disk (null if none ran). */
  async stop(): Promise<RecordingInfo | null> {
    const rec = this.rec;
    return rec ? this.finish(rec) : null;
  }

  /** ruleChanged starts a recording when one of its rules turns on, and stops it post-roll after the last one turned off. */
  ruleChanged(change: RuleChange): void {
    if (!this.o.rules.includes(change.rule) || this.closed) return;
    if (change.state === 'on') {
      this.triggers.add(change.rule);
      if (this.rec) this.cancelStop(this.rec);
      else this.begin(`rule:${change.rule}`, change.time, false);
      return;
    }
    this.triggers.delete(change.rule);
    const rec = this.rec;
    if (!rec || rec.manual || this.triggers.size) return;
    rec.stopAt = change.time + this.o.postRollMs;
    // frames decide when the post-roll is over (their capture times); this timer only covers frames that stopped coming
    if (rec.stopTimer) clearTimeout(rec.stopTimer);
    rec.stopTimer = setTimeout(() => void this.finish(rec), this.o.postRollMs + STOP_GRACE_MS);
  }

  /** deliver takes one published frame: into the pre-roll ring, and into the running recording. */
  deliver(frame: PublishedFrame): Delivery {
    if (frame.placeholder || frame.view !== this.o.view || this.closed) return 'passed';
    const a = this.lastAnalysis;
    const f: Frame = { jpeg: frame.jpeg, ts: frame.ts, rev: frame.rev, analysis: a && a.ts === frame.ts && a.rev === frame.rev ? a : null };
    if (this.o.preRollMs > 0) this.keep(f);
    const rec = this.rec;
    if (!rec || rec.finishing) return 'passed';
    if ((rec.stopAt !== null && f.ts > rec.stopAt) || (rec.endsAt !== null && f.ts > rec.endsAt)) {
      void this.finish(rec);
      return 'passed';
    }
    if (this.o.maxFps > 0 && f.ts - rec.lastTs < 1000 / this.o.maxFps - 2) return 'passed';
    if (rec.pending >= this.o.maxPendingFrames) {
      this.counters.dropped++;
      return 'busy';
    }
    this.write(rec, f);
    return 'sent';
  }

  status(): RecorderStatus {
    const r = this.rec;
    return {
      view: this.o.view,
      armed: this.o.preRollMs > 0 && !this.closed,
      recording: r ? { ...r.info, pending: r.pending } : null,
      triggers: [...this.triggers],
      ring: { frames: this.ring.length, bytes: this.ringBytes },
      ...this.counters,
    };
  }

  /** close stops recording (finishing what is on its way to disk) and leaves the hub. */
  async close(): Promise<void> {
    if (this.closed) return;
    const rec = this.rec;
    if (rec) await this.finish(rec);
    this.closed = true;
    this.ring.length = 0;
    this.ringBytes = 0;
    this.camera.off('analysis', this.onAnalysis);
    this.camera.hub.remove(this);
  }

  // -------------------------------------------------------------------------------------

  private keep(f: Frame): void {
    this.ring.push(f);
    this.ringBytes += f.jpeg.byteLength;
    while (this.ring.length && (this.ring[0]!.ts < f.ts - this.o.preRollMs || this.ringBytes > this.o.maxRingBytes)) this.ringBytes -= this.ring.shift()!.jpeg.byteLength;
  }

  private begin(reason: string, at: number, manual: boolean): Active {
    const info: RecordingInfo = {
      id: '',
      camera: this.camera.name,
      view: this.o.view,
      reason,
      started: at,
      stopped: null,
      frames: 0,
      bytes: 0,
      preRollMs: this.o.preRollMs,
      postRollMs: this.o.postRollMs,
    };
    const rec: Active = {
      info,
      dir: null,
      manual,
      meta: null,
      chain: Promise.resolve(),
      pending: 0,
      lastTs: -Infinity,
      stopAt: null,
      stopTimer: null,
      endsAt: null,
      failed: false,
      finishing: null,
    };
    rec.chain = this.store.create(at).then(async ({ id, dir }) => {
      info.id = id;
      rec.dir = dir;
      rec.meta = createWriteStream(join(dir, 'metadata.jsonl'), { flags: 'a' });
      rec.meta.on('error', (e) => this.fail(rec, e));
      await writeJson(join(dir, 'recording.json'), info);
      this.o.onChange();
    });
    rec.chain.catch((e: unknown) => this.fail(rec, e));
    this.rec = rec;
    // the pre-roll: what the ring holds from preRollMs before the start on
    for (const f of this.ring) if (f.ts >= at - this.o.preRollMs) this.write(rec, f);
    this.camera.hub.updateDemand();
    this.log.info(`camera ${this.camera.name}: recording ${reason === 'manual' ? 'started' : `started by ${reason.slice(5)}`} (${this.o.view})`);
    return rec;
  }

  private write(rec: Active, f: Frame): void {
    rec.pending++;
    rec.lastTs = f.ts;
    rec.endsAt ??= f.ts + this.o.maxDurationMs;
    rec.chain = rec.chain
      .then(async () => {
        if (rec.failed || !rec.dir) return;
        const seq = rec.info.frames + 1;
        const file = frameFile(seq);
        await writeFile(join(rec.dir, file), f.jpeg);
        const line: MetadataLine = { seq, file, ts: f.ts, rev: f.rev, bytes: f.jpeg.byteLength, analysis: f.analysis };
        rec.meta!.write(`${JSON.stringify(line)}\n`);
        if (seq === 1) rec.info.started = f.ts;
        rec.info.frames = seq;
        rec.info.bytes += f.jpeg.byteLength;
        this.counters.written++;
      })
      .catch((e: unknown) => this.fail(rec, e))
      .finally(() => {
        rec.pending--;
      });
  }

  private fail(rec: Active, e: unknown): void {
    if (rec.failed) return;
    rec.failed = true;
    this.counters.errors++;
    this.log.error(`camera ${this.camera.name}: recording ${rec.info.id || '(new)'} failed: ${(e as Error)?.message ?? String(e)}; it is stopped`);
    void this.finish(rec);
  }

  private cancelStop(rec: Active): void {
    rec.stopAt = null;
    if (rec.stopTimer) clearTimeout(rec.stopTimer);
    rec.stopTimer = null;
  }

  /** finish waits for the writes, closes the metadata, writes recording.json and applies retention. */
  private finish(rec: Active): Promise<RecordingInfo> {
    rec.finishing ??= (async () => {
      this.cancelStop(rec);
      if (this.rec === rec) {
        this.rec = null;
        this.triggers.clear();
        this.camera.hub.updateDemand();
      }
      await rec.chain.catch(() => undefined);
      if (rec.meta) await new Promise<void>((resolve) => rec.meta!.end(() => resolve()));
      rec.info.stopped = Date.now();
      if (rec.dir)
        await writeJson(join(rec.dir, 'recording.json'), rec.info).catch((e: unknown) =>
          this.log.error(`camera ${this.camera.name}: cannot write recording.json of ${rec.info.id}: ${(e as Error).message}`),
        );
      if (rec.info.id) this.store.finished(rec.info.id);
      this.log.info(`camera ${this.camera.name}: recording ${rec.info.id} stopped: ${rec.info.frames} frames, ${(rec.info.bytes / 1e6).toFixed(1)} MB`);
      this.o.onChange();
      await this.store.enforce().catch((e: unknown) => this.log.warn(`recordings: retention failed: ${(e as Error).message}`));
      return { ...rec.info };
    })();
    return rec.finishing;
  }
}

/** writeJson writes a JSON file whole or not at all (a reader never sees half of it). */
async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(`${path}.tmp`, `${JSON.stringify(value, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
}
