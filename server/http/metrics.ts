/**
 * Prometheus metrics (prom-client): frames per stage, drops by reason, reconnects, viewers by
 * kind, stage durations, capture-to-send latency, and the segmentation's own results (mask
 * coverage and blob count per range).
 */
import client from 'prom-client';
import type { Analysis } from '../../shared/protocol.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { EncodedFrame } from '../pipeline/messages.js';
import type { Hub } from '../stream/hub.js';

const RATE_WINDOW_MS = 2000;

/** Metrics keeps the registry and a few live figures for /api/status. */
export class Metrics {
  readonly registry = new client.Registry();
  lastAnalysis: Analysis | null = null;
  private readonly stageSeconds: client.Histogram<'stage'>;
  private readonly latencySeconds: client.Histogram;
  private readonly coverage: client.Gauge<'range'>;
  private readonly blobs: client.Gauge<'range'>;
  private readonly samples: { at: number; captured: number; processed: number; sent: number }[] = [];

  constructor(pipeline: Pipeline, hub: Hub) {
    const r = this.registry;
    client.collectDefaultMetrics({ register: r, prefix: 'segcam_process_' });
    const counter = (name: string, help: string, read: () => number): void => {
      new client.Counter({
        name,
        help,
        registers: [r],
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    };
    counter('segcam_frames_captured_total', 'Frames read from the source.', () => pipeline.stats.captured);
    counter('segcam_frames_segmented_total', 'Frames segmented (only while someone watches).', () => pipeline.stats.processed);
    counter('segcam_jpeg_encodes_total', 'JPEG encodes (one per frame and watched view).', () => pipeline.stats.encodes);
    counter('segcam_frames_sent_total', 'Frames delivered to consumers (one per consumer per frame).', () => hub.sent);
    counter('segcam_reconnects_total', 'Times the source was lost and reopened.', () => pipeline.stats.reconnects);
    new client.Counter({
      name: 'segcam_frames_dropped_total',
      help: 'Frames dropped, by reason: capture = replaced by a newer frame before segmentation; viewer = a consumer was busy.',
      labelNames: ['reason'],
      registers: [r],
      collect() {
        this.reset();
        this.inc({ reason: 'capture' }, pipeline.stats.dropped);
        this.inc({ reason: 'viewer' }, hub.dropped);
      },
    });
    new client.Gauge({
      name: 'segcam_viewers',
      help: 'Connected consumers by kind.',
      labelNames: ['kind'],
      registers: [r],
      collect() {
        this.set({ kind: 'ws' }, hub.count('ws'));
        this.set({ kind: 'mjpeg' }, hub.count('mjpeg'));
      },
    });
    new client.Gauge({
      name: 'segcam_source_live',
      help: '1 while the source delivers frames.',
      registers: [r],
      collect() {
        this.set(pipeline.status.state === 'live' ? 1 : 0);
      },
    });
    this.stageSeconds = new client.Histogram({
      name: 'segcam_stage_duration_seconds',
      help: 'Time per frame in each stage.',
      labelNames: ['stage'],
      buckets: [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.033, 0.066, 0.133],
      registers: [r],
    });
    this.latencySeconds = new client.Histogram({
      name: 'segcam_capture_to_send_seconds',
      help: 'From capture to the frame being handed to the sockets.',
      buckets: [0.002, 0.005, 0.01, 0.015, 0.02, 0.033, 0.05, 0.1, 0.2, 0.5],
      registers: [r],
    });
    this.coverage = new client.Gauge({ name: 'segcam_mask_coverage_percent', help: 'Percent of the frame in each range\'s mask, newest frame.', labelNames: ['range'], registers: [r] });
    this.blobs = new client.Gauge({ name: 'segcam_mask_blobs', help: 'Blobs in each range\'s mask, newest frame (absent while blob finding is off).', labelNames: ['range'], registers: [r] });

    const sample = (): void => {
      const p = pipeline.stats;
      this.samples.push({ at: Date.now(), captured: p.captured, processed: p.processed, sent: hub.sent });
      while (this.samples.length > 2 && this.samples[0]!.at < Date.now() - RATE_WINDOW_MS) this.samples.shift();
    };
    setInterval(sample, 250).unref();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** observe records one published frame. */
  observe(frame: EncodedFrame): void {
    this.stageSeconds.observe({ stage: 'segment' }, frame.timings.segment / 1000);
    this.stageSeconds.observe({ stage: 'encode' }, frame.timings.encode / 1000);
    this.latencySeconds.observe(Math.max(0, Date.now() - frame.ts) / 1000);
    if (frame.analysis) {
      this.lastAnalysis = frame.analysis;
      this.coverage.reset();
      this.blobs.reset();
      this.coverage.set({ range: 'all' }, frame.analysis.coverage);
      for (const a of frame.analysis.ranges) {
        this.coverage.set({ range: a.name }, a.coverage);
        if (a.blobs !== undefined) this.blobs.set({ range: a.name }, a.blobs); // absent: blob finding is off
      }
    }
  }

  /** rates are frames per second per stage over the last two seconds. */
  rates(): { captured: number; processed: number; sent: number } {
    const a = this.samples[0];
    const b = this.samples[this.samples.length - 1];
    if (!a || !b || b.at === a.at) return { captured: 0, processed: 0, sent: 0 };
    const dt = (b.at - a.at) / 1000;
    const r = (x: number): number => Math.round(x * 10) / 10;
    return { captured: r((b.captured - a.captured) / dt), processed: r((b.processed - a.processed) / dt), sent: r((b.sent - a.sent) / dt) };
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
