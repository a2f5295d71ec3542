/**
 * The pipeline thread: the one thread that runs OpenCV (the binding cannot be used from two
 * threads of one process). Two stages overlap so that a single stream keeps both cores busy:
 * capture decodes frame N+1 on libuv's pool while this thread segments and encodes frame N.
 * (Encoding on the pool as well, overlapping the next frame's segmentation, was measured
 * against this, A/B at 1280x720 and 1920x1080 on two cores: 0-9% more CPU per frame, 5%
 * typically, for 2% fewer to 7% more frames unpaced, and no more frames at a camera's pace.)
 * Between the stages is a one-frame slot where the newest frame wins; frames it replaces are
 * released and counted. While nobody watches, frames are read (the source stays connected) but
 * never segmented or encoded.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SourceStatus } from '../../shared/protocol.js';
import type { Settings, View } from '../../shared/settings.js';
import { CaptureLoop, openSource, type CaptureSink } from '../capture/capture.js';
import { OpenError } from '../capture/open.js';
import { redactSource } from '../capture/source.js';
import { cv, type Mat } from '../cv.js';
import { encodeJpeg } from '../encode.js';
import { MotionDetector } from '../segment/motion.js';
import { proposeRange, sampleBox } from '../segment/pick.js';
import { segmentFrame } from '../segment/segment.js';
import { ViewRenderer } from '../segment/views.js';
import type { EncodedFrame, PipelineCommand, PipelineEvent, PipelineWorkerData } from './messages.js';

const STATS_MS = 250;
const data = workerData as PipelineWorkerData;
const parent = parentPort!;
if (process.env.SEGCAM_CV_THREADS) cv.setNumThreads(Number(process.env.SEGCAM_CV_THREADS)); // for measurements

let settings: Settings = data.settings;
let views: View[] = [];
let seq = 0;
/** Taken is a frame in the hand-off slot: capture time, and when it was offered (ms, performance clock). */
interface Taken {
  frame: Mat;
  ts: number;
  placeholder: boolean;
  offeredAt: number;
}
let slot: Taken | null = null;
let scheduled = false;
let takenWaiters: (() => void)[] = [];
let lastOriginal: Mat | null = null; // the newest camera frame, kept for pick-by-click
let stopping = false;
const counters = { dropped: 0, processed: 0, encodes: 0, reconnectsBefore: 0, capturedBefore: 0 };
const motion = new MotionDetector();
const renderer = new ViewRenderer();

function emit(ev: PipelineEvent, transfer: ArrayBuffer[] = []): void {
  parent.postMessage(ev, transfer);
}

const sink: CaptureSink = {
  wanted: () => views.length > 0,
  offer(frame, ts, placeholder) {
    if (slot) {
      slot.frame.release();
      if (views.length > 0) counters.dropped++; // unwatched frames are not losses
    }
    slot = { frame, ts, placeholder, offeredAt: performance.now() };
    schedule();
  },
  taken() {
    if (!slot) return Promise.resolve();
    return new Promise((resolve) => takenWaiters.push(resolve));
  },
  status: (status: SourceStatus) => emit({ type: 'status', status }),
  log: (level, message) => emit({ type: 'log', level, message }),
};

let capture = new CaptureLoop(data.source, data.capture, sink);

function schedule(): void {
  if (scheduled || !slot || views.length === 0) return;
  scheduled = true;
  setImmediate(takeSlot);
}

/**
 * takeSlot empties the slot, lets the capture loop start reading the next frame (its
 * continuation runs as a microtask, dispatching the decode to libuv's pool), and only then
 * processes the frame it took: decode and segmentation overlap on the two cores.
 */
function takeSlot(): void {
  const taken = slot;
  slot = null;
  const waiters = takenWaiters;
  takenWaiters = [];
  waiters.forEach((w) => w());
  if (!taken) {
    scheduled = false;
    return;
  }
  setImmediate(() => {
    try {
      processFrame(taken);
    } catch (e) {
      emit({ type: 'log', level: 'error', message: `processing a frame failed: ${(e as Error).message}` });
    } finally {
      scheduled = false;
      schedule();
    }
  });
}

