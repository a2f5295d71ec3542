/**
 * What the front and a camera process say to each other over the IPC channel (types only: the
 * front imports this file and never loads OpenCV). The front sends commands; the camera sends
 * events. Frames cross as JPEG bytes plus a small header; the camera sends a frame only when
 * the one before it has left (newest wins at the pipe: a busy front never gets stale frames).
 */
import type { Analysis, TimedAnalysis } from '../../shared/protocol.js';
import type { Settings, Space, Triple, View } from '../../shared/settings.js';
import type { ControlReport, SourceStatus } from '../../shared/status.js';
import type { CameraControls } from '../capture/controls.js';
import type { SourceSpec } from '../capture/source.js';
import type { CameraConfig } from '../config/config.js';
import type { Box } from '../segment/pick.js';
import type { PublisherStats } from './publish.js';

/** CameraStart is the first command a camera process receives: who it is and what to do. */
export interface CameraStart {
  type: 'start';
  camera: CameraConfig;
  settings: Settings;
  revision: number;
  /** the views someone watches now (a restarted camera picks up where the last one was) */
  views: View[];
}

/** CameraCommand is what the front tells a camera process. */
export type CameraCommand =
  | CameraStart
  | { type: 'settings'; settings: Settings; revision: number }
  /** the views someone watches now; none = nothing encoded (and nothing segmented unless `analyse: always`) */
  | { type: 'views'; views: View[] }
  /** whether frames nobody watches are analysed (the config's `analyse`, or always while the camera has rules) */
  | { type: 'analyse'; analyse: 'watched' | 'always' }
  | { type: 'switch'; id: number; source: SourceSpec }
  | { type: 'pick'; id: number; box: Box; space: Space }
  | { type: 'controls'; id: number; controls: CameraControls }
  | { type: 'stop' };

/** EncodedView is one watched view of one frame, as a JPEG. */
export interface EncodedView {
  view: View;
  jpeg: Uint8Array;
  width: number;
  height: number;
}

/** EncodedFrame is one frame's JPEGs, one per watched view. */
export interface EncodedFrame {
  type: 'frame';
  seq: number;
  /** capture time, ms since the epoch */
  ts: number;
  /** settings revision the frame was segmented with */
  rev: number;
  placeholder: boolean;
  jpegs: EncodedView[];
  analysis: Analysis | null;
  /** JPEG encodes this frame cost (a placeholder is encoded once for every view) */
  encodes: number;
  /** ms spent on this frame: waiting in the hand-off slot, segmenting (and rendering the views), encoding */
  timings: { wait: number; segment: number; encode: number };
}

/** CameraStats are a camera's counters, sent every STATS_MS (also its sign of life). */
export interface CameraStats {
  captured: number;
  /** frames replaced by a newer one before segmentation took them */
  dropped: number;
  /** frames not sent because the one before had not yet left for the front */
  droppedAtPipe: number;
  processed: number;
  encodes: number;
  reconnects: number;
  /** Mats alive in the binding's allocator (null if it does not count) */
  liveMats: number | null;
  /** the publisher's (null: the camera publishes nowhere, or not yet: it starts once the source's first open has settled) */
  publish: PublisherStats | null;
  /** why the newest frame could not be segmented (a model file gone, say); null: it could */
  segmentError: string | null;
}

/** STATS_MS is how often a camera sends its counters. */
export const STATS_MS = 250;

/** CameraEvent is what a camera process tells the front. */
export type CameraEvent =
  | EncodedFrame
  /** a placeholder the front shows while this camera's process is down ("camera restarting") */
  | { type: 'restarting-placeholder'; jpeg: Uint8Array; width: number; height: number }
  | { type: 'status'; status: SourceStatus }
  | { type: 'stats'; stats: CameraStats }
  /** the analysis of a frame nobody watches (`analyse: always`) */
  | { type: 'analysis'; analysis: TimedAnalysis }
  | { type: 'switched'; id: number; ok: true; status: SourceStatus }
  | { type: 'switched'; id: number; ok: false; error: string }
  | { type: 'picked'; id: number; ok: true; range: { lower: Triple; upper: Triple }; samples: number }
  | { type: 'picked'; id: number; ok: false; error: string }
  | { type: 'controlled'; id: number; report: ControlReport }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };
