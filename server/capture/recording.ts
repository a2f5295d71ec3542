/**
 * Recordings and still images as sources, in the camera process. A recording (a folder that
 * server/outputs/recorder.ts wrote: numbered JPEGs and metadata.jsonl) plays at its recorded
 * pace, each frame when its capture time says, relative to the first; it ends like a file, and
 * the capture loop rewinds it when the camera loops. A folder of numbered images without
 * metadata plays at a fixed rate. A single image (JPEG, PNG, BMP, WebP) is a still source: the
 * same picture over and over, for tuning ranges on one frame. Both pace themselves (so they are `live` to the
 * capture loop, which then neither paces them again nor waits on the pipeline), and decode on
 * libuv's pool, like every other source.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REASONS } from '../../shared/status.js';
import { cv, type Mat } from '../cv.js';
import { applyControls } from './controls.js';
import { OpenFailure, type FrameReader } from './reader.js';
import { isRecordingDir, NUMBERED_IMAGE } from './source.js';

export { isRecordingDir, isStillImage } from './source.js';

/** DEFAULT_FPS is the rate of a folder of images without timestamps, and of a still. */
export const DEFAULT_FPS = 10;

/** LATE_MS: a frame this far behind its time is shown at once and the clock starts again from it (no burst to catch up). */
const LATE_MS = 500;

/** IndexEntry is one frame of a recording: its file and capture time (ms). */
export interface IndexEntry {
  file: string;
  ts: number;
}

/** RecordingIndex is what a recording holds, in order, and its median rate (frames per second; 0 when unknown). */
export interface RecordingIndex {
  frames: IndexEntry[];
  fps: number;
}

/** medianFps is the median of the rates between consecutive timestamps (ms), 0 when there is none. */
export function medianFps(ts: number[]): number {
  const rates: number[] = [];
  for (let i = 1; i < ts.length; i++) {
    const d = ts[i]! - ts[i - 1]!;
    if (d > 0) rates.push(1000 / d);
  }
  if (!rates.length) return 0;
  rates.sort((a, b) => a - b);
  const m = rates.length >> 1;
  return rates.length % 2 ? rates[m]! : (rates[m - 1]! + rates[m]!) / 2;
}

/**
 * readRecordingIndex reads a recording's frames: from metadata.jsonl (lines that do not parse,
 * and frames whose file is missing, are left out; times that go backwards are left out too,
 * so the pace is always forward), or, without it, the folder's numbered images at DEFAULT_FPS.
 */
