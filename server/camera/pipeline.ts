/**
 * One camera's pipeline, on its process's main thread: capture → slot → segment → render →
 * encode → the front. Two stages overlap so that one stream keeps both cores busy: capture
 * decodes frame N+1 on libuv's pool while this thread segments and encodes frame N. Between
 * them is a one-frame slot where the newest frame wins; frames it replaces are released and
 * counted. While nobody watches, frames are read (the source stays connected) but neither
 * segmented nor encoded, unless the camera analyses always: then they are segmented, and only
 * the analysis goes out.
 *
 * A camera that publishes (`publish:`, see publish.ts) has a watcher that never leaves: every
 * frame is segmented and the published view rendered (once: a view someone also watches is
 * rendered for both) and handed to the publisher, with nobody watching too, when only the
 * analysis goes to the front and nothing is JPEG-encoded. Placeholders are published as well,
 * at the size being published (letterboxed), so that a media server's viewers see why the
 * picture stopped instead of a frozen frame, and the encoder is not restarted for them.
 */
import { REASONS, type SourceStatus } from '../../shared/status.js';
import type { Settings, Space, View } from '../../shared/settings.js';
import { CaptureLoop, type CaptureSink } from '../capture/capture.js';
import { OpenFailure, openSource } from '../capture/open.js';
import { drawPlaceholder, fitPlaceholder } from '../capture/placeholder.js';
import { redactSource, sourceKind, type SourceSpec } from '../capture/source.js';
import { StatusOwner } from '../capture/status.js';
import type { CameraConfig } from '../config/config.js';
import { cv, onOneThread, type Mat } from '../cv.js';
import { encodeJpeg } from '../encode.js';
import { proposeRange, sampleBox } from '../segment/pick.js';
import { SegmentState, segmentFrame, type Segmented } from '../segment/segment.js';
import { ViewRenderer } from '../segment/views.js';
import type { FrontLink } from './link.js';
import type { CameraCommand, CameraStart, CameraStats, EncodedFrame } from './messages.js';
import { Publisher } from './publish.js';

/** FAILURE_PLACEHOLDER_MS: while the method fails, its placeholder is shown at most this often (ms). */
const FAILURE_PLACEHOLDER_MS = 500;

/** Taken is a frame in the hand-off slot: capture time, and when it was offered (ms, performance clock). */
interface Taken {
  frame: Mat;
  ts: number;
  placeholder: boolean;
  offeredAt: number;
}

/** CameraPipeline runs one camera until stopped. */
export class CameraPipeline {
  private readonly camera: CameraConfig;
  private settings: Settings;
  private revision: number;
  private views: View[];
  private seq = 0;
  private slot: Taken | null = null;
  private scheduled = false;
  private takenWaiters: (() => void)[] = [];
  /** the newest camera frame, kept for pick-by-click */
  private lastOriginal: Mat | null = null;
  private stopping = false;
  private readonly counters = { dropped: 0, processed: 0, encodes: 0, reconnectsBefore: 0, capturedBefore: 0 };
  private readonly segmentation: SegmentState;
  private readonly renderer = new ViewRenderer();
  private readonly status: StatusOwner;
  private capture: CaptureLoop;
  private switching: AbortController | null = null;
  private readonly sink: CaptureSink;
  /** made at the first frame to publish once the source's first open has settled (its rate is known then); null until then, or when not publishing */
  private publisher: Publisher | null = null;
  /** the size of the last picture published (placeholders are fitted to it) */
  private publishedSize: { width: number; height: number } | null = null;

  constructor(
    start: CameraStart,
    private readonly link: FrontLink,
  ) {
    this.camera = start.camera;
    this.settings = start.settings;
    this.revision = start.revision;
    this.views = start.views;
    this.segmentation = new SegmentState({ modelsDir: start.camera.modelsDir, log: (message) => link.event({ type: 'log', level: 'warn', message }) });
    const source = redactSource(start.camera.source.text);
    this.status = new StatusOwner({ state: 'starting', reason: REASONS.STARTING, source, kind: sourceKind(start.camera.source) }, (status) =>
      link.event({ type: 'status', status }),
    );
    this.sink = {
      wanted: () => this.views.length > 0 || this.camera.publish !== null,
      analysing: () => this.camera.analyse === 'always',
      offer: (frame, ts, placeholder) => this.offer(frame, ts, placeholder),
      taken: () => (this.slot ? new Promise((resolve) => this.takenWaiters.push(resolve)) : Promise.resolve()),
      log: (level, message) => link.event({ type: 'log', level, message }),
    };
    this.sendRestartingPlaceholder();
    this.capture = new CaptureLoop(start.camera.source, start.camera.capture, this.sink, this.status.claim());
  }

