/**
 * One camera as the front holds it: the one owner of its status (what its process reports, or
 * `restarting` while there is no process), its settings store and presets, its hub of
 * consumers, its newest analysis, and the requests in flight to its process. Frames from the
 * process go to the hub; settings and watched views go to the process (and to its successor,
 * if it is restarted). While the process restarts, the hub keeps getting a "camera restarting"
 * placeholder, so that no viewer's picture freezes without saying why.
 */
import { EventEmitter } from 'node:events';
import { ERROR_CODES, SegcamError, type TimedAnalysis } from '../../shared/protocol.js';
import type { Space, Triple, View } from '../../shared/settings.js';
import { REASONS, type CameraSummary, type ControlReport, type SourceStatus } from '../../shared/status.js';
import type { CameraEvent, CameraStats, EncodedFrame } from '../camera/messages.js';
import type { PublisherStats } from '../camera/publish.js';
import type { CameraControls } from '../capture/controls.js';
import { redactSource, sourceKind, type SourceSpec } from '../capture/source.js';
import type { CameraConfig } from '../config/config.js';
import type { PresetStore } from '../control/presets.js';
import type { SettingsStore } from '../control/store.js';
import type { Logger } from '../log.js';
import type { Box } from '../segment/pick.js';
import { Hub } from '../stream/hub.js';
import { CameraProcess, type SupervisorOptions } from './supervisor.js';

const PLACEHOLDER_MS = 500;
/** a switch probes (open timeout) and then opens; the rest is margin */
const SWITCH_MARGIN_MS = 10_000;
const PICK_TIMEOUT_MS = 3000;

type Pending = { resolve: (v: never) => void; reject: (e: SegcamError) => void; timer: NodeJS.Timeout };

const ZERO_STATS: CameraStats = { captured: 0, dropped: 0, droppedAtPipe: 0, processed: 0, encodes: 0, reconnects: 0, liveMats: null, publish: null, segmentError: null };

/**
 * Camera events: `status` on every change of its status, `frame` for every frame published,
 * `analysis` for every analysed frame (watched or not).
 */
export class Camera extends EventEmitter<{ status: [SourceStatus]; frame: [EncodedFrame]; analysis: [TimedAnalysis] }> {
  readonly hub: Hub;
  /** counters from the process; they restart with it, so `before` keeps the earlier processes' totals */
  private stats: CameraStats = ZERO_STATS;
  private before: CameraStats = ZERO_STATS;
  lastTimings: EncodedFrame['timings'] | null = null;
  analysis: TimedAnalysis | null = null;
  private reported: SourceStatus;
  private down: { why: string; retryAt: number; since: number } | null = null;
  private restartingJpeg: { jpeg: Uint8Array; width: number; height: number } | null = null;
  private views: View[] = [];
  private readonly process: CameraProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private placeholderTimer: NodeJS.Timeout | null = null;
  /** analyse every frame, watched or not: the config says always, or the outputs need it (rules) */
  private analyseAlways = false;

  constructor(
    readonly config: CameraConfig,
    readonly store: SettingsStore,
    readonly presets: PresetStore,
    private readonly log: Logger,
    supervisor: Omit<SupervisorOptions, 'log'>,
  ) {
    super();
    this.reported = { state: 'starting', reason: REASONS.STARTING, source: redactSource(config.source.text), kind: sourceKind(config.source), since: Date.now() };
    this.hub = new Hub((views) => {
      this.views = views;
      this.process.send({ type: 'views', views });
    });
    this.process = new CameraProcess(
      config.name,
      () => ({
        type: 'start',
        camera: { ...this.config, analyse: this.analysing ? 'always' : 'watched' },
        settings: this.store.current,
        revision: this.store.revision,
        views: this.views,
      }),
      { ...supervisor, log },
    );
    this.process.on('event', (ev) => this.onEvent(ev));
    this.process.on('up', () => this.onUp());
    this.process.on('down', (why, retryAt) => this.onDown(why, retryAt));
    store.on('change', (c) => this.process.send({ type: 'settings', settings: c.settings, revision: c.revision }));
  }

  get name(): string {
    return this.config.name;
  }

