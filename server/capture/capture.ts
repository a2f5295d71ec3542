/**
 * The capture stage, on the OpenCV thread: opens the source, reads frames (decoding on libuv's
 * pool so that it overlaps segmentation), and offers each to the pipeline, where the newest
 * wins. It never gives up: on open failure, read failure, end of a live stream or a stall it
 * shows a placeholder that says why and retries with capped, jittered backoff, forever.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { SourceState, SourceStatus } from '../../shared/protocol.js';
import type { Mat } from '../cv.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { openReader, OpenError, type FrameReader, type ReaderOptions } from './open.js';
import { drawPlaceholder } from './placeholder.js';
import { redactSource, sourceKind, type SourceSpec } from './source.js';

const PLACEHOLDER_INTERVAL_MS = 500;

/** CaptureOptions are the capture flags. */
export interface CaptureOptions {
  reader: ReaderOptions;
  loop: boolean;
  retry: BackoffOptions;
  /** ms without a frame from a live source before it is declared stalled and reopened */
  stallTimeoutMs: number;
}

/** CaptureSink is where frames and news go (the pipeline). */
export interface CaptureSink {
  /** true while someone watches: only then are demo frames drawn and placeholders made */
  wanted(): boolean;
  /** offer hands over a frame; the sink owns (and releases) it from here on */
  offer(frame: Mat, ts: number, placeholder: boolean): void;
  /** resolves when the last offered frame has been taken (unpaced sources wait for this) */
  taken(): Promise<void>;
  status(status: SourceStatus): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

/** openSource opens a spec, resolving `auto` to camera 0 or, failing that, the demo. */
export function openSource(spec: SourceSpec, options: CaptureOptions, sink: CaptureSink): { reader: FrameReader; spec: SourceSpec } {
  if (spec.kind !== 'auto') return { reader: openReader(spec, options.reader), spec };
  try {
    return { reader: openReader({ kind: 'camera', index: 0, device: null, text: '0' }, options.reader), spec };
  } catch (e) {
    sink.log('warn', `no camera at index 0 (${(e as Error).message}); showing the demo scene instead`);
    const demo: SourceSpec = { kind: 'demo', text: 'demo' };
    return { reader: openReader(demo, options.reader), spec: demo };
  }
}

/** CaptureLoop captures one source until stopped. */
export class CaptureLoop {
  captured = 0;
  reconnects = 0;
  private stopping = false;
  private size: { width: number; height: number };
  private wake: (() => void) | null = null;
  readonly done: Promise<void>;

  constructor(
    private spec: SourceSpec,
    private readonly options: CaptureOptions,
    private readonly sink: CaptureSink,
    /** a reader already opened (after a successful source switch) */
    opened: FrameReader | null = null,
  ) {
    this.size = { width: options.reader.width, height: options.reader.height };
    this.done = this.run(opened);
  }

  /** stop ends the loop; a read in flight is abandoned and released when it returns. */
  stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    return this.done;
  }

