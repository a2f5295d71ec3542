/**
 * Opening a source inside the camera process: one FrameReader interface over OpenCV's
 * VideoCapture (camera, URL, video file), recordings and still images (recording.ts) and the
 * demo scene. A network source is probed first in a
 * process of its own (prober.ts), so the open here, which blocks this thread, only ever meets a
 * source that has just answered and delivered a frame.
 */
import { statSync } from 'node:fs';
import { REASONS, type ControlReport } from '../../shared/status.js';
import type { CaptureConfig } from '../config/config.js';
import { cv, type Mat } from '../cv.js';
import { applyControls, type CameraControls } from './controls.js';
import { DemoScene } from './demo.js';
import { probeUrl, type ProbeResult } from './prober.js';
import { OpenFailure, type FrameReader } from './reader.js';
import { DEFAULT_FPS, openRecording, openStill } from './recording.js';
import { describeFileProblem, fileProblem, isStillImage, redactSource, type SourceSpec } from './source.js';

export { OpenFailure, type FrameReader } from './reader.js';

/** Probe is how a network source is probed (a parameter for tests). */
export type Probe = (url: string, deadlineMs: number, signal?: AbortSignal) => Promise<ProbeResult>;

/**
 * openSource opens a spec: `auto` is camera 0 or, failing that, the demo; a URL is probed in its
 * own process first. It throws OpenFailure.
 */
export async function openSource(
  spec: SourceSpec,
  opts: CaptureConfig,
  o: { signal?: AbortSignal; probe?: Probe; warn?: (message: string) => void } = {},
): Promise<{ reader: FrameReader; spec: SourceSpec }> {
  if (spec.kind === 'auto') {
    try {
      return { reader: openReader({ kind: 'camera', index: 0, device: null, text: '0' }, opts), spec };
    } catch (e) {
      o.warn?.(`no camera at index 0 (${(e as Error).message}); showing the demo scene instead`);
      const demo: SourceSpec = { kind: 'demo', text: 'demo' };
      return { reader: openReader(demo, opts), spec: demo };
    }
  }
  if (spec.kind === 'url') {
    const probed = await (o.probe ?? probeUrl)(spec.url, opts.openTimeoutMs, o.signal);
    if (!probed.ok) throw new OpenFailure(probed.reason, probed.error);
    if (o.signal?.aborted) throw new OpenFailure(REASONS.STOPPED, 'cancelled');
  }
  return { reader: openReader(spec, opts), spec };
}

/**
 * openReader opens a source in this thread; it throws OpenFailure with a readable reason. A
 * `file` that is a recording folder plays at its recorded pace, an image is a still offered at
 * the camera's rate (DEFAULT_FPS with `--fps 0`, which would otherwise spin).
 */
export function openReader(spec: Exclude<SourceSpec, { kind: 'auto' }>, opts: CaptureConfig): FrameReader {
  if (spec.kind === 'demo') return demoReader(opts);
  const label = redactSource(spec.text);
  // the front looks a recording up in the data folder (resolveRecordingSource); this process has none
  if (spec.kind === 'recording') throw new OpenFailure(REASONS.NOT_FOUND, `cannot open ${label}: the recording was not looked up in the data folder`);
  if (spec.kind === 'file') {
    const problem = fileProblem(spec.path);
    if (problem) throw new OpenFailure(REASONS.NOT_FOUND, `cannot open ${label}: ${problem === 'not found' ? 'no such file' : describeFileProblem(problem, spec.path)}`);
    if (statSync(spec.path).isDirectory()) return openRecording(spec.path, { label });
    if (isStillImage(spec.path)) return openStill(spec.path, { fps: opts.fps > 0 ? opts.fps : DEFAULT_FPS, label });
  }
  let cap: InstanceType<typeof cv.VideoCapture>;
  try {
    if (spec.kind === 'camera') cap = new cv.VideoCapture(spec.device ?? spec.index, cv.CAP_V4L2);
    else cap = new cv.VideoCapture(spec.kind === 'url' ? spec.url : spec.path, cv.CAP_FFMPEG);
  } catch {
    if (spec.kind === 'camera') throw new OpenFailure(REASONS.NO_DEVICE, `cannot open ${label}: no camera at ${spec.device ?? `index ${spec.index}`}`);
    throw new OpenFailure(REASONS.NO_SIGNAL, `cannot open ${label}: ${spec.kind === 'file' ? 'not a readable video file' : 'FFmpeg found no video stream'}`);
  }
  if (spec.kind === 'camera') {
    if (opts.fourcc) cap.set(cv.CAP_PROP_FOURCC, fourccCode(opts.fourcc));
    cap.set(cv.CAP_PROP_FRAME_WIDTH, opts.width);
    cap.set(cv.CAP_PROP_FRAME_HEIGHT, opts.height);
    if (opts.fps > 0) cap.set(cv.CAP_PROP_FPS, opts.fps);
    cap.set(cv.CAP_PROP_BUFFERSIZE, 1); // freshness: no queue of old frames in the driver
  }
  const device = spec.kind === 'camera' ? (spec.device ?? `/dev/video${spec.index}`) : null;
  const setControls = (c: CameraControls): ControlReport => applyControls(spec.kind === 'camera' ? cap : null, device, c);
  const controls = Object.keys(opts.controls).length > 0 ? setControls(opts.controls) : null;
  // the first frame proves the source really delivers, and gives its true size
  let first: Mat | null = cap.read();
  if (!first || first.empty) {
    first?.release();
    cap.release();
    throw new OpenFailure(REASONS.NO_SIGNAL, `cannot open ${label}: it opened but delivered no frame`);
  }
  const width = first.cols;
  const height = first.rows;
  const fps = cap.get(cv.CAP_PROP_FPS);
  const count = cap.get(cv.CAP_PROP_FRAME_COUNT);
  // a URL with a known length is a file on a web server: played at its rate, not as fast as it downloads
  const live = spec.kind === 'camera' || (spec.kind === 'url' && !(Number.isFinite(count) && count > 0));
  return {
    kind: spec.kind,
    width,
    height,
    fps: Number.isFinite(fps) && fps > 0 && fps < 1000 ? fps : 0,
    live,
    controls,
    async read() {
      if (first) {
        const f = first;
        first = null;
        return f;
      }
      const m = await cap.readAsync();
      if (m.empty) {
        m.release();
        return null;
      }
      return m;
    },
    rewind() {
      try {
        cap.set(cv.CAP_PROP_POS_FRAMES, 0);
        return true;
      } catch {
        return false;
      }
    },
    setControls,
    close() {
      first?.release();
      first = null;
      cap.release();
    },
  };
}

function demoReader(opts: CaptureConfig): FrameReader {
  const scene = new DemoScene(opts.width, opts.height);
  const fps = opts.fps > 0 ? opts.fps : 30;
  let n = 0;
  return {
    kind: 'demo',
    width: opts.width,
    height: opts.height,
    fps: opts.fps,
    live: false,
    controls: Object.keys(opts.controls).length ? applyControls(null, null, opts.controls) : null,
    read: () => Promise.resolve(scene.draw(n++ / fps)),
    rewind: () => {
      n = 0;
      return true;
    },
    setControls: (c) => applyControls(null, null, c),
    close: () => scene.release(),
  };
}

/** fourccCode packs four characters the way cv::VideoWriter::fourcc does. */
export function fourccCode(code: string): number {
  return [...code].reduce((acc, ch, i) => acc | ((ch.charCodeAt(0) & 0xff) << (8 * i)), 0);
}