  /** stats are the counters the front shows and watches (their arrival is the camera's sign of life). */
  stats(): CameraStats {
    const m = cv.isCustomMatAllocatorEnabled() ? cv.getMemMetrics() : null;
    return {
      captured: this.counters.capturedBefore + this.capture.captured,
      dropped: this.counters.dropped,
      droppedAtPipe: this.link.droppedAtPipe,
      processed: this.counters.processed,
      encodes: this.counters.encodes,
      reconnects: this.counters.reconnectsBefore + this.capture.reconnects,
      liveMats: m ? m.NumAllocations - m.NumDeAllocations : null,
      publish: this.publisher?.stats() ?? null,
      segmentError: this.lastFailure ?? this.segmentation.problem(),
    };
  }

  /** command handles one command from the front. */
  command(cmd: Exclude<CameraCommand, CameraStart>): void {
    switch (cmd.type) {
      case 'settings':
        this.settings = cmd.settings;
        this.revision = cmd.revision;
        if (this.settings.motion.mode === 'off') this.segmentation.motion.reset();
        break;
      case 'views':
        this.views = cmd.views;
        this.schedule();
        break;
      case 'analyse':
        this.camera.analyse = cmd.analyse;
        this.schedule();
        break;
      case 'switch':
        void this.switchTo(cmd.id, cmd.source);
        break;
      case 'pick':
        this.pick(cmd.id, cmd.box, cmd.space);
        break;
      case 'controls': {
        const report = this.capture.setControls(cmd.controls);
        this.link.event({ type: 'controlled', id: cmd.id, report: report ?? {} });
        break;
      }
      case 'stop':
        void this.stop();
        break;
    }
  }

  /** stop ends capture and releases everything. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.switching?.abort();
    // the publisher ends its stream (ffmpeg flushes and tears the session down) while capture stops
    await Promise.all([this.capture.stop(), this.publisher?.close()]);
    this.status.retireAll(redactSource(this.camera.source.text), sourceKind(this.camera.source));
    this.slot?.frame.release();
    this.slot = null;
    this.lastOriginal?.release();
    this.lastOriginal = null;
    this.renderer.release();
    this.segmentation.release();
  }

  /** sendRestartingPlaceholder gives the front the picture it shows while this process is down. */
  private sendRestartingPlaceholder(): void {
    const { width, height } = this.camera.capture;
    const frame = drawPlaceholder(width, height, 'CAMERA RESTARTING', `camera ${this.camera.name}: its process stopped and is being restarted`);
    const jpeg = encodeJpeg(frame, 80);
    frame.release();
    this.link.event({ type: 'restarting-placeholder', jpeg, width, height });
  }

  private offer(frame: Mat, ts: number, placeholder: boolean): void {
    if (this.slot) {
      this.slot.frame.release();
      if (this.busy()) this.counters.dropped++; // frames nobody would process are not losses
    }
    this.slot = { frame, ts, placeholder, offeredAt: performance.now() };
    this.schedule();
  }

  /** busy: frames are processed (someone watches, the camera publishes, or it analyses always) */
  private busy(): boolean {
    return this.views.length > 0 || this.camera.publish !== null || this.camera.analyse === 'always';
  }

  private schedule(): void {
    if (this.scheduled || !this.slot || !this.busy()) return;
    this.scheduled = true;
    setImmediate(() => this.takeSlot());
  }

  /**
   * takeSlot empties the slot, lets the capture loop start reading the next frame (its
   * continuation runs as a microtask, dispatching the decode to libuv's pool), and only then
   * processes the frame it took: decode and segmentation overlap on the two cores.
   */
  private takeSlot(): void {
    const taken = this.slot;
    this.slot = null;
    const waiters = this.takenWaiters;
    this.takenWaiters = [];
    for (const w of waiters) w();
    if (!taken) {
      this.scheduled = false;
      return;
    }
    setImmediate(() => {
      try {
        this.process(taken);
      } catch (e) {
        this.link.event({ type: 'log', level: 'error', message: `processing a frame failed: ${(e as Error).message}` });
      } finally {
        this.scheduled = false;
        this.schedule();
      }
    });
  }

