/**
 * The probe process (`node probe.js`, the source as JSON on stdin, one JSON line out): opens a
 * network source the way the camera will (first its answer in plain Node, then OpenCV's
 * FFmpeg backend and one frame), so that a source that hangs or drips hangs here, where the
 * camera can kill it at its deadline, and never in the camera's frame loop.
 */
import { REASONS } from '../../shared/status.js';
import { precheck } from './precheck.js';
import type { ProbeResult } from './prober.js';
import { redactSource } from './source.js';

function reply(result: ProbeResult): never {
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

let input = '';
for await (const chunk of process.stdin) input += String(chunk);
const { url, deadlineMs } = JSON.parse(input) as { url: string; deadlineMs: number };
const label = redactSource(url);
const started = Date.now();

const answer = await precheck(url, deadlineMs);
if (!answer.ok) reply(answer);

const { cv } = await import('../cv.js');
let cap: InstanceType<typeof cv.VideoCapture>;
try {
  cap = new cv.VideoCapture(url, cv.CAP_FFMPEG);
} catch {
  reply({ ok: false, reason: REASONS.NO_SIGNAL, error: `${label} answered, but FFmpeg found no video stream in it` });
}
const frame = cap.read();
if (frame.empty) reply({ ok: false, reason: REASONS.NO_SIGNAL, error: `${label} opened but delivered no frame` });
const fps = cap.get(cv.CAP_PROP_FPS);
const frames = cap.get(cv.CAP_PROP_FRAME_COUNT);
reply({
  ok: true,
  width: frame.cols,
  height: frame.rows,
  fps: Number.isFinite(fps) && fps > 0 && fps < 1000 ? fps : 0,
  frames: Number.isFinite(frames) && frames > 0 ? Math.round(frames) : 0,
  openMs: Date.now() - started,
});
