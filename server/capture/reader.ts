/**
 * What every opened source is to the capture loop: a FrameReader, and the OpenFailure that says
 * why one could not be opened. Apart from open.ts so that the readers of every kind (open.ts,
 * recording.ts) share them without importing each other.
 */
import type { ControlReport, Reason, SourceKind } from '../../shared/status.js';
import type { Mat } from '../cv.js';
import type { CameraControls } from './controls.js';

/** FrameReader yields frames from one opened source. */
export interface FrameReader {
  readonly kind: SourceKind;
  readonly width: number;
  readonly height: number;
  /** The source's own rate (file, camera) or the requested one (demo); 0 when unknown. */
  readonly fps: number;
  /** Live sources deliver frames in real time and are read as fast as they come; the rest are paced. */
  readonly live: boolean;
  /** What the device did with the configured controls (cameras), null when none were asked for. */
  readonly controls: ControlReport | null;
  /**
   * The next frame, or null at the end of a file or when a live source gives nothing. Decoding
   * runs on libuv's thread pool (readAsync), so it overlaps the segmentation of the previous
   * frame on this thread.
   */
  read(): Promise<Mat | null>;
  /** Back to the first frame (files, recordings); false when the source cannot seek. */
  rewind(): boolean;
  /** setControls applies camera controls now (only a camera takes them) and says what the device did. */
  setControls(controls: CameraControls): ControlReport;
  close(): void;
}

/** OpenFailure says why a source could not be opened, with its reason code. */
export class OpenFailure extends Error {
  constructor(
    readonly reason: Reason,
    message: string,
  ) {
    super(message);
  }
}