  /** analysing says whether the camera analyses frames nobody watches. */
  get analysing(): boolean {
    return this.config.analyse === 'always' || this.analyseAlways;
  }

  /** setAnalyseAlways makes the camera analyse every frame, watched or not, while the outputs need it. */
  setAnalyseAlways(always: boolean): void {
    const before = this.analysing;
    this.analyseAlways = always;
    if (this.analysing !== before) this.process.send({ type: 'analyse', analyse: this.analysing ? 'always' : 'watched' });
  }

  /** status is the camera's status: its process's word, or `restarting` while it has none. */
  get status(): SourceStatus {
    if (!this.down) return this.reported;
    const wait = Math.max(0, Math.ceil((this.down.retryAt - Date.now()) / 1000));
    return {
      ...this.reported,
      state: 'restarting',
      reason: REASONS.RESTARTING,
      error: `${this.down.why}; ${this.process.up ? 'starting again' : `restarting in ${wait} s`}`,
      retryAt: this.down.retryAt,
      since: this.down.since,
    };
  }

  /** counters since the front started, over every process this camera has had */
  get counters(): CameraStats {
    const s = this.stats;
    const b = this.before;
    return {
      captured: b.captured + s.captured,
      dropped: b.dropped + s.dropped,
      droppedAtPipe: b.droppedAtPipe + s.droppedAtPipe,
      processed: b.processed + s.processed,
      encodes: b.encodes + s.encodes,
      reconnects: b.reconnects + s.reconnects,
      liveMats: s.liveMats,
      publish: this.publishStats,
      segmentError: this.segmentError,
    };
  }

  /**
   * publishStats is the camera's publishing to a media server (null: it publishes nowhere, or
   * has not started to). Its counts go on over restarts, as the other counters do; while the
   * process is down, there is no encoder (`idle`).
   */
  get publishStats(): PublisherStats | null {
    const s = this.stats.publish;
    const b = this.before.publish;
    if (!s) return b ? { ...b, state: 'idle', retryAt: null, pid: null } : null;
    if (!b) return s;
    return { ...s, written: b.written + s.written, dropped: b.dropped + s.dropped, unsent: b.unsent + s.unsent, reconnects: b.reconnects + s.reconnects };
  }

  /** segmentError is why the camera's method fails now (null: it works) */
  get segmentError(): string | null {
    return this.stats.segmentError ?? null;
  }

  get pid(): number | null {
    return this.process.pid;
  }

  get restarts(): number {
    return this.process.restarts;
  }

  start(): void {
    this.process.start();
  }

