/**
 * The capture loop with a reader of the test's own (the real OpenCV Mats, a scripted source):
 * statuses and their reasons, placeholders while there is no picture, backoff that does not
 * restart for a source that opens and ends at once, stalls, the end of a file, and a stalled
 * read's capture closed only once that read returns.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CaptureLoop, STABLE_MS, type CaptureSink } from '../../../server/capture/capture.js';
import { OpenFailure, type FrameReader, type openSource } from '../../../server/capture/open.js';
import type { CaptureConfig } from '../../../server/config/config.js';
import { blank, cv, type Mat } from '../../../server/cv.js';
import type { SourceStatus } from '../../../shared/status.js';
import { waitFor } from '../../helpers/wait.js';

const OPTIONS: CaptureConfig = {
  width: 64,
  height: 48,
  fps: 0,
  fourcc: null,
  rtspTransport: 'tcp',
  loop: true,
  openTimeoutMs: 1000,
  stallTimeoutMs: 300,
  retry: { minMs: 50, maxMs: 400 },
  controls: {},
};
const loops: CaptureLoop[] = [];
afterEach(async () => {
  await Promise.all(loops.splice(0).map((l) => l.stop()));
});

interface Script {
  kind?: FrameReader['kind'];
  live?: boolean;
  /** frames to deliver before read() returns null, per open (Infinity: forever) */
  frames?: number;
  /** read() never resolves after this many frames (a stalled source) */
  stallAfter?: number;
}

/** harness runs a loop whose opener follows `opens` in turn: an OpenFailure to throw, or a script. */
function harness(opens: (OpenFailure | Script)[], o: Partial<CaptureConfig> = {}) {
  const statuses: SourceStatus[] = [];
  const frames: { placeholder: boolean }[] = [];
  const closed: number[] = [];
  let releaseStalled: (() => void) | null = null;
  let n = 0;
  const sink: CaptureSink = {
    wanted: () => true,
    analysing: () => false,
    offer: (m: Mat, _ts, placeholder) => {
      frames.push({ placeholder });
      m.release();
    },
    taken: () => new Promise((r) => setTimeout(r, 5)),
    log: () => undefined,
  };
  const opener: typeof openSource = async (spec) => {
    const step = opens[Math.min(n++, opens.length - 1)]!;
    const id = n;
    if (step instanceof OpenFailure) throw step;
    let left = step.frames ?? Infinity;
    let delivered = 0;
    const reader: FrameReader = {
      kind: step.kind ?? 'url',
      width: 64,
      height: 48,
      fps: 30,
      live: step.live ?? true,
      controls: null,
      read: async () => {
        if (step.stallAfter !== undefined && delivered >= step.stallAfter) {
          await new Promise<void>((r) => (releaseStalled = r));
          return blank(48, 64, cv.CV_8UC3, 0);
        }
        await new Promise((r) => setTimeout(r, 10));
        if (left-- <= 0) return null;
        delivered++;
        return blank(48, 64, cv.CV_8UC3, 0);
      },
      rewind: () => {
        left = step.frames ?? Infinity;
        return true;
      },
      setControls: () => ({}),
      close: () => closed.push(id),
    };
    return { reader, spec };
  };
  const loop = new CaptureLoop(
    { kind: 'url', url: 'rtsp://cam/x', text: 'rtsp://user:pw@cam/x' },
    { ...OPTIONS, ...o },
    sink,
    (u) => statuses.push({ ...u, since: Date.now() }),
    null,
    opener,
  );
  loops.push(loop);
  return { loop, statuses, frames, closed, release: () => releaseStalled?.() };
}

