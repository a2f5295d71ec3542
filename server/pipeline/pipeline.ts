/**
 * The pipeline as the main thread sees it: the one orchestrator of a frame's path. It runs the
 * OpenCV thread (capture → segment → encode), tells it which views are watched and what the
 * settings are, and hands each encoded frame to whoever publishes it. The main thread never
 * loads OpenCV, so its event loop stays free for sockets.
 *
 *   pipeline worker: capture (decode on libuv's pool) ─▶ slot (newest wins) ─▶ segment ─▶ encode
 *        │ JPEGs, transferred
 *        ▼
 *   main thread: Pipeline `frame` event ─▶ hub ─▶ viewers
 */
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { ERROR_CODES, SegcamError, type SourceStatus } from '../../shared/protocol.js';
import type { Settings, Space, Triple, View } from '../../shared/settings.js';
import type { CaptureOptions } from '../capture/capture.js';
import { redactSource, type SourceSpec } from '../capture/source.js';
import type { Logger } from '../log.js';
import type { Box } from '../segment/pick.js';
import type { EncodedFrame, PipelineCommand, PipelineEvent, PipelineWorkerData, WorkerStats } from './messages.js';

const WORKER_URL = new URL('./worker.js', import.meta.url);
const WATCHDOG_MS = 500;
const SWITCH_TIMEOUT_MS = 30_000;

/** PipelineStats are counters since start, with the last frame's stage times. */
export interface PipelineStats extends WorkerStats {
  lastTimings: EncodedFrame['timings'] | null;
}

type Pending<T> = Map<number, { resolve: (v: T) => void; reject: (e: SegcamError) => void; timer: NodeJS.Timeout }>;

/** Pipeline events: `frame` for each encoded frame, `status` for each change of the source, `fatal` if the OpenCV thread is lost. */
export class Pipeline extends EventEmitter<{ frame: [EncodedFrame]; status: [SourceStatus]; fatal: [string] }> {
  private worker: Worker | null = null;
  private views: View[] = [];
  private settings: Settings;
  private spec: SourceSpec;
  private currentStatus: SourceStatus;
  private workerStats: WorkerStats = { captured: 0, dropped: 0, processed: 0, encodes: 0, reconnects: 0, liveMats: null };
  private lastTimings: EncodedFrame['timings'] | null = null;
  private lastTickAt = Date.now();
  private stopping = false;
  private watchdog: NodeJS.Timeout | null = null;
  private nextId = 1;
  private readonly picks: Pending<{ lower: Triple; upper: Triple; samples: number }> = new Map();
  private readonly switches: Pending<void> = new Map();

  constructor(
    private readonly options: CaptureOptions & { openTimeoutMs: number; rtspTransport: 'tcp' | 'udp' },
    settings: Settings,
    private readonly log: Logger,
  ) {
    super();
    this.settings = settings;
    this.spec = { kind: 'demo', text: 'demo' };
    this.currentStatus = { state: 'starting', source: '', kind: 'demo', since: Date.now() };
    // FFmpeg reads these from the environment at each open: the RTSP transport, and a socket
    // timeout (µs) so that a dead network source cannot block an open or a read for long
    process.env.OPENCV_FFMPEG_CAPTURE_OPTIONS = `rtsp_transport;${options.rtspTransport}|timeout;${Math.round(options.openTimeoutMs * 1000)}`;
  }

  /** start opens the source; failures are retried in the background, forever. */
  start(spec: SourceSpec): void {
    this.spec = spec;
    this.spawn();
    this.watchdog = setInterval(() => this.checkWorker(), WATCHDOG_MS);
  }

  get status(): SourceStatus {
    return this.currentStatus;
  }

  get source(): SourceSpec {
    return this.spec;
  }

  get stats(): PipelineStats {
    return { ...this.workerStats, lastTimings: this.lastTimings };
  }

  /** setSettings applies settings from the next frame on. */
  setSettings(settings: Settings): void {
    this.settings = settings;
    this.command({ type: 'settings', settings });
  }

  /** setViews says which views are watched; an empty list stops segmentation and encoding. */
  setViews(views: View[]): void {
    const key = (v: View[]): string => [...v].sort().join(',');
    if (key(views) === key(this.views)) return;
    this.views = [...views];
    this.command({ type: 'views', views: this.views });
  }

  /** switchSource opens another source; if it cannot be opened the current one keeps running. */
  switchSource(spec: SourceSpec): Promise<void> {
    const id = this.nextId++;
    return this.request(this.switches, id, SWITCH_TIMEOUT_MS, `cannot open ${redactSource(spec.text)} in time`, () => this.command({ type: 'switch', id, source: spec })).then(() => {
      this.spec = spec;
    });
  }