  /** process segments a frame; then, for each watched view, renders and encodes it, and publishes the published view. */
  private process(taken: Taken): void {
    const { frame } = taken;
    let mask: Mat | null = null;
    let picture: Mat | null = null;
    let kept = false; // the picture becomes lastOriginal once it has been used
    try {
      if (!this.busy() || this.stopping) return;
      const views = this.views;
      if (taken.placeholder) {
        if (views.length) this.encodePlaceholder(taken, views);
        this.publishPlaceholder(frame);
        return;
      }
      const t0 = performance.now();
      const settings = this.settings;
      const rev = this.revision;
      let seg: Segmented;
      try {
        seg = segmentFrame(frame, settings, this.segmentation);
      } catch (e) {
        // a method that cannot run (a model file gone, say) is reported, not fatal: viewers see why instead of a frozen picture
        this.reportSegmentFailure(e as Error, taken, views);
        return;
      }
      this.lastFailure = null;
      mask = seg.mask;
      picture = seg.picture;
      const seq = this.seq++;
      this.lastOriginal?.release();
      this.lastOriginal = picture;
      kept = true;
      this.counters.processed++;
      const shown = picture;
      const published = this.camera.publish?.view ?? null;
      if (!views.length) {
        this.link.event({ type: 'analysis', analysis: { ...seg.analysis, ts: taken.ts, rev } });
        if (published) this.publish(this.renderer.render(published, shown, seg.mask, seq));
        return;
      }
      const images = views.map((view) => ({ view, image: this.renderer.render(view, shown, seg.mask, seq) }));
      const t1 = performance.now();
      const jpegs = images.map(({ view, image }) => ({ view, jpeg: encodeJpeg(image, settings.output.quality), width: image.cols, height: image.rows }));
      this.send({ seq, ts: taken.ts, rev, placeholder: false, jpegs, analysis: seg.analysis, encodes: jpegs.length }, taken.offeredAt, t0, t1);
      // after the viewers' frame has gone: they do not wait for the publisher's copy
      if (published) this.publish(images.find((i) => i.view === published)?.image ?? this.renderer.render(published, shown, seg.mask, seq));
    } finally {
      mask?.release();
      if (picture && picture !== frame)
        frame.release(); // the picture (transformed) is what is kept
      else if (!kept) frame.release();
      if (!kept && picture && picture !== frame) picture.release();
    }
  }

  /**
   * publisherNow is the publisher, made when first needed. It waits for the source's first
   * open to settle (nothing is published while the camera is still `starting`), so that the
   * encoder is told the source's rate (a source that failed to open: the requested rate, else
   * 30). Timestamps are wall clock, so a later source at another rate keeps real time.
   */
  private publisherNow(): Publisher | null {
    const o = this.camera.publish;
    if (!o || this.stopping) return null;
    if (this.publisher) return this.publisher;
    const s = this.status.current;
    if (s.state === 'starting') return null;
    const fps = (s.state === 'live' && s.fps) || this.camera.capture.fps || 30;
    try {
      this.publisher = new Publisher({
        url: o.url,
        fps,
        ...(o.bitrateKbps ? { bitrateKbps: o.bitrateKbps } : {}),
        keyframeS: o.keyframeS,
        retry: this.camera.capture.retry,
        log: (level, message) => this.link.event({ type: 'log', level, message }),
      });
    } catch (e) {
      // a URL the config let through but the publisher refuses: said once, and the camera goes on without publishing
      this.link.event({ type: 'log', level: 'error', message: (e as Error).message });
      this.camera.publish = null;
    }
    return this.publisher;
  }

  /** publish hands a rendered picture (borrowed: not released here) to the publisher; the mask view, one channel, goes as grey BGR. */
  private publish(image: Mat): void {
    const p = this.publisherNow();
    if (!p) return;
    this.publishedSize = { width: image.cols, height: image.rows };
    if (image.channels === 3) {
      p.write(image);
      return;
    }
    const bgr = onOneThread(() => image.cvtColor(cv.COLOR_GRAY2BGR));
    try {
      p.write(bgr);
    } finally {
      bgr.release();
    }
  }

  /**
   * publishPlaceholder publishes a placeholder at the size being published (letterboxed if it
   * differs). One that is handled once the source is live again was drawn before it opened:
   * it is stale, and at the requested size rather than the source's, so it is left out.
   */
  private publishPlaceholder(frame: Mat): void {
    const size = this.publishedSize;
    if (this.status.current.state === 'live' || !this.publisherNow()) return;
    if (!size || (size.width === frame.cols && size.height === frame.rows)) {
      this.publish(frame);
      return;
    }
    const fitted = fitPlaceholder(frame, size.width, size.height);
    try {
      this.publish(fitted);
    } finally {
      fitted.release();
    }
  }

