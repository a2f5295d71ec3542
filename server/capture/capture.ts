/**
 * The capture stage, on the camera process's main thread: opens the source (a network source
 * in a probe process first, so that this thread never waits on the network), reads frames
 * (decoding on libuv's pool, overlapping segmentation) and offers each to the pipeline, where
 * the newest wins. It never gives up: while it opens, and on open failure, read failure, the
 * end of a live stream or a stall, it shows a placeholder that says why, and retries with
 * capped, jittered backoff, forever. Its status goes through a reporter that falls silent the
 * moment a newer loop (a source switch) takes over.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { REASONS, type Reason } from '../../shared/status.js';
import type { CaptureConfig } from '../config/config.js';
import type { Mat } from '../cv.js';
import { backoffDelay } from './backoff.js';
import { OpenFailure, openSource, type FrameReader } from './open.js';
import { drawPlaceholder } from './placeholder.js';
import { redactSource, sourceKind, type SourceSpec } from './source.js';
import type { StatusReporter, StatusUpdate } from './status.js';

/** PLACEHOLDER_MS between placeholder frames while there is no picture. */
const PLACEHOLDER_MS = 500;
/** STABLE_MS a source must stay live before its backoff starts again from the first delay. */
export const STABLE_MS = 5000;

/** CaptureSink is where frames and news go (the pipeline). */
export interface CaptureSink {
  /** true while someone watches: only then are demo frames drawn and placeholders made */
  wanted(): boolean;
  /** true while frames must be read and handed over even with nobody watching (`analyse: always`) */
  analysing(): boolean;
  /** offer hands over a frame; the sink owns (and releases) it from here on */
  offer(frame: Mat, ts: number, placeholder: boolean): void;
  /** resolves when the last offered frame has been taken (unpaced sources wait for this) */
  taken(): Promise<void>;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

/** CaptureLoop captures one source until stopped. */
export class CaptureLoop {
  captured = 0;
  reconnects = 0;
  private stopping = false;
  private readonly abort = new AbortController();
  private size: { width: number; height: number };
  private wake: (() => void) | null = null;
  /** the reader frames come from now, null while opening or waiting to retry */
  private reader: FrameReader | null = null;
  private lastLive: StatusUpdate | null = null;
  readonly done: Promise<void>;

  constructor(
    private spec: SourceSpec,
    private readonly options: CaptureConfig,
    private readonly sink: CaptureSink,
    private readonly report: StatusReporter,
    /** a reader already opened (after a successful source switch) */
    opened: FrameReader | null = null,
    /** how a source is opened (a parameter for tests) */
    private readonly opener: typeof openSource = openSource,
  ) {
    this.size = opened ? { width: opened.width, height: opened.height } : { width: options.width, height: options.height };
    this.done = this.run(opened);
  }

  /** stop ends the loop; a read in flight is abandoned and released when it returns. */
  stop(): Promise<void> {
    this.stopping = true;
    this.abort.abort();
    this.wake?.();
    return this.done;
  }

  /**
   * setControls changes the camera controls: applied to the open source now (its live status
   * then says what it took) and at every later open.
   */
  setControls(controls: CaptureConfig['controls']): import('../../shared/status.js').ControlReport | null {
    this.options.controls = { ...controls };
    if (!this.reader) return null;
    const report = this.reader.setControls(this.options.controls);
    if (this.lastLive) {
      this.lastLive = { ...this.lastLive, controls: report };
      this.report(this.lastLive);
    }
    return report;
  }

  private get label(): string {
    return redactSource(this.spec.text);
  }