  async stop(): Promise<void> {
    this.stopPlaceholders();
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new SegcamError(ERROR_CODES.SOURCE_FAILED, 'the server is stopping'));
      this.pending.delete(id);
    }
    await this.process.stop();
    await this.store.flush();
  }

  /** kill ends the camera's process as a crash would (for tests and the bench). */
  kill(): void {
    this.process.kill('SIGKILL');
  }

  /** switchSource opens another source; if it cannot be opened, the current one keeps running. */
  switchSource(spec: SourceSpec): Promise<SourceStatus> {
    return this.request<SourceStatus>(this.config.capture.openTimeoutMs + SWITCH_MARGIN_MS, `cannot open ${redactSource(spec.text)} in time`, (id) => ({
      type: 'switch',
      id,
      source: spec,
    })).then((status) => {
      this.config.source = spec; // a restarted process opens the new source
      return status;
    });
  }

  /** pick samples the newest original frame and proposes a range round the box. */
  pick(box: Box, space: Space): Promise<{ lower: Triple; upper: Triple; samples: number }> {
    return this.request(PICK_TIMEOUT_MS, 'no frame could be sampled in time', (id) => ({ type: 'pick', id, box, space }));
  }

  /** setControls changes the camera controls now, and for every later open. */
  setControls(controls: CameraControls): Promise<ControlReport> {
    this.config.capture.controls = { ...controls };
    return this.request(PICK_TIMEOUT_MS, 'the camera did not answer in time', (id) => ({ type: 'controls', id, controls }));
  }

  /** summary is this camera as GET /api/cameras lists it. */
  summary(viewers: number): CameraSummary {
    const s = this.status;
    return {
      name: this.name,
      state: s.state,
      reason: s.reason,
      ...(s.error ? { error: s.error } : {}),
      source: s.source,
      kind: s.kind,
      width: s.width ?? null,
      height: s.height ?? null,
      fps: s.fps ?? null,
      viewers,
      pid: this.pid,
      restarts: this.restarts,
      coverage: this.analysis?.coverage ?? null,
      analysedAt: this.analysis?.ts ?? null,
    };
  }

  private request<T>(timeoutMs: number, timeoutMessage: string, command: (id: number) => Parameters<CameraProcess['send']>[0]): Promise<T> {
    if (!this.process.up) return Promise.reject(new SegcamError(ERROR_CODES.SOURCE_FAILED, `camera ${this.name} is restarting; try again in a moment`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new SegcamError(ERROR_CODES.SOURCE_FAILED, timeoutMessage));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: never) => void, reject, timer });
      this.process.send(command(id));
    });
  }

  private settle(id: number, result: { ok: true; value: unknown } | { ok: false; error: SegcamError }): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (result.ok) p.resolve(result.value as never);
    else p.reject(result.error);
  }

  private setReported(status: SourceStatus): void {
    this.reported = status;
    if (status.state !== 'live') this.hub.forget();
    this.emit('status', this.status);
  }

  private onEvent(ev: CameraEvent): void {
    switch (ev.type) {
      case 'frame':
        this.lastTimings = ev.timings;
        if (ev.analysis) this.noteAnalysis({ ...ev.analysis, ts: ev.ts, rev: ev.rev });
        this.hub.publish(ev);
        this.emit('frame', ev);
        break;
      case 'analysis':
        this.noteAnalysis(ev.analysis);
        break;
      case 'stats':
        this.stats = ev.stats;
        break;
      case 'status':
        this.setReported(ev.status);
        break;
      case 'restarting-placeholder':
        this.restartingJpeg = { jpeg: ev.jpeg, width: ev.width, height: ev.height };
        break;
      case 'switched':
        this.settle(ev.id, ev.ok ? { ok: true, value: ev.status } : { ok: false, error: new SegcamError(ERROR_CODES.SOURCE_FAILED, ev.error) });
        break;
      case 'picked':
        this.settle(ev.id, ev.ok ? { ok: true, value: { ...ev.range, samples: ev.samples } } : { ok: false, error: new SegcamError(ERROR_CODES.NO_FRAME, ev.error) });
        break;
      case 'controlled':
        this.settle(ev.id, { ok: true, value: ev.report });
        break;
      case 'log':
        this.log[ev.level](`camera ${this.name}: ${ev.message}`);
        break;
    }
  }

  private noteAnalysis(a: TimedAnalysis): void {
    this.analysis = a;
    this.emit('analysis', a);
  }

  private onUp(): void {
    this.stopPlaceholders();
    if (this.down) {
      this.down = null;
      this.reported = { ...this.reported, state: 'starting', reason: REASONS.STARTING, error: 'camera process started', since: Date.now() };
      this.emit('status', this.status);
    }
  }

  private onDown(why: string, retryAt: number): void {
    this.before = this.counters;
    this.stats = ZERO_STATS;
    this.down = { why, retryAt, since: Date.now() };
    this.hub.forget();
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new SegcamError(ERROR_CODES.SOURCE_FAILED, `camera ${this.name} ${why}; it is restarting`));
      this.pending.delete(id);
    }
    this.emit('status', this.status);
    this.publishRestarting();
    this.placeholderTimer ??= setInterval(() => this.publishRestarting(), PLACEHOLDER_MS);
  }

  private publishRestarting(): void {
    const p = this.restartingJpeg;
    if (!p || !this.views.length) return;
    this.hub.publish({
      type: 'frame',
      ts: Date.now(),
      rev: this.store.revision,
      placeholder: true,
      jpegs: this.views.map((view) => ({ view, jpeg: p.jpeg, width: p.width, height: p.height })),
      analysis: null,
      encodes: 0,
      timings: { wait: 0, segment: 0, encode: 0 },
    });
  }

  private stopPlaceholders(): void {
    if (this.placeholderTimer) clearInterval(this.placeholderTimer);
    this.placeholderTimer = null;
  }
}
