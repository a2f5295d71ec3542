/**
 * The pipeline thread: the one thread that runs OpenCV (the binding cannot be used from two
 * threads of one process). Capture decodes on libuv's pool while this thread segments and
 * encodes the previous frame, so a single stream keeps both cores busy. Between the two stages
 * is a one-frame slot where the newest frame wins; frames it replaces are released and counted.
 * While nobody watches, frames are read (the source stays connected) but never segmented or
 * encoded.
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
let slot: { frame: Mat; ts: number; placeholder: boolean; offeredAt: number } | null = null;
let scheduled = false;
let takenWaiters: (() => void)[] = [];
let lastOriginal: Mat | null = null; // the newest camera frame, kept for pick-by-click
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
 * segments and encodes the frame it took: decode and segmentation overlap on the two cores.
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
      if (views.length > 0) segmentAndEncode(taken);
    } catch (e) {
      emit({ type: 'log', level: 'error', message: `segmentation failed: ${(e as Error).message}` });
    } finally {
      if (lastOriginal !== taken.frame) taken.frame.release();
      scheduled = false;
      schedule();
    }
  });
}

function segmentAndEncode({ frame, ts, placeholder, offeredAt }: NonNullable<typeof slot>): void {
  const t0 = performance.now();
  const jpegs: EncodedFrame['jpegs'] = [];
  let encodes = 0;
  let analysis: EncodedFrame['analysis'] = null;
  let t1 = t0;
  if (placeholder) {
    // a placeholder is the same picture in every view: encode it once
    const jpeg = encodeJpeg(frame, settings.quality);
    encodes = 1;
    t1 = performance.now();
    for (const view of views) jpegs.push({ view, jpeg, width: frame.cols, height: frame.rows });
  } else {
    const seg = segmentFrame(frame, settings, motion);
    analysis = seg.analysis;
    t1 = performance.now();
    for (const view of views) {
      const image = renderer.render(view, frame, seg.mask, seq);
      jpegs.push({ view, jpeg: encodeJpeg(image, settings.quality), width: image.cols, height: image.rows });
      encodes++;
    }
    seg.mask.release();
    lastOriginal?.release();
    lastOriginal = frame; // kept (not released) until the next camera frame
  }
  const t2 = performance.now();
  counters.processed++;
  counters.encodes += encodes;
  const msg: EncodedFrame = {
    type: 'frame',
    seq: seq++,
    ts,
    placeholder,
    jpegs,
    analysis,
    encodes,
    timings: { wait: t0 - offeredAt, segment: t1 - t0, encode: t2 - t1 },
  };
  const transfer = placeholder ? [] : jpegs.map((j) => j.jpeg.buffer as ArrayBuffer).filter((b, i) => jpegs[i]!.jpeg.byteLength === b.byteLength);
  emit(msg, transfer);
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