  private status(update: Omit<StatusUpdate, 'source' | 'kind'> & Partial<Pick<StatusUpdate, 'kind'>>): void {
    this.report({ source: this.label, kind: sourceKind(this.spec), ...update });
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private async run(opened: FrameReader | null): Promise<void> {
    let attempt = 0;
    let reader = opened;
    while (!this.stopping) {
      if (!reader) {
        if (attempt === 0) this.status({ state: 'starting', reason: REASONS.STARTING, error: `opening ${this.label}` });
        try {
          reader = await this.open(attempt);
        } catch (e) {
          if (this.stopping) break;
          const f = e instanceof OpenFailure ? e : new OpenFailure(REASONS.NO_SIGNAL, `cannot open ${this.label}: ${(e as Error).message ?? String(e)}`);
          attempt++;
          await this.waitBeforeRetry(attempt, f.reason, f.message);
          continue;
        }
        if (this.stopping) break;
        if (attempt > 0) this.reconnects++;
      }
      this.size = { width: reader.width, height: reader.height };
      const liveAt = Date.now();
      this.reader = reader;
      this.lastLive = {
        source: this.label,
        state: 'live',
        reason: REASONS.OK,
        kind: reader.kind,
        width: reader.width,
        height: reader.height,
        fps: reader.fps || this.options.fps,
        ...(reader.controls ? { controls: reader.controls } : {}),
      };
      this.report(this.lastLive);
      this.sink.log('info', `source ${this.label} live: ${reader.width}x${reader.height} @ ${reader.fps ? `${reader.fps.toFixed(1)} fps` : 'unpaced'}`);
      const { reason, error, inFlight } = await this.pump(reader);
      this.reader = null;
      this.lastLive = null;
      const done = reader;
      // a stalled read still holds the capture on the pool: close it only once that read returns
      if (inFlight) void inFlight.finally(() => done.close());
      else done.close();
      reader = null;
      if (this.stopping) break;
      // a source that opens and then ends at once keeps climbing the backoff
      if (Date.now() - liveAt >= STABLE_MS) attempt = 0;
      if (reason === REASONS.ENDED) {
        this.status({ state: 'ended', reason, error });
        this.sink.log('info', `source ${this.label} ended`);
        const what = done.kind === 'recording' ? 'the recording' : 'the video file';
        while (!this.stopping) {
          this.placeholder('ENDED', `${what} has played to its end (loop is off)`);
          await this.pause(PLACEHOLDER_MS);
        }
        break;
      }
      attempt++;
      await this.waitBeforeRetry(attempt, reason, error);
    }
    reader?.close();
  }

  /** open opens the source, with placeholders saying so while a probe is under way. */
  private async open(attempt: number): Promise<FrameReader> {
    const pending = this.opener(this.spec, this.options, { signal: this.abort.signal, warn: (m) => this.sink.log('warn', m) });
    let settled = false;
    void pending.then(
      () => (settled = true),
      () => (settled = true),
    );
    const detail = `opening ${this.label}${attempt ? ` (attempt ${attempt + 1})` : ''}`;
    while (!settled && !this.stopping) {
      this.placeholder('CONNECTING', detail);
      await Promise.race([pending.catch(() => undefined), this.pause(PLACEHOLDER_MS)]);
    }
    const { reader, spec } = await pending;
    this.spec = spec;
    return reader;
  }

  private placeholder(headline: string, detail: string): void {
    if (this.sink.wanted()) this.sink.offer(drawPlaceholder(this.size.width, this.size.height, headline, detail), Date.now(), true);
  }

  private async waitBeforeRetry(attempt: number, reason: Reason, error: string): Promise<void> {
    const delay = backoffDelay(attempt, this.options.retry);
    const retryAt = Date.now() + delay;
    this.status({ state: 'reconnecting', reason, attempt, retryAt, error });
    this.sink.log('warn', `source ${this.label}: ${error}; retry ${attempt} in ${(delay / 1000).toFixed(1)} s`);
    while (!this.stopping && Date.now() < retryAt) {
      const s = Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
      this.placeholder('NO SIGNAL', `${error}; retrying in ${s} s`);
      await this.pause(Math.min(PLACEHOLDER_MS, Math.max(1, retryAt - Date.now())));
    }
  }

  /**
   * read reads one frame, giving up on a source that can hang (not the demo, not a local file,
   * recording or image: a recording may pause for as long as it did when it was made) after the
   * stall timeout; the abandoned read is returned so that its frame is released, and
   * its capture closed, whenever it does come back.
   */
  private async read(reader: FrameReader): Promise<Mat | null | { stalled: Promise<unknown> }> {
    const pending = reader.read();
    if (reader.kind === 'demo' || reader.kind === 'file' || reader.kind === 'recording' || reader.kind === 'still') return pending;
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<'stalled'>((resolve) => {
      timer = setTimeout(() => resolve('stalled'), this.options.stallTimeoutMs);
    });
    const r = await Promise.race([pending, stalled]);
    clearTimeout(timer);
    if (r !== 'stalled') return r;
    return {
      stalled: pending.then(
        (m) => m?.release(),
        () => undefined,
      ),
    };
  }

  /** pump reads until the source fails or ends; returns why it stopped. */
  private async pump(reader: FrameReader): Promise<{ reason: Reason; error: string; inFlight?: Promise<unknown> }> {
    // files (local or on a web server) play at their own rate unless --fps 0; the demo at --fps
    const ownRate = reader.kind === 'demo' ? this.options.fps : this.options.fps === 0 ? 0 : reader.fps || 30;
    const interval = !reader.live && ownRate > 0 ? 1000 / ownRate : 0; // ms between frames
    let due = performance.now();
    let rewound = false;
    while (!this.stopping) {
      const idle = !this.sink.wanted() && !this.sink.analysing();
      if (interval > 0) {
        due += interval;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        else if (wait < -3 * interval) due = performance.now(); // fell behind: do not burst to catch up
        if (reader.kind === 'demo' && idle) continue; // nobody to draw for
      } else if (!reader.live) {
        await this.sink.taken(); // unpaced: exactly as fast as the pipeline takes frames
        if (reader.kind === 'demo' && idle) {
          await this.pause(50);
          continue;
        }
      }
      if (this.stopping) break;
      const mat = await this.read(reader);
      if (mat && 'stalled' in mat) return { reason: REASONS.STALLED, error: `stalled: no frame for ${(this.options.stallTimeoutMs / 1000).toFixed(1)} s`, inFlight: mat.stalled };
      if (this.stopping) {
        mat?.release();
        break;
      }
      if (!mat) {
        if (reader.kind === 'file' || reader.kind === 'recording' || (reader.kind === 'url' && !reader.live)) {
          if (!this.options.loop) return { reason: REASONS.ENDED, error: reader.kind === 'recording' ? 'end of recording' : 'end of file' };
          if (rewound || !reader.rewind()) return { reason: REASONS.LOST, error: 'the file gives no frames after rewinding' };
          rewound = true;
          continue;
        }
        return { reason: REASONS.LOST, error: reader.kind === 'camera' ? 'the camera stopped delivering frames' : 'the stream ended or timed out' };
      }
      rewound = false;
      this.captured++;
      this.sink.offer(mat, Date.now(), false);
    }
    return { reason: REASONS.STOPPED, error: 'stopped' };
  }
}
