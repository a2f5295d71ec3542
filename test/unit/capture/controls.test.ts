/**
 * Camera controls: the property ids are OpenCV's, a source that is not a camera refuses them
 * (and the report says so), a device that takes a value reads it back, and power-line frequency
 * goes through v4l2-ctl.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONTROLS, applyControls, describeControls } from '../../../server/capture/controls.js';
import { cv } from '../../../server/cv.js';
import { clipPath } from '../../helpers/fixtures.js';

describe('camera controls', () => {
  it("use OpenCV's property ids (read from its own header: the binding does not export them all)", () => {
    const header = readFileSync('/usr/include/opencv4/opencv2/videoio.hpp', 'utf8');
    const id = (name: string): number => Number(new RegExp(`CAP_PROP_${name}\\s*=\\s*(\\d+)`).exec(header)?.[1]);
    const names: Record<string, string> = {
      auto_exposure: 'AUTO_EXPOSURE',
      exposure: 'EXPOSURE',
      auto_wb: 'AUTO_WB',
      wb_temperature: 'WB_TEMPERATURE',
      gain: 'GAIN',
      brightness: 'BRIGHTNESS',
      contrast: 'CONTRAST',
      saturation: 'SATURATION',
      sharpness: 'SHARPNESS',
      gamma: 'GAMMA',
      focus: 'FOCUS',
      auto_focus: 'AUTOFOCUS',
      zoom: 'ZOOM',
    };
    for (const [k, v] of Object.entries(names)) expect(CONTROLS[k as keyof typeof CONTROLS], k).toBe(id(v));
    expect(CONTROLS.exposure).toBe(cv.CAP_PROP_EXPOSURE);
  });

  it('a file (no camera here) refuses them, and the report says what it read back', () => {
    const cap = new cv.VideoCapture(clipPath('small'), cv.CAP_FFMPEG);
    try {
      const report = applyControls(cap, null, { exposure: 100, gain: 5, power_line_frequency: 1 });
      expect(report.exposure).toMatchObject({ requested: 100, accepted: false });
      expect(report.gain).toMatchObject({ requested: 5, accepted: false });
      expect(report.power_line_frequency).toEqual({ requested: 1, accepted: false, actual: null }); // not a V4L2 device
      expect(describeControls(report)).toMatch(/^refused: exposure=100.*gain=5.*power_line_frequency=1/);
    } finally {
      cap.release();
    }
    expect(applyControls(null, null, { focus: 3 })).toEqual({ focus: { requested: 3, accepted: false, actual: null } });
  });

  it('a device that takes a value and reads it back is accepted; power-line frequency goes to v4l2-ctl', () => {
    const values = new Map<number, number>();
    const device = {
      set: (p: number, v: number) => {
        values.set(p, v);
        return true;
      },
      get: (p: number) => values.get(p) ?? 0,
    };
    const calls: string[][] = [];
    const report = applyControls(device, '/dev/video0', { exposure: 150, power_line_frequency: 2 }, (args) => calls.push(args));
    expect(report.exposure).toEqual({ requested: 150, accepted: true, actual: 150 });
    expect(report.power_line_frequency).toEqual({ requested: 2, accepted: true, actual: null });
    expect(calls).toEqual([['-d', '/dev/video0', '--set-ctrl=power_line_frequency=2']]);
    expect(describeControls(report)).toBeNull();
    // a backend that says yes but reads back something else did not take it
    const liar = { set: () => true, get: () => -1 };
    expect(applyControls(liar, null, { gain: 4 }).gain).toEqual({ requested: 4, accepted: false, actual: -1 });
  });
});
