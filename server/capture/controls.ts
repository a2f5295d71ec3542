/**
 * Camera controls (exposure, white balance, gain, focus, ...): set at every open through
 * VideoCapture.set on the V4L2 backend, with the driver's raw values (what `v4l2-ctl
 * --list-ctrls` shows; OpenCV's V4L2 backend does not rescale them by default). Each is read
 * back, and what the device accepted or refused goes into the camera's status. Sources that
 * are not cameras refuse them all, and say so. Power-line frequency has no OpenCV property: it
 * is set with `v4l2-ctl` (Debian: v4l-utils) when that is installed.
 */
import { execFileSync } from 'node:child_process';
import type { ControlReport } from '../../shared/status.js';

/** CONTROLS maps each control's name to OpenCV's property id (cv::CAP_PROP_*). */
export const CONTROLS = {
  auto_exposure: 21, // V4L2: 1 = manual, 3 = aperture priority (automatic)
  exposure: 15,
  auto_wb: 44,
  wb_temperature: 45, // K
  gain: 14,
  brightness: 10,
  contrast: 11,
  saturation: 12,
  sharpness: 20,
  gamma: 22,
  focus: 28,
  auto_focus: 39,
  zoom: 27,
  power_line_frequency: -1, // V4L2: 0 = off, 1 = 50 Hz, 2 = 60 Hz; through v4l2-ctl
} as const;
export type ControlName = keyof typeof CONTROLS;
/** CameraControls is what a camera is asked to set: a raw value per control. */
export type CameraControls = Partial<Record<ControlName, number>>;

/** Settable is the part of a VideoCapture the controls need. */
export interface Settable {
  /** OpenCV's VideoCapture.set says whether the device took it; a stand-in may say nothing */
  set(prop: number, value: number): boolean | undefined;
  get(prop: number): number;
}

/**
 * applyControls sets each control and reads it back. `device` is the V4L2 device for the
 * controls OpenCV cannot set (null for anything but a camera). `v4l2ctl` runs v4l2-ctl (a
 * parameter so that tests can see its arguments).
 */
export function applyControls(
  cap: Settable | null,
  device: string | null,
  controls: CameraControls,
  v4l2ctl: (args: string[]) => void = (args) => execFileSync('v4l2-ctl', args, { stdio: 'ignore', timeout: 2000 }),
): ControlReport {
  const report: ControlReport = {};
  for (const [name, requested] of Object.entries(controls) as [ControlName, number][]) {
    const prop = CONTROLS[name];
    if (prop < 0) {
      let accepted = false;
      if (device) {
        try {
          v4l2ctl(['-d', device, `--set-ctrl=${name}=${requested}`]);
          accepted = true;
        } catch {
          accepted = false; // no v4l2-ctl, or the device refused
        }
      }
      report[name] = { requested, accepted, actual: null };
      continue;
    }
    if (!cap) {
      report[name] = { requested, accepted: false, actual: null };
      continue;
    }
    let accepted = false;
    try {
      accepted = cap.set(prop, requested) !== false;
    } catch {
      accepted = false;
    }
    let actual: number | null = null;
    try {
      const v = cap.get(prop);
      actual = Number.isFinite(v) ? v : null;
    } catch {
      actual = null;
    }
    // a backend that ignores a property answers true or reads back 0/-1: only a matching read-back counts
    report[name] = { requested, accepted: accepted && actual !== null && Math.abs(actual - requested) < 1e-6, actual };
  }
  return report;
}

/** describeControls says in one sentence which controls were refused, or null when all took. */
export function describeControls(report: ControlReport): string | null {
  const refused = Object.entries(report).filter(([, r]) => !r.accepted);
  if (!refused.length) return null;
  return `refused: ${refused.map(([n, r]) => `${n}=${r.requested}${r.actual !== null ? ` (reads ${r.actual})` : ''}`).join(', ')}`;
}