/** processFrame segments a frame, renders the watched views and encodes them. */
function processFrame(taken: Taken): void {
  const { frame } = taken;
  let mask: Mat | null = null;
  let kept = false; // the frame becomes lastOriginal once it has been rendered
  try {
    if (views.length === 0 || stopping) return;
    if (taken.placeholder) {
      encodePlaceholder(taken);
      return;
    }
    const t0 = performance.now();
    const seg = segmentFrame(frame, settings, motion);
    mask = seg.mask;
    const frameSeq = seq++;
    const images = views.map((view) => ({ view, image: renderer.render(view, frame, seg.mask, frameSeq) }));
    lastOriginal?.release();
    lastOriginal = frame; // kept (not released) until the next camera frame
    kept = true;
    const t1 = performance.now();
    const jpegs = images.map(({ view, image }) => ({ view, jpeg: encodeJpeg(image, settings.quality), width: image.cols, height: image.rows }));
    send({ seq: frameSeq, ts: taken.ts, placeholder: false, jpegs, analysis: seg.analysis, encodes: jpegs.length }, taken.offeredAt, t0, t1);
  } finally {
    mask?.release();
    if (!kept) frame.release();
  }
}

/** encodePlaceholder: a placeholder is the same picture in every view, encoded once. */
function encodePlaceholder({ frame, ts, offeredAt }: Taken): void {
  const t0 = performance.now();
  const jpeg = encodeJpeg(frame, settings.quality);
  const jpegs = views.map((view) => ({ view, jpeg, width: frame.cols, height: frame.rows }));
  send({ seq: seq++, ts, placeholder: true, jpegs, analysis: null, encodes: 1 }, offeredAt, t0, t0);
}

/** send hands a frame's JPEGs to the main thread (moved, not copied, when each has its own buffer). */
function send(f: Omit<EncodedFrame, 'type' | 'timings'>, offeredAt: number, t0: number, t1: number): void {
  counters.processed++;
  counters.encodes += f.encodes;
  const timings = { wait: t0 - offeredAt, segment: t1 - t0, encode: performance.now() - t1 };
  // each buffer once (a placeholder's views share one), and only buffers no other data shares
  const own = [...new Set(f.jpegs.map((j) => j.jpeg))].filter((jpeg) => jpeg.byteLength === jpeg.buffer.byteLength);
  emit({ type: 'frame', ...f, timings }, own.map((jpeg) => jpeg.buffer as ArrayBuffer));
}

async function switchTo(id: number, source: PipelineWorkerData['source']): Promise<void> {
  let opened;
  try {
    opened = openSource(source, data.capture, sink); // sync: a probe that must succeed first
  } catch (e) {
    const error = e instanceof OpenError ? e.message : `cannot open ${redactSource(source.text)}: ${(e as Error).message ?? String(e)}`;
    emit({ type: 'switched', id, ok: false, error });
    return;
  }
  const old = capture;
  counters.capturedBefore += old.captured;
  counters.reconnectsBefore += old.reconnects;
  capture = new CaptureLoop(opened.spec, data.capture, sink, opened.reader);
  void old.stop();
  motion.reset();
  emit({ type: 'switched', id, ok: true });
}

parent.on('message', (cmd: PipelineCommand) => {
  switch (cmd.type) {
    case 'settings':
      settings = cmd.settings;
      if (settings.motion.mode === 'off') motion.reset();
      break;
    case 'views':
      views = cmd.views;
      schedule();
      break;
    case 'switch':
      void switchTo(cmd.id, cmd.source);
      break;
    case 'pick':
      if (!lastOriginal) {
        emit({ type: 'picked', id: cmd.id, ok: false, error: 'no camera frame to sample yet' });
        break;
      }
      try {
        const samples = sampleBox(lastOriginal, cmd.box, cmd.space);
        emit({ type: 'picked', id: cmd.id, ok: true, range: proposeRange(samples, cmd.space), samples: samples.length / 3 });
      } catch (e) {
        emit({ type: 'picked', id: cmd.id, ok: false, error: (e as Error).message });
      }
      break;
    case 'stop':
      stopping = true;
      void capture.stop().finally(() => {
        clearInterval(ticker);
        slot?.frame.release();
        lastOriginal?.release();
        renderer.release();
        parent.close();
      });
      break;
  }
});

const ticker = setInterval(() => {
  const m = cv.isCustomMatAllocatorEnabled() ? cv.getMemMetrics() : null;
  emit({
    type: 'stats',
    stats: {
      captured: counters.capturedBefore + capture.captured,
      dropped: counters.dropped,
      processed: counters.processed,
      encodes: counters.encodes,
      reconnects: counters.reconnectsBefore + capture.reconnects,
      liveMats: m ? m.NumAllocations - m.NumDeAllocations : null,
    },
  });
}, STATS_MS);
