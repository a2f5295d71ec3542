/**
 * What a camera is doing, as every client sees it: its state, a stable reason code beside the
 * sentence (so that a client can branch on it), and the summary `GET /api/cameras` lists.
 * Pure types and constants, imported by the server, the camera processes and the browser.
 */

/** CAMERA_NAME is what a camera may be called: it appears in URLs, file names and metric labels. */
export const CAMERA_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** DEFAULT_CAMERA is the name of the camera `--source` configures. */
export const DEFAULT_CAMERA = 'main';

/** SOURCE_STATES: opening, delivering, waiting to retry, gone for good, played to its end, or its process restarting. */
export const SOURCE_STATES = ['starting', 'live', 'reconnecting', 'offline', 'ended', 'restarting'] as const;
export type SourceState = (typeof SOURCE_STATES)[number];

/**
 * REASONS are the stable codes beside each status sentence. `OK` is the only one of a live
 * source; every other names why there is no picture.
 */
export const REASONS = {
  OK: 'OK',
  STARTING: 'STARTING', // opening the source
  NO_DEVICE: 'NO_DEVICE', // no camera at that index or device
  NOT_FOUND: 'NOT_FOUND', // no such file, host or stream
  REFUSED: 'REFUSED', // the host refused the connection
  UNAUTHORIZED: 'UNAUTHORIZED', // the source wants credentials it was not given (or others)
  TIMEOUT: 'TIMEOUT', // no answer within the open timeout
  NO_SIGNAL: 'NO_SIGNAL', // it answered, but gave no picture
  STALLED: 'STALLED', // it was live, then no frame for the stall timeout
  LOST: 'LOST', // the stream ended or broke
  ENDED: 'ENDED', // a file played to its end (loop off)
  RESTARTING: 'RESTARTING', // the camera's process is being restarted
  STOPPED: 'STOPPED',
} as const;
export type Reason = (typeof REASONS)[keyof typeof REASONS];

/**
 * SourceKind is what a source is, as viewers are told: a `file` is a video file, a `recording`
 * a recording segcam made (played at its recorded pace), a `still` one image shown over and over.
 */
export type SourceKind = 'camera' | 'url' | 'file' | 'recording' | 'still' | 'demo';

/** ControlReport says what a camera did with each control it was asked to set. */
export type ControlReport = Record<string, { requested: number; accepted: boolean; actual: number | null }>;

/** SourceStatus describes a camera's source as viewers should see it. */
export interface SourceStatus {
  state: SourceState;
  reason: Reason;
  /** The source as given, with credentials redacted. */
  source: string;
  kind: SourceKind;
  width?: number;
  height?: number;
  fps?: number;
  /** Reconnect attempt number (1 = first retry). */
  attempt?: number;
  /** Epoch ms of the next attempt. */
  retryAt?: number;
  /** One sentence: why there is no picture. */
  error?: string;
  /** Epoch ms since when this state holds. */
  since: number;
  /** Camera controls (exposure, white balance, ...) as the device took them, after the last open. */
  controls?: ControlReport;
}

/** CameraSummary is one camera as `GET /api/cameras` lists it. */
export interface CameraSummary {
  name: string;
  state: SourceState;
  reason: Reason;
  error?: string;
  /** redacted */
  source: string;
  kind: SourceKind;
  width: number | null;
  height: number | null;
  fps: number | null;
  viewers: number;
  /** pid of the camera's process, null while it restarts */
  pid: number | null;
  /** times the camera's process was restarted */
  restarts: number;
  /** percent of the newest analysed frame in the mask, and when that frame was captured */
  coverage: number | null;
  analysedAt: number | null;
}
