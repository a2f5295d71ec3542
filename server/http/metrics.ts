/**
 * Prometheus metrics (prom-client), every per-camera one with a `camera` label: frames per
 * stage, drops by reason, reconnects and restarts, viewers by kind, the source's state, stage
 * durations, capture-to-send latency, the segmentation's results (coverage and blobs per range,
 * and how old the newest analysis is), and each camera process's CPU and memory. The front's
 * own process metrics carry the `segcam_` prefix.
 */
import { readFileSync } from 'node:fs';
import client from 'prom-client';
import type { EncodedFrame } from '../camera/messages.js';
import type { Camera } from '../front/camera.js';
import type { Outputs } from '../front/outputs.js';
import type { Auth } from './auth.js';

type Row<L extends string> = [Partial<Record<L, string>>, number];

const RATE_WINDOW_MS = 2000;
const CLK_TCK = 100; // Linux USER_HZ
const PAGE = 4096;

/** processUsage reads a process's CPU seconds and resident bytes from /proc (null where there is no /proc). */
export function processUsage(pid: number): { cpuSeconds: number; rssBytes: number } | null {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return { cpuSeconds: (Number(f[11]) + Number(f[12])) / CLK_TCK, rssBytes: Number(f[21]) * PAGE };
  } catch {
    return null;
  }
}

type Rates = { captured: number; processed: number; sent: number };

/** Metrics keeps the registry and the per-camera rates for the status endpoints. */
export class Metrics {
  readonly registry = new client.Registry();
  private readonly stageSeconds: client.Histogram<'camera' | 'stage'>;
  private readonly latencySeconds: client.Histogram<'camera'>;
  private readonly samples = new Map<string, { at: number; captured: number; processed: number; sent: number }[]>();
  /** CPU seconds of the processes a camera had before its current one */
  private readonly cpuBefore = new Map<string, { pid: number; seconds: number; total: number }>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly cameras: () => Camera[],
    private readonly viewers: (camera: Camera, kind: 'ws' | 'mjpeg') => number,
    private readonly outputs: () => Outputs | null = () => null,
    auth: Auth | null = null,
  ) {
    const r = this.registry;
    client.collectDefaultMetrics({ register: r, prefix: 'segcam_' });
    const perCamera = (name: string, help: string, kind: 'counter' | 'gauge', read: (c: Camera) => number | null): void => {
      const cams = this.cameras;
      const Metric = kind === 'counter' ? client.Counter : client.Gauge;
      new Metric({
        name,
        help,
        labelNames: ['camera'],
        registers: [r],
        collect(this: client.Counter<'camera'> | client.Gauge<'camera'>) {
          this.reset();
          for (const c of cams()) {
            const v = read(c);
            if (v === null) continue;
            if (this instanceof client.Counter) this.inc({ camera: c.name }, v);
            else (this as client.Gauge<'camera'>).set({ camera: c.name }, v);
          }
        },
      });
    };
    perCamera('segcam_frames_captured_total', 'Frames read from the source.', 'counter', (c) => c.counters.captured);
    perCamera('segcam_frames_segmented_total', 'Frames segmented (while someone watches, or always with analyse: always).', 'counter', (c) => c.counters.processed);
    perCamera('segcam_jpeg_encodes_total', 'JPEG encodes (one per frame and watched view).', 'counter', (c) => c.counters.encodes);
    perCamera('segcam_frames_sent_total', 'Frames delivered to consumers (one per consumer per frame).', 'counter', (c) => c.hub.sent);
    perCamera('segcam_reconnects_total', 'Times the source was lost and reopened.', 'counter', (c) => c.counters.reconnects);
    perCamera('segcam_camera_restarts_total', "Times the camera's process was restarted.", 'counter', (c) => c.restarts);
    perCamera('segcam_source_live', '1 while the source delivers frames.', 'gauge', (c) => (c.status.state === 'live' ? 1 : 0));
    perCamera('segcam_camera_up', "1 while the camera's process runs.", 'gauge', (c) => (c.pid ? 1 : 0));
    perCamera('segcam_analysis_age_seconds', 'Age of the newest analysis (capture time to now).', 'gauge', (c) =>
      c.analysis ? Math.max(0, Date.now() - c.analysis.ts) / 1000 : null,
    );
    perCamera('segcam_camera_resident_memory_bytes', "Resident memory of the camera's process.", 'gauge', (c) => (c.pid ? (processUsage(c.pid)?.rssBytes ?? null) : null));
    perCamera('segcam_camera_cpu_seconds_total', "CPU time of the camera's processes (user + system, all of them since start).", 'counter', (c) => this.cpuOf(c));
    perCamera('segcam_publish_up', '1 while the camera publishes to its media server, 0 while it connects or waits to retry (absent when it does not publish).', 'gauge', (c) => {
      const p = c.publishStats;
      return p ? (p.state === 'publishing' ? 1 : 0) : null;
    });
    perCamera('segcam_publish_frames_total', 'Frames handed to the H.264 encoder.', 'counter', (c) => c.publishStats?.written ?? null);
    perCamera('segcam_publish_unsent_frames_total', 'Frames not published for want of a connection (waiting to retry).', 'counter', (c) => c.publishStats?.unsent ?? null);
    perCamera('segcam_publish_reconnects_total', 'Connections to the media server after the first.', 'counter', (c) => c.publishStats?.reconnects ?? null);
    perCamera('segcam_publish_write_seconds', "Mean time a publish write takes on the camera's frame loop (newest 120 writes).", 'gauge', (c) =>
      c.publishStats ? c.publishStats.writeMs.mean / 1000 : null,
    );
    const cams = this.cameras;
    const viewersOf = this.viewers;
    new client.Counter({
      name: 'segcam_frames_dropped_total',
      help: 'Frames dropped, by reason: capture = replaced by a newer frame before segmentation; pipe = replaced before the front could take it; viewer = a consumer was busy; publish = the H.264 encoder had not taken the previous frame.',
      labelNames: ['camera', 'reason'],
      registers: [r],
      collect() {
        this.reset();
        for (const c of cams()) {
          const k = c.counters;
          this.inc({ camera: c.name, reason: 'capture' }, k.dropped);
          this.inc({ camera: c.name, reason: 'pipe' }, k.droppedAtPipe);
          this.inc({ camera: c.name, reason: 'viewer' }, c.hub.dropped);
          if (c.publishStats) this.inc({ camera: c.name, reason: 'publish' }, c.publishStats.dropped);
        }
      },
    });
    new client.Gauge({
      name: 'segcam_viewers',
      help: 'Connected consumers by kind.',
      labelNames: ['camera', 'kind'],
      registers: [r],
      collect() {
        this.reset();
        for (const c of cams()) for (const kind of ['ws', 'mjpeg'] as const) this.set({ camera: c.name, kind }, viewersOf(c, kind));
      },
    });
    new client.Gauge({
      name: 'segcam_mask_coverage_percent',
      help: 'Percent of the frame in each range\'s mask (range="all": the whole mask), newest analysed frame.',
      labelNames: ['camera', 'range'],
      registers: [r],
      collect() {
        this.reset();
        for (const c of cams()) {
          const a = c.analysis;
          if (!a) continue;
          this.set({ camera: c.name, range: 'all' }, a.coverage);
          for (const x of a.ranges) this.set({ camera: c.name, range: x.name }, x.coverage);
        }
      },
    });
    new client.Gauge({
      name: 'segcam_mask_blobs',
      help: "Blobs in each range's mask, newest analysed frame (absent while blob finding is off).",
      labelNames: ['camera', 'range'],
      registers: [r],
      collect() {
        this.reset();
        for (const c of cams()) for (const x of c.analysis?.ranges ?? []) if (x.blobs !== undefined) this.set({ camera: c.name, range: x.name }, x.blobs);
      },
    });
    // every labelled metric below is read when scraped, from its one owner
    const labelled = <L extends string>(name: string, help: string, kind: 'counter' | 'gauge', labelNames: L[], rows: () => Row<L>[]): void => {
      const Metric = kind === 'counter' ? client.Counter : client.Gauge;
      new Metric({
        name,
        help,
        labelNames,
        registers: [r],
        collect(this: client.Counter<L> | client.Gauge<L>) {
          this.reset();
          for (const [labels, v] of rows()) {
            if (this instanceof client.Counter) this.inc(labels, v);
            else (this as client.Gauge<L>).set(labels, v);
          }
        },
      });
    };
    if (auth) {
      labelled('segcam_auth_wrong_tokens_total', 'Wrong tokens since start, by answer: delayed (then 401), or throttled (429 at once).', 'counter', ['answer'], () =>
        Object.entries(auth.wrongAnswers).map(([answer, n]): Row<'answer'> => [{ answer }, n]),
      );
      labelled('segcam_auth_guessing_addresses', 'Addresses remembered as guessing wrong tokens (bounded).', 'gauge', [], () => [[{}, auth.addresses]]);
    }
    const outs = this.outputs;
    labelled('segcam_targets', 'Targets of each region after the target filters, newest analysed frame (while blob finding is on).', 'gauge', ['camera', 'range'], () =>
      cams().flatMap((c) => (c.analysis?.targets ?? []).map((t): Row<'camera' | 'range'> => [{ camera: c.name, range: t.name }, t.targets.length])),
    );
    labelled(
      'segcam_target_offset',
      "Best target's centroid minus the crosshair, normalised to -1..1 (axis x: right is positive; y: down is positive).",
      'gauge',
      ['camera', 'range', 'axis'],
      () =>
        cams().flatMap((c) =>
          (c.analysis?.targets ?? []).flatMap((t): Row<'camera' | 'range' | 'axis'>[] => {
            const best = t.targets[0];
            return best
              ? [
                  [{ camera: c.name, range: t.name, axis: 'x' }, best.offset.nx],
                  [{ camera: c.name, range: t.name, axis: 'y' }, best.offset.ny],
                ]
              : [];
          }),
        ),
    );
    const cameraOutputs = () => [...(outs()?.cameras.values() ?? [])];
    labelled('segcam_rule_on', '1 while a rule is on.', 'gauge', ['camera', 'rule'], () =>
      cameraOutputs().flatMap((o) => o.engine.states().map((st): Row<'camera' | 'rule'> => [{ camera: o.camera.name, rule: st.name }, st.state === 'on' ? 1 : 0])),
    );
    labelled('segcam_rule_value', "A rule's newest measured value (% for coverage, a number for count).", 'gauge', ['camera', 'rule'], () =>
      cameraOutputs().flatMap((o) =>
        o.engine.states().flatMap((st): Row<'camera' | 'rule'>[] => (st.value === null ? [] : [[{ camera: o.camera.name, rule: st.name }, st.value]])),
      ),
    );
    labelled('segcam_rule_changes_total', "Changes of a rule's state since start.", 'counter', ['camera', 'rule'], () =>
      cameraOutputs().flatMap((o) => [...o.changes].map(([rule, n]): Row<'camera' | 'rule'> => [{ camera: o.camera.name, rule }, n])),
    );
    labelled('segcam_recording_active', '1 while the camera records.', 'gauge', ['camera'], () =>
      cameraOutputs().map((o) => [{ camera: o.camera.name }, o.recorder.status().recording ? 1 : 0]),
    );
    labelled('segcam_recorded_frames_total', 'Frames of recordings: written, or dropped because the disk was behind.', 'counter', ['camera', 'result'], () =>
      cameraOutputs().flatMap((o): Row<'camera' | 'result'>[] => {
        const st = o.recorder.status();
        return [
          [{ camera: o.camera.name, result: 'written' }, st.written],
          [{ camera: o.camera.name, result: 'dropped' }, st.dropped],
        ];
      }),
    );
    const mqtt = () => outs()?.mqtt?.stats() ?? null;
    labelled('segcam_mqtt_connected', '1 while connected to the MQTT broker.', 'gauge', [], () => {
      const m = mqtt();
      return m ? [[{}, m.connected ? 1 : 0]] : [];
    });
    labelled(
      'segcam_mqtt_messages_total',
      'MQTT publications: sent; dropped (broker down or too many in flight, never queued); unconfirmed (in flight when a connection closed).',
      'counter',
      ['result'],
      () => {
        const m = mqtt();
        return m ? (['sent', 'dropped', 'unconfirmed'] as const).map((k) => [{ result: k }, m[k]]) : [];
      },
    );
    labelled('segcam_mqtt_reconnects_total', 'Connections to the MQTT broker after the first.', 'counter', [], () => {
      const m = mqtt();
      return m ? [[{}, m.reconnects]] : [];
    });
    labelled('segcam_mqtt_commands_total', 'Commands taken over MQTT, by result.', 'counter', ['result'], () => {
      const m = mqtt();
      return m
        ? [
            [{ result: 'ok' }, m.commands - m.commandErrors],
            [{ result: 'error' }, m.commandErrors],
          ]
        : [];
    });
    const hooks = () => outs()?.webhooks.status() ?? [];
    labelled(
      'segcam_webhook_events_total',
      'Webhook events: sent (delivered), failed (given up), dropped (queue full), retried (attempts that were retries).',
      'counter',
      ['hook', 'result'],
      () => hooks().flatMap((h) => (['sent', 'failed', 'dropped', 'retried'] as const).map((k): Row<'hook' | 'result'> => [{ hook: h.name, result: k }, h[k]])),
    );
    labelled('segcam_webhook_queued', 'Webhook events waiting, beyond the one in flight.', 'gauge', ['hook'], () => hooks().map((h) => [{ hook: h.name }, h.queued]));
    labelled('segcam_webhook_ok', '1 when the newest delivery attempt of a hook succeeded, 0 when it failed (absent before the first).', 'gauge', ['hook'], () =>
      hooks().flatMap((h): Row<'hook'>[] => (h.ok === null ? [] : [[{ hook: h.name }, h.ok ? 1 : 0]])),
    );
    this.stageSeconds = new client.Histogram({
      name: 'segcam_stage_duration_seconds',
      help: 'Time per frame in each stage.',
      labelNames: ['camera', 'stage'],
      buckets: [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.033, 0.066, 0.133],
      registers: [r],
    });
    this.latencySeconds = new client.Histogram({
      name: 'segcam_capture_to_send_seconds',
      help: 'From capture to the frame being handed to the sockets.',
      labelNames: ['camera'],
      buckets: [0.002, 0.005, 0.01, 0.015, 0.02, 0.033, 0.05, 0.1, 0.2, 0.5],
      registers: [r],
    });
    this.timer = setInterval(() => this.sample(), 250);
    this.timer.unref();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** observe records one published frame of a camera. */
  observe(camera: string, frame: EncodedFrame): void {
    if (frame.placeholder) return;
    this.stageSeconds.observe({ camera, stage: 'segment' }, frame.timings.segment / 1000);
    this.stageSeconds.observe({ camera, stage: 'encode' }, frame.timings.encode / 1000);
    this.latencySeconds.observe({ camera }, Math.max(0, Date.now() - frame.ts) / 1000);
  }

  /** rates are a camera's frames per second per stage over the last two seconds. */
  rates(camera: string): Rates {
    const s = this.samples.get(camera) ?? [];
    const a = s[0];
    const b = s[s.length - 1];
    if (!a || !b || b.at === a.at) return { captured: 0, processed: 0, sent: 0 };
    const dt = (b.at - a.at) / 1000;
    const r = (x: number): number => Math.round(x * 10) / 10;
    return { captured: r((b.captured - a.captured) / dt), processed: r((b.processed - a.processed) / dt), sent: r((b.sent - a.sent) / dt) };
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  close(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    const now = Date.now();
    for (const c of this.cameras()) {
      const k = c.counters;
      const s = this.samples.get(c.name) ?? [];
      s.push({ at: now, captured: k.captured, processed: k.processed, sent: c.hub.sent });
      while (s.length > 2 && s[0]!.at < now - RATE_WINDOW_MS) s.shift();
      this.samples.set(c.name, s);
    }
  }

  /** cpuOf is the CPU seconds of every process a camera has had; a restart keeps the dead one's seconds. */
  private cpuOf(c: Camera): number | null {
    const before = this.cpuBefore.get(c.name) ?? { pid: 0, seconds: 0, total: 0 };
    if (!c.pid) return before.total;
    const now = processUsage(c.pid)?.cpuSeconds ?? 0;
    if (before.pid !== c.pid) this.cpuBefore.set(c.name, { pid: c.pid, seconds: before.total, total: before.total + now });
    const entry = this.cpuBefore.get(c.name)!;
    entry.total = entry.seconds + now;
    return entry.total;
  }
}
