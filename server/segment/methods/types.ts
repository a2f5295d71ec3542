/**
 * The contract every segmentation method implements: a frame in, region masks out. A method
 * only finds regions; the common stages (blur before it, then motion gate, cleanup, zones,
 * analysis, targets and views on what it finds) are the pipeline's, the same for every method.
 */
import type { Method } from '../../../shared/methods.js';
import type { Mat } from '../../cv.js';

/**
 * Region is one range, class or cluster a method found in a frame: its name (the key of its
 * analysis and metrics, the same list every frame), its overlay colour (`#rrggbb`) and its mask
 * (8-bit, 0 or 255, the frame's size). The caller owns the mask and releases it.
 */
export interface Region {
  name: string;
  color: string;
  mask: Mat;
}

/**
 * MethodInfo is what a method reports about how it segmented a frame: Otsu's chosen level (0..255);
 * each cluster's index, colour (B, G, R 0..255) and coverage (% of the picture); the model's
 * inference rate (inferences per second, 0 before the second) and the age of the mask in use
 * (ms since the frame it was computed from was given to `apply`; -1 while there is none yet).
 */
export type MethodInfo = {
  otsuLevel?: number;
  clusters?: { index: number; bgr: [number, number, number]; coverage: number }[];
  model?: { fps: number; age: number };
};

/**
 * MethodResult is one frame's segmentation: `mask` is the union of the regions' masks (a Mat
 * of its own, never one of theirs), and the caller releases `mask` and every region's mask.
 */
export interface MethodResult {
  mask: Mat;
  regions: Region[];
  info?: MethodInfo;
}

/**
 * Segmenter is one method's running state. Lifecycle: created for a method by createSegmenter;
 * `apply` once per frame (BGR, CV_8UC3; a frame's size may change between calls); `update` when
 * the settings change, with a method of the same kind (a new kind needs a new segmenter: update
 * throws); `release` once, after which it may not be used. `apply` never keeps the frame.
 */
export interface Segmenter {
  readonly kind: Method['kind'];
  update(method: Method): void;
  apply(frame: Mat): MethodResult;
  release(): void;
  /** why it cannot do its work now while frames still pass (a model that failed to load, say), or null */
  problem?(): string | null;
}

/** SegmenterDeps is what a segmenter may need from its camera: where model files are (null = none), and a log line writer. */
export interface SegmenterDeps {
  modelsDir: string | null;
  log: (message: string) => void;
}

/** checkKind throws when `update` is given a method of another kind than the segmenter's. */
export function checkKind<K extends Method['kind']>(kind: K, method: Method): asserts method is Extract<Method, { kind: K }> {
  if (method.kind !== kind) throw new Error(`a ${kind} segmenter cannot take a ${method.kind} method: create a new segmenter`);
}