  /** why the newest frame could not be segmented (null: it could), for the status */
  private lastFailure: string | null = null;
  private failureShownAt = 0;
  /**
   * reportSegmentFailure logs a failing method once per distinct problem, and shows the
   * problem to viewers and the published stream as a placeholder (at most every
   * FAILURE_PLACEHOLDER_MS: the frames that fail in between are dropped).
   */
  private reportSegmentFailure(e: Error, taken: Taken, views: View[]): void {
    const message = `segmentation failed: ${e.message}`;
    if (message !== this.lastFailure) this.link.event({ type: 'log', level: 'error', message });
    this.lastFailure = message;
    const now = performance.now();
    if (now - this.failureShownAt < FAILURE_PLACEHOLDER_MS) return;
    this.failureShownAt = now;
    const ph = drawPlaceholder(taken.frame.cols, taken.frame.rows, 'SEGMENTATION FAILED', `camera ${this.camera.name}: ${e.message}`);
    try {
      if (views.length) this.encodePlaceholder({ ...taken, frame: ph }, views);
      this.publishPlaceholder(ph);
    } finally {
      ph.release();
    }
  }

  /** encodePlaceholder: a placeholder is the same picture in every view, encoded once. */
  private encodePlaceholder({ frame, ts, offeredAt }: Taken, views: View[]): void {
    const t0 = performance.now();
    const jpeg = encodeJpeg(frame, this.settings.output.quality);
    const jpegs = views.map((view) => ({ view, jpeg, width: frame.cols, height: frame.rows }));
    this.send({ seq: this.seq++, ts, rev: this.revision, placeholder: true, jpegs, analysis: null, encodes: 1 }, offeredAt, t0, t0);
  }

  private send(f: Omit<EncodedFrame, 'type' | 'timings'>, offeredAt: number, t0: number, t1: number): void {
    this.counters.encodes += f.encodes;
    this.link.frame({ type: 'frame', ...f, timings: { wait: t0 - offeredAt, segment: t1 - t0, encode: performance.now() - t1 } });
  }

  private pick(id: number, box: Parameters<typeof sampleBox>[1], space: Space): void {
    if (!this.lastOriginal) {
      this.link.event({ type: 'picked', id, ok: false, error: 'no camera frame to sample yet' });
      return;
    }
    try {
      const samples = sampleBox(this.lastOriginal, box, space);
      this.link.event({ type: 'picked', id, ok: true, range: proposeRange(samples, space), samples: samples.length / 3 });
    } catch (e) {
      this.link.event({ type: 'picked', id, ok: false, error: (e as Error).message });
    }
  }

  /**
   * switchTo opens another source while the current one keeps streaming (a network source is
   * probed in its own process first), then hands over. If it cannot be opened, nothing changes.
   * A newer switch supersedes one still opening.
   */
  private async switchTo(id: number, source: SourceSpec): Promise<void> {
    this.switching?.abort();
    const mine = new AbortController();
    this.switching = mine;
    let opened: Awaited<ReturnType<typeof openSource>>;
    try {
      opened = await openSource(source, this.camera.capture, { signal: mine.signal, warn: (m) => this.link.event({ type: 'log', level: 'warn', message: m }) });
    } catch (e) {
      const error = mine.signal.aborted
        ? 'superseded by a newer source switch'
        : e instanceof OpenFailure
          ? e.message
          : `cannot open ${redactSource(source.text)}: ${(e as Error).message}`;
      this.link.event({ type: 'switched', id, ok: false, error });
      return;
    } finally {
      if (this.switching === mine) this.switching = null;
    }
    if (mine.signal.aborted || this.stopping) {
      opened.reader.close();
      this.link.event({ type: 'switched', id, ok: false, error: 'superseded by a newer source switch' });
      return;
    }
    const old = this.capture;
    this.camera.source = opened.spec;
    // the new loop claims the status before the old one stops: the old one's last words are never heard
    this.capture = new CaptureLoop(opened.spec, this.camera.capture, this.sink, this.status.claim(), opened.reader);
    this.segmentation.motion.reset();
    void old.stop().then(() => {
      this.counters.capturedBefore += old.captured;
      this.counters.reconnectsBefore += old.reconnects;
    });
    this.link.event({ type: 'switched', id, ok: true, status: this.status.current as SourceStatus });
  }
}
