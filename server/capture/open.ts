/**
 * Opening a source for reading, inside the capture worker: one FrameReader interface over
 * OpenCV's VideoCapture (camera, URL, file) and the demo scene.
 */
import { cv, type Mat } from '../cv.js';
import { DemoScene } from './demo.js';
import { redactSource, type SourceSpec } from './source.js';

/** ReaderOptions are the capture flags that reach the reader. */
export interface ReaderOptions {
  width: number;
  height: number;
  fps: number;
  fourcc: string | null;
}

/** FrameReader yields frames from one opened source. */
export interface FrameReader {
  readonly kind: 'camera' | 'url' | 'file' | 'demo';
  readonly width: number;
  readonly height: number;
  /** The source's own rate (file, camera) or the requested one (demo); 0 when unknown. */
  readonly fps: number;
  /** Live sources deliver frames in real time and must be read continuously to stay fresh. */
  readonly live: boolean;
  /**
   * The next frame, or null at the end of a file or when a live source gives nothing. Decoding
   * runs on libuv's thread pool (readAsync), so it overlaps the segmentation of the previous
   * frame on the OpenCV thread.
   */
  read(): Promise<Mat | null>;
  /** Back to the first frame (files). */
  rewind(): void;
  close(): void;
}

/** OpenError says why a source could not be opened. */
export class OpenError extends Error {}

/** openReader opens a source; it throws OpenError with a readable reason. */
export function openReader(spec: Exclude<SourceSpec, { kind: 'auto' }>, opts: ReaderOptions): FrameReader {
  if (spec.kind === 'demo') return demoReader(opts);
  let cap: InstanceType<typeof cv.VideoCapture>;
  const label = redactSource(spec.text);
  try {
    if (spec.kind === 'camera') cap = new cv.VideoCapture(spec.device ?? spec.index, cv.CAP_V4L2);
    else cap = new cv.VideoCapture(spec.kind === 'url' ? spec.url : spec.path, cv.CAP_FFMPEG);
  } catch (e) {
    throw new OpenError(`cannot open ${label}: ${describeOpenFailure(spec, e)}`);
  }
  if (spec.kind === 'camera') {
    if (opts.fourcc) cap.set(cv.CAP_PROP_FOURCC, fourccCode(opts.fourcc));
    cap.set(cv.CAP_PROP_FRAME_WIDTH, opts.width);
    cap.set(cv.CAP_PROP_FRAME_HEIGHT, opts.height);
    if (opts.fps > 0) cap.set(cv.CAP_PROP_FPS, opts.fps);
    cap.set(cv.CAP_PROP_BUFFERSIZE, 1); // freshness: no queue of old frames in the driver
  }
  // the first frame proves the source really delivers, and gives its true size
  let first: Mat | null = cap.read();
  if (!first || first.empty) {
    first?.release();
    cap.release();
    throw new OpenError(`cannot open ${label}: it opened but delivered no frame`);
  }
  const width = first.cols;
  const height = first.rows;
  const fps = cap.get(cv.CAP_PROP_FPS);
  const live = spec.kind !== 'file';
  return {
    kind: spec.kind,
    width,
    height,
    fps: Number.isFinite(fps) && fps > 0 && fps < 1000 ? fps : 0,
    live,
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
      cap.set(cv.CAP_PROP_POS_FRAMES, 0);
    },
    close() {
      first?.release();
      cap.release();
    },
  };
}

function demoReader(opts: ReaderOptions): FrameReader {
  const scene = new DemoScene(opts.width, opts.height);
  const fps = opts.fps > 0 ? opts.fps : 30;
  let n = 0;
  return {
    kind: 'demo',
    width: opts.width,
    height: opts.height,
    fps: opts.fps,
    live: false,
    read: () => Promise.resolve(scene.draw(n++ / fps)),
    rewind: () => {
      n = 0;
    },
    close: () => scene.release(),
  };
}

function describeOpenFailure(spec: SourceSpec, e: unknown): string {
  if (spec.kind === 'camera') return `no camera at ${spec.device ?? `index ${spec.index}`}`;
  if (spec.kind === 'file') return 'not a readable video file';
  const msg = e instanceof Error ? e.message : String(e);
  return /failed to open/i.test(msg) ? 'connection failed or stream not found' : msg;
}

/** fourccCode packs four characters the way cv::VideoWriter::fourcc does. */
export function fourccCode(code: string): number {
  return [...code].reduce((acc, ch, i) => acc | ((ch.charCodeAt(0) & 0xff) << (8 * i)), 0);
}