  /** pick samples the newest original frame and proposes a range round the box. */
  pick(box: Box, space: Space): Promise<{ lower: Triple; upper: Triple; samples: number }> {
    const id = this.nextId++;
    return this.request(this.picks, id, 5000, 'no frame could be sampled in time', () => this.command({ type: 'pick', id, box, space }));
  }

  /** stop stops capture and the OpenCV thread. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.watchdog) clearInterval(this.watchdog);
    const w = this.worker;
    if (!w) return;
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    this.command({ type: 'stop' });
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000).unref())]);
    await w.terminate();
  }

  private request<T>(map: Pending<T>, id: number, timeoutMs: number, timeoutMessage: string, send: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        map.delete(id);
        reject(new SegcamError(ERROR_CODES.SOURCE_FAILED, timeoutMessage));
      }, timeoutMs);
      map.set(id, { resolve, reject, timer });
      send();
    });
  }

  private settle<T>(map: Pending<T>, id: number, result: { ok: true; value: T } | { ok: false; error: SegcamError }): void {
    const p = map.get(id);
    if (!p) return;
    map.delete(id);
    clearTimeout(p.timer);
    if (result.ok) p.resolve(result.value);
    else p.reject(result.error);
  }

  private command(cmd: PipelineCommand): void {
    this.worker?.postMessage(cmd);
  }

  private spawn(): void {
    const data: PipelineWorkerData = { capture: this.options, settings: this.settings, source: this.spec };
    const worker = new Worker(WORKER_URL, { workerData: data, stdout: true, stderr: true });
    // the binding prints build information on load; keep it out of segcam's output
    worker.stdout.resume();
    worker.stderr.resume();
    this.worker = worker;
    this.lastTickAt = Date.now();
    worker.on('message', (ev: PipelineEvent) => this.onEvent(ev));
    worker.on('error', (e) => this.log.error(`pipeline thread failed: ${e.stack ?? e.message}`));
    worker.on('exit', (code) => {
      if (this.worker !== worker || this.stopping) return;
      this.fail(`pipeline thread exited (code ${code})`);
    });
    if (this.views.length) this.command({ type: 'views', views: this.views });
  }

  /**
   * fail gives up on a dead or stuck OpenCV thread. A second thread cannot load the binding in
   * the same process (it aborts V8), so the process must end and be restarted by its
   * supervisor; source failures never come here, the capture loop handles those itself.
   */
  private fail(reason: string): void {
    if (this.stopping) return;
    this.stopping = true;
    if (this.watchdog) clearInterval(this.watchdog);
    this.emit('fatal', `${reason}; the OpenCV thread cannot be restarted inside this process`);
  }

  private checkWorker(): void {
    if (!this.worker) return;
    const silentMs = Date.now() - this.lastTickAt;
    // an open can legitimately block the thread for up to the FFmpeg timeout
    const hungAfter = this.options.openTimeoutMs + this.options.stallTimeoutMs + 5000;
    if (silentMs > this.options.stallTimeoutMs && this.currentStatus.state !== 'reconnecting') {
      this.setStatus({ ...this.currentStatus, state: 'reconnecting', error: `capture busy: no word from it for ${(silentMs / 1000).toFixed(1)} s`, since: Date.now() });
    }
    if (silentMs > hungAfter) {
      this.fail(`pipeline thread unresponsive for ${(silentMs / 1000).toFixed(1)} s`);
    }
  }

  private setStatus(s: SourceStatus): void {
    this.currentStatus = s;
    this.emit('status', s);
  }

  private onEvent(ev: PipelineEvent): void {
    switch (ev.type) {
      case 'frame':
        this.lastTimings = ev.timings;
        this.emit('frame', ev);
        break;
      case 'stats':
        this.lastTickAt = Date.now();
        this.workerStats = ev.stats;
        break;
      case 'status':
        this.setStatus(ev.status);
        break;
      case 'switched':
        this.settle(this.switches, ev.id, ev.ok ? { ok: true, value: undefined } : { ok: false, error: new SegcamError(ERROR_CODES.SOURCE_FAILED, ev.error) });
        break;
      case 'picked':
        this.settle(this.picks, ev.id, ev.ok ? { ok: true, value: { ...ev.range, samples: ev.samples } } : { ok: false, error: new SegcamError(ERROR_CODES.NO_FRAME, ev.error) });
        break;
      case 'log':
        this.log[ev.level](ev.message);
        break;
    }
  }
}