  private status(state: SourceState, extra: Partial<SourceStatus> = {}): void {
    this.sink.status({ state, source: redactSource(this.spec.text), kind: sourceKind(this.spec), since: Date.now(), ...extra });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(t);
        self.wake = null;
        resolve();
      }
      this.wake = done;
    });
  }

  private async run(opened: FrameReader | null): Promise<void> {
    let attempt = 0;
    let reader = opened;
    this.status('starting');
    while (!this.stopping) {
      if (!reader) {
        try {
          const o = openSource(this.spec, this.options, this.sink);
          reader = o.reader;
          this.spec = o.spec;
        } catch (e) {
          const error = e instanceof OpenError ? e.message : `cannot open ${redactSource(this.spec.text)}: ${(e as Error).message ?? String(e)}`;
          attempt++;
          await this.waitBeforeRetry(attempt, error);
          continue;
        }
      }
      if (attempt > 0) this.reconnects++;
      attempt = 0;
      this.size = { width: reader.width, height: reader.height };
      this.status('live', { width: reader.width, height: reader.height, fps: reader.fps || this.options.reader.fps, kind: reader.kind });
      this.sink.log('info', `source ${redactSource(this.spec.text)} live: ${reader.width}x${reader.height} @ ${reader.fps ? `${reader.fps.toFixed(1)} fps` : 'unpaced'}`);
      const { ended, error } = await this.pump(reader);
      if (this.stopping) break;
      if (ended) {
        reader.close();
        this.status('ended', { error });
        this.sink.log('info', `source ${redactSource(this.spec.text)} ended`);
        while (!this.stopping) {
          this.placeholder('ENDED', 'the video file has played to its end (--no-loop)');
          await this.sleep(PLACEHOLDER_INTERVAL_MS);
        }
        return;
      }
      reader = null;
      attempt++;
      await this.waitBeforeRetry(attempt, error);
    }
    reader?.close();
    this.status('offline', { error: 'stopped' });
  }

  private placeholder(headline: string, detail: string): void {
    if (this.sink.wanted()) this.sink.offer(drawPlaceholder(this.size.width, this.size.height, headline, detail), Date.now(), true);
  }

  private async waitBeforeRetry(attempt: number, error: string): Promise<void> {
    const delay = backoffDelay(attempt, this.options.retry);
    const retryAt = Date.now() + delay;
    this.status('reconnecting', { attempt, retryAt, error });
    this.sink.log('warn', `source ${redactSource(this.spec.text)}: ${error}; retry ${attempt} in ${(delay / 1000).toFixed(1)} s`);
    while (!this.stopping && Date.now() < retryAt) {
      const s = Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
      this.placeholder('NO SIGNAL', `${error}, retrying in ${s} s`);
      await this.sleep(Math.min(PLACEHOLDER_INTERVAL_MS, Math.max(1, retryAt - Date.now())));
    }
  }

  /** read reads one frame, giving up on a live source after the stall timeout. */
  private async read(reader: FrameReader): Promise<Mat | null | 'stalled'> {
    const pending = reader.read();
    if (!reader.live) return pending;
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<'stalled'>((resolve) => {
      timer = setTimeout(() => resolve('stalled'), this.options.stallTimeoutMs);
    });
    const r = await Promise.race([pending, stalled]);
    clearTimeout(timer);
    if (r === 'stalled') {
      // the read is still blocked on the pool: release what it brings back, whenever it does
      pending.then((m) => m?.release(), () => undefined).finally(() => reader.close());
    }
    return r;
  }

  /** pump reads until the source fails or ends; returns why it stopped. */
  private async pump(reader: FrameReader): Promise<{ ended: boolean; error: string }> {
    const paced = !reader.live && (reader.kind === 'file' ? true : this.options.reader.fps > 0);
    const fps = reader.kind === 'file' ? this.options.reader.fps === 0 ? 0 : reader.fps || 30 : this.options.reader.fps;
    const interval = paced && fps > 0 ? 1000 / fps : 0; // ms between frames of a file or the demo
    let due = performance.now();
    let rewound = false;
    while (!this.stopping) {
      if (interval > 0) {
        due += interval;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        else if (wait < -3 * interval) due = performance.now(); // fell behind: do not burst to catch up
        if (reader.kind === 'demo' && !this.sink.wanted()) continue; // nobody to draw for
      } else if (!reader.live) {
        await this.sink.taken(); // unpaced: exactly as fast as the pipeline takes frames
        if (reader.kind === 'demo' && !this.sink.wanted()) {
          await this.sleep(50);
          continue;
        }
      }
      if (this.stopping) break;
      const mat = await this.read(reader);
      if (mat === 'stalled') return { ended: false, error: `stalled: no frame for ${(this.options.stallTimeoutMs / 1000).toFixed(1)} s` };
      if (this.stopping) {
        mat?.release();
        break;
      }
      if (!mat) {
        if (reader.kind === 'file') {
          if (!this.options.loop) return { ended: true, error: 'end of file' };
          if (rewound) return { ended: false, error: 'the file gives no frames after rewinding' };
          reader.rewind();
          rewound = true;
          continue;
        }
        reader.close();
        return { ended: false, error: reader.kind === 'camera' ? 'camera stopped delivering frames' : 'stream ended or timed out' };
      }
      rewound = false;
      this.captured++;
      this.sink.offer(mat, Date.now(), false);
    }
    return { ended: false, error: 'stopped' };
  }
}