export function readRecordingIndex(dir: string): RecordingIndex {
  const metaPath = join(dir, 'metadata.jsonl');
  if (existsSync(metaPath)) {
    const files = new Set(readdirSync(dir));
    const frames: IndexEntry[] = [];
    for (const line of readFileSync(metaPath, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      let m: { file?: unknown; ts?: unknown };
      try {
        m = JSON.parse(line) as typeof m;
      } catch {
        continue; // a torn last line (the recorder was killed mid-write)
      }
      if (typeof m.file !== 'string' || typeof m.ts !== 'number' || !Number.isFinite(m.ts) || !files.has(m.file) || m.file.includes('/')) continue;
      if (frames.length && m.ts < frames[frames.length - 1]!.ts) continue;
      frames.push({ file: m.file, ts: m.ts });
    }
    return { frames, fps: medianFps(frames.map((f) => f.ts)) };
  }
  const images = readdirSync(dir)
    .filter((f) => NUMBERED_IMAGE.test(f))
    .sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
  return { frames: images.map((file, i) => ({ file, ts: (i * 1000) / DEFAULT_FPS })), fps: images.length ? DEFAULT_FPS : 0 };
}

/** RecordingReaderOptions: `speed` scales the pace (2 = twice as fast; default 1); `label` names it in errors (default `recording DIR`). */
export interface RecordingReaderOptions {
  speed?: number;
  label?: string;
}

function decodeFirst(path: string, label: string): Mat {
  let m: Mat;
  try {
    m = cv.imread(path, cv.IMREAD_COLOR);
  } catch {
    throw new OpenFailure(REASONS.NO_SIGNAL, `cannot open ${label}: ${path} is not a readable image`);
  }
  if (m.empty) {
    m.release();
    throw new OpenFailure(REASONS.NO_SIGNAL, `cannot open ${label}: ${path} is not a readable image`);
  }
  return m;
}

/**
 * openRecording opens a recording folder as a FrameReader (kind `recording`): frames at their
 * recorded pace, `fps` their median rate, null at the end (rewind starts it again, one frame
 * interval after the last). A frame that cannot be decoded is skipped. Throws OpenFailure.
 */
export function openRecording(dir: string, opts: RecordingReaderOptions = {}): FrameReader {
  const label = opts.label ?? `recording ${dir}`;
  if (!isRecordingDir(dir)) throw new OpenFailure(REASONS.NOT_FOUND, `cannot open ${label}: not a recording folder (no metadata.jsonl or numbered images)`);
  const { frames, fps } = readRecordingIndex(dir);
  if (!frames.length) throw new OpenFailure(REASONS.NO_SIGNAL, `cannot open ${label}: it holds no frames`);
  const speed = opts.speed && opts.speed > 0 ? opts.speed : 1;
  const interval = (fps > 0 ? 1000 / fps : 1000 / DEFAULT_FPS) / speed; // ms, between the last frame and the first again
  let first: Mat | null = decodeFirst(join(dir, frames[0]!.file), label);
  const width = first.cols;
  const height = first.rows;
  let i = 0;
  /** performance-clock ms at which the first frame of this pass is due; null: when the next read comes */
  let base: number | null = null;
  let lastDue = 0;
  let closed = false;

  const decode = async (file: string): Promise<Mat | null> => {
    try {
      const m = await cv.imdecodeAsync(await readFile(join(dir, file)), cv.IMREAD_COLOR);
      if (m.empty || m.cols !== width || m.rows !== height) {
        m.release(); // a frame of another size would change the camera's size mid-stream
        return null;
      }
      return m;
    } catch {
      return null;
    }
  };

  return {
    kind: 'recording',
    width,
    height,
    fps,
    live: true,
    controls: null,
    async read() {
      while (!closed && i < frames.length) {
        const entry = frames[i]!;
        const offset = (entry.ts - frames[0]!.ts) / speed;
        let mat: Mat | null;
        if (i === 0 && first) {
          mat = first;
          first = null;
        } else mat = await decode(entry.file);
        i++;
        if (!mat) continue;
        base ??= performance.now() - offset;
        let wait = base + offset - performance.now();
        if (wait < -LATE_MS) {
          base = performance.now() - offset;
          wait = 0;
        }
        if (wait > 0) await sleep(wait);
        lastDue = base + offset;
        if (closed) {
          mat.release();
          return null;
        }
        return mat;
      }
      return null;
    },
    rewind() {
      i = 0;
      base = lastDue ? lastDue + interval : null;
      return true;
    },
    setControls: (c) => applyControls(null, null, c),
    close() {
      closed = true;
      first?.release();
      first = null;
    },
  };
}

/** StillReaderOptions: the rate at which the picture is offered (default DEFAULT_FPS); `label` names it in errors (default `image PATH`). */
export interface StillReaderOptions {
  fps?: number;
  label?: string;
}

/**
 * openStill opens one image as a FrameReader (kind `still`) that offers a copy of the same
 * picture at `fps` for ever (each copy is the pipeline's to release). Throws OpenFailure.
 */
export function openStill(path: string, opts: StillReaderOptions = {}): FrameReader {
  const label = opts.label ?? `image ${path}`;
  if (!existsSync(path) || !statSync(path).isFile()) throw new OpenFailure(REASONS.NOT_FOUND, `cannot open ${label}: no such file`);
  let image: Mat | null = decodeFirst(path, label);
  const fps = opts.fps && opts.fps > 0 ? opts.fps : DEFAULT_FPS;
  const interval = 1000 / fps;
  let due: number | null = null;
  const width = image.cols;
  const height = image.rows;
  return {
    kind: 'still',
    width,
    height,
    fps,
    live: true,
    controls: null,
    async read() {
      const now = performance.now();
      due = due === null || now - due > LATE_MS ? now : due + interval;
      const wait = due - now;
      if (wait > 0) await sleep(wait);
      return image ? image.copy() : null;
    },
    rewind: () => true,
    setControls: (c) => applyControls(null, null, c),
    close() {
      image?.release();
      image = null;
    },
  };
}