describe('CaptureLoop', () => {
  it('goes live and delivers frames; the source is shown redacted', async () => {
    const h = harness([{}]);
    await waitFor(() => h.frames.filter((f) => !f.placeholder).length >= 5);
    expect(h.statuses[0]).toMatchObject({ state: 'starting', reason: 'STARTING', source: 'rtsp://***@cam/x' });
    expect(h.statuses.find((s) => s.state === 'live')).toMatchObject({ reason: 'OK', width: 64, height: 48, fps: 30, kind: 'url' });
    expect(h.loop.captured).toBeGreaterThanOrEqual(5);
  });

  it('an open failure is retried with growing delays, its reason code kept, placeholders meanwhile', async () => {
    const fail = new OpenFailure('REFUSED', 'rtsp://cam/x: connection refused');
    const h = harness([fail, fail, fail, {}]);
    await waitFor(() => h.statuses.some((s) => s.state === 'live'), 5000);
    const waits = h.statuses.filter((s) => s.state === 'reconnecting');
    expect(waits.map((s) => [s.attempt, s.reason])).toEqual([
      [1, 'REFUSED'],
      [2, 'REFUSED'],
      [3, 'REFUSED'],
    ]);
    const delays = waits.map((s) => s.retryAt! - s.since);
    expect(delays[1]).toBeGreaterThan(delays[0]!);
    expect(delays[2]).toBeGreaterThan(delays[1]!);
    expect(h.frames.some((f) => f.placeholder)).toBe(true);
    expect(h.loop.reconnects).toBe(1);
  });

  it('a source that opens and ends at once keeps climbing the backoff', async () => {
    const h = harness([{ frames: 1 }]);
    await waitFor(() => h.statuses.filter((s) => s.state === 'reconnecting').length >= 4, 5000);
    const attempts = h.statuses.filter((s) => s.state === 'reconnecting').map((s) => s.attempt);
    expect(attempts.slice(0, 4)).toEqual([1, 2, 3, 4]);
    expect(h.statuses.filter((s) => s.state === 'reconnecting').every((s) => s.reason === 'LOST')).toBe(true);
  });

  it(`a source that stayed live for ${STABLE_MS / 1000} s starts the backoff again from the first delay`, async () => {
    const h = harness([new OpenFailure('TIMEOUT', 'no answer'), new OpenFailure('TIMEOUT', 'no answer'), { frames: Math.ceil((STABLE_MS + 400) / 10) }, { frames: 1 }]);
    await waitFor(() => h.statuses.filter((s) => s.state === 'reconnecting').length >= 3, STABLE_MS + 5000);
    expect(h.statuses.filter((s) => s.state === 'reconnecting').map((s) => s.attempt)).toEqual([1, 2, 1]);
  }, 20_000);

  it('a stalled read is given up after the stall timeout; its capture is closed only when that read returns', async () => {
    const h = harness([{ stallAfter: 3 }, {}]);
    await waitFor(() => h.statuses.some((s) => s.state === 'reconnecting'), 3000);
    expect(h.statuses.find((s) => s.state === 'reconnecting')).toMatchObject({ reason: 'STALLED', error: 'stalled: no frame for 0.3 s' });
    await waitFor(() => h.statuses.filter((s) => s.state === 'live').length >= 2, 3000); // reopened
    expect(h.closed).not.toContain(1); // the first reader's read is still in flight
    h.release();
    await waitFor(() => h.closed.includes(1), 2000);
  });

  it('a file with loop off ends, says so and shows "ended"; with loop on it rewinds', async () => {
    const once = harness([{ kind: 'file', live: false, frames: 3 }], { loop: false });
    await waitFor(() => once.statuses.some((s) => s.state === 'ended'));
    expect(once.statuses.at(-1)).toMatchObject({ state: 'ended', reason: 'ENDED', error: 'end of file' });
    await waitFor(() => once.frames.filter((f) => f.placeholder).length >= 1);
    const looped = harness([{ kind: 'file', live: false, frames: 3 }], { loop: true });
    await waitFor(() => looped.loop.captured >= 10);
    expect(looped.statuses.some((s) => s.state === 'reconnecting' || s.state === 'ended')).toBe(false);
  });
});
