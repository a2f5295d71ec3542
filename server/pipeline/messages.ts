/**
 * Messages between the main thread and the pipeline worker (the one thread that runs OpenCV).
 */
import type { Analysis, SourceStatus } from '../../shared/protocol.js';
import type { Settings, Space, Triple, View } from '../../shared/settings.js';
import type { CaptureOptions } from '../capture/capture.js';
import type { SourceSpec } from '../capture/source.js';
import type { Box } from '../segment/pick.js';

/** PipelineWorkerData starts the worker. */
export interface PipelineWorkerData {
  capture: CaptureOptions;
  settings: Settings;
  source: SourceSpec;
}

/** PipelineCommand is what the main thread tells the worker. */
export type PipelineCommand =
  | { type: 'settings'; settings: Settings }
  /** the views someone watches now; none = no segmentation or encoding at all */
  | { type: 'views'; views: View[] }
  | { type: 'switch'; id: number; source: SourceSpec }
  | { type: 'pick'; id: number; box: Box; space: Space }
  | { type: 'stop' };

/** EncodedFrame is one frame's JPEGs (buffers transferred), one per watched view. */
export interface EncodedFrame {
  type: 'frame';
  seq: number;
  /** capture time, ms since the epoch */
  ts: number;
  placeholder: boolean;
  /** one JPEG per watched view, with its own size (`side` is twice as wide) */
  jpegs: { view: View; jpeg: Uint8Array; width: number; height: number }[];
  analysis: Analysis | null;
  /** JPEG encodes this frame cost (a placeholder is encoded once for every view) */
  encodes: number;
  /** ms spent on this frame: waiting in the hand-off slot, segmenting (and rendering the views), encoding */
  timings: { wait: number; segment: number; encode: number };
}

/** WorkerStats are the worker's counters, sent every tick (also the liveness signal). */
export interface WorkerStats {
  captured: number;
  /** frames replaced by a newer one before segmentation took them */
  dropped: number;
  processed: number;
  encodes: number;
  reconnects: number;
  /** Mats alive in the binding's allocator (null if it does not count) */
  liveMats: number | null;
}

/** PipelineEvent is what the worker tells the main thread. */
export type PipelineEvent =
  | EncodedFrame
  | { type: 'status'; status: SourceStatus }
  | { type: 'stats'; stats: WorkerStats }
  | { type: 'switched'; id: number; ok: true }
  | { type: 'switched'; id: number; ok: false; error: string }
  | { type: 'picked'; id: number; ok: true; range: { lower: Triple; upper: Triple }; samples: number }
  | { type: 'picked'; id: number; ok: false; error: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };
