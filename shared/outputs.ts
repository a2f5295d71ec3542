/**
 * What the outputs' HTTP routes answer (rules, events, recordings, models): the contract between
 * the server, which builds these, and the viewer, which reads them. Times are ms since the epoch.
 */
import type { Rule, RuleChange, RuleState } from './rules.js';
import type { View } from './settings.js';

/** RulesReport is what GET and PUT /cam/NAME/api/rules and PATCH /cam/NAME/api/rules/RULE answer. */
export interface RulesReport {
  camera: string;
  rules: Rule[];
  states: RuleState[];
  /** whether the camera analyses frames nobody watches (it does while it has an enabled rule) */
  analysing: boolean;
  /** bumped by every change of the rules' definitions or switches (the status messages carry it too) */
  revision: number;
}

/** EventsReport is what GET /cam/NAME/api/events answers: the newest changes first, `picture` where one is kept. */
export interface EventsReport {
  camera: string;
  events: (RuleChange & { picture?: string })[];
}

/** RecordingInfo is recording.json. */
export interface RecordingInfo {
  id: string;
  camera: string;
  view: View;
  /** `manual`, or `rule:NAME` for the rule that started it */
  reason: string;
  /** ms since the epoch: the capture time of its first frame (pre-roll included), or when it was started while it has none */
  started: number;
  /** ms since the epoch when it stopped; null while recording, or when the server stopped before it could finish */
  stopped: number | null;
  frames: number;
  /** bytes of JPEG */
  bytes: number;
  preRollMs: number;
  postRollMs: number;
}

/** RecordingListing is a recording as the API lists it. */
export interface RecordingListing extends RecordingInfo {
  /** being written now */
  active: boolean;
}

/** RecorderStatus for `/api/status` and `/cam/NAME/api/recordings`. */
export interface RecorderStatus {
  view: View;
  /** kept in the hub for a pre-roll: its view is encoded all the time */
  armed: boolean;
  recording: (RecordingInfo & { pending: number }) | null;
  /** the rules that are on and hold the recording */
  triggers: string[];
  ring: { frames: number; bytes: number };
  /** frames written, since start */
  written: number;
  /** frames skipped because the disk was behind, since start */
  dropped: number;
  /** failed writes, since start (each stops its recording) */
  errors: number;
}

/** RecordingsReport is what GET /cam/NAME/api/recordings answers. */
export interface RecordingsReport {
  camera: string;
  recorder: RecorderStatus;
  recordings: RecordingListing[];
}

/** ModelsReport is what GET /cam/NAME/api/models answers: the .onnx files of the models folder, and why there are none. */
export interface ModelsReport {
  camera: string;
  models: string[];
  problem?: string;
}
