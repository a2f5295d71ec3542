/**
 * Publishing one view of a camera to a media server (MediaMTX, go2rtc, a GStreamer RTSP server
 * in RECORD mode...) as H.264 over RTSP ANNOUNCE/RECORD, from the camera process.
 *
 * The encoder is an `ffmpeg` child reading raw BGR frames on its stdin: libx264 with
 * ultrafast/zerolatency (no B-frames, no lookahead: a frame leaves as soon as it is encoded), a
 * keyframe at least every `keyframeS` (by time, so a camera slower than its declared rate
 * still sends one every second), wall-clock timestamps (a camera's rate wanders; the stream
 * keeps real time), RTSP over TCP. OpenCV's VideoWriter with a GStreamer pipeline
 * (appsrc ! x264enc ! rtspclientsink) publishes as well, and writes cheaply, but it tells
 * JavaScript nothing when the media server goes away: the failure is only a warning GStreamer
 * prints, writes go on "succeeding" into a dead pipeline, and so it can never know to
 * reconnect. A child process that exits when its connection breaks can: the exit is the signal,
 * and the next frame after a backoff starts a new one.
 *
 * `write` never blocks the frame loop for long: it converts the frame to I420 (what the encoder
 * takes, half the bytes of BGR, so half the copying through the pipe; on the OpenCV thread
 * alone, as every colour conversion here) and hands the bytes to the encoder thread
 * (encoder-thread.ts), which runs the ffmpeg children and writes into their pipes on an event
 * loop of its own, so that a frame reaches ffmpeg however busy the frame loop is. When ffmpeg
 * has not yet taken the previous frame, `write` drops this one (counted) instead of queueing
 * it, so at most one frame waits. A child that connects no further (a server that accepts and
 * never answers) or takes no frame for a while (a server that stopped reading) is killed and
 * started again after the backoff.
 */
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { backoffDelay } from '../capture/backoff.js';
import { redactSource, redactUrls } from '../capture/source.js';
import { cv, onOneThread, type Mat } from '../cv.js';
import type { EncoderThreadData, ThreadCommand, ThreadEvent } from './encoder-thread.js';

/** ENCODER_THREAD is the built encoder thread beside this module (tests that run from the sources pass dist's). */
export const ENCODER_THREAD = new URL('./encoder-thread.js', import.meta.url);

/** STABLE_MS a connection must last before the backoff starts again from its first delay. */
export const STABLE_MS = 5000;

/** COST_WINDOW is how many of the newest writes `stats().writeMs` is taken over. */
const COST_WINDOW = 120;

/** CONNECTED matches the line ffmpeg prints once the RTSP server has taken the stream (ANNOUNCE, SETUP and RECORD answered). */
const CONNECTED = /^Output #0, rtsp/;

/** PublisherOptions. Times in ms. */
export interface PublisherOptions {
  /** rtsp:// or rtsps:// URL to publish to (credentials in the URL are sent, and redacted wherever shown) */
  url: string;
  /** frames per second the camera delivers (the encoder's nominal rate; timestamps are wall clock) */
  fps: number;
  /** target bitrate, kbit/s (default: none, x264's constant quality) */
  bitrateKbps?: number;
  /** at most this many s between keyframes (default 1) */
  keyframeS?: number;
  /** default tcp */
  transport?: 'tcp' | 'udp';
  /** backoff between attempts (default 1000..30000) */
  retry?: { minMs: number; maxMs: number };
  /** a child that has not connected within this is killed (default 10000) */
  connectTimeoutMs?: number;
  /** a child that takes no frame for this long, while frames come, is killed (default 5000) */
  stallTimeoutMs?: number;
  /** the ffmpeg to run (default `ffmpeg` on the PATH) */
  ffmpeg?: string;
  /** the encoder thread's script (default ENCODER_THREAD) */
  thread?: URL | string;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** PublisherState: no child yet; child started, not yet taken by the server; publishing; waiting to retry; closed. */
export type PublisherState = 'idle' | 'connecting' | 'publishing' | 'waiting' | 'closed';

/** PublisherStats for the camera's status and metrics. */
export interface PublisherStats {
  /** redacted */
  url: string;
  state: PublisherState;
  /** ms since the epoch since when it is in this state */
  since: number;
  /** frames handed to the encoder */
  written: number;
  /** frames dropped because the encoder had not taken the one before */
  dropped: number;
  /** frames not sent because there was no connection (waiting to retry) */
  unsent: number;
  /** connections made after the first */
  reconnects: number;
  /** failed attempts in a row (0 while publishing) */
  attempt: number;
  /** ms since the epoch of the next attempt while waiting */
  retryAt: number | null;
  lastError: string | null;
  /** the size being encoded, even (null before the first frame) */
  width: number | null;
  height: number | null;
  /** ms a write took on the calling thread, over the newest writes (the pipe goes on taking the rest of the frame in the event loop) */
  writeMs: { mean: number; max: number };
  /** the ffmpeg child's pid, for its CPU and memory (null while there is none) */
  pid: number | null;
}

/**
 * encodedSize is the size published for a picture: H.264 in 4:2:0 (what every player takes)
 * needs even sides, so an odd last row or column is cropped off.
 */
export function encodedSize(width: number, height: number): { width: number; height: number } {
  return { width: width & ~1, height: height & ~1 };
}

/** ffmpegArgs returns the ffmpeg command line for one encoded size (exported for the tests and the README). */
export function ffmpegArgs(o: Pick<PublisherOptions, 'url' | 'fps' | 'bitrateKbps' | 'keyframeS' | 'transport'>, width: number, height: number): string[] {
  const fps = o.fps > 0 ? o.fps : 30;
  const k = Math.min(1, o.keyframeS ?? 1);
  const rate = o.bitrateKbps
    ? ['-b:v', `${o.bitrateKbps}k`, '-maxrate', `${o.bitrateKbps}k`, '-bufsize', `${Math.max(1, Math.round(o.bitrateKbps / 2))}k`] // half a second of buffer: low latency
    : [];
  return [
    ...['-hide_banner', '-nostats', '-loglevel', 'info', '-nostdin'],
    ...['-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${width}x${height}`, '-framerate', String(fps), '-use_wallclock_as_timestamps', '1', '-i', 'pipe:0'],
    ...['-an', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-bf', '0'],
    ...['-g', String(Math.max(1, Math.round(fps * k))), '-force_key_frames', `expr:if(isnan(prev_forced_t),1,gte(t-prev_forced_t,${k}))`],
    ...rate,
    ...['-fps_mode', 'passthrough', '-f', 'rtsp', '-rtsp_transport', o.transport ?? 'tcp', o.url],
  ];
}

/** EncoderThread is the publisher's side of its encoder thread: one thread for all its children, started again if it dies. */
class EncoderThread {
  dead = false;
  private readonly worker: Worker;
  private readonly inFlight = new Int32Array(new SharedArrayBuffer(4));
  private readonly children = new Map<number, EncoderChild>();
  private nextId = 1;

  constructor(script: URL | string) {
    const data: EncoderThreadData = { inFlight: this.inFlight.buffer as SharedArrayBuffer };
    this.worker = new Worker(script, { workerData: data });
    this.worker.on('message', (ev: ThreadEvent) => this.children.get(ev.id)?.onEvent(ev));
    let failure = '';
    this.worker.on('error', (e) => (failure = `: ${e.message}`)); // its exit follows
    this.worker.on('exit', (code) => {
      this.dead = true;
      for (const c of [...this.children.values()]) c.onEvent({ type: 'exit', id: c.id, why: `the encoder thread stopped (code ${code})${failure}` });
    });
  }

  spawn(command: string, args: string[]): EncoderChild {
    const child = new EncoderChild(this.nextId++, this);
    this.children.set(child.id, child);
    this.post({ type: 'spawn', id: child.id, command, args });
    return child;
  }

  /** busy: the thread is still writing a frame of this child */
  busy(id: number): boolean {
    return Atomics.load(this.inFlight, 0) === id;
  }

  frame(id: number, data: Uint8Array): void {
    Atomics.store(this.inFlight, 0, id);
    // the bytes move to the thread when they are a whole buffer of their own (getData's are), else they are copied
    const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer;
    this.worker.postMessage({ type: 'frame', id, data } satisfies ThreadCommand, whole ? [data.buffer as ArrayBuffer] : []);
  }

  post(cmd: ThreadCommand): void {
    if (!this.dead) this.worker.postMessage(cmd);
  }

  forget(id: number): void {
    this.children.delete(id);
  }

  async close(): Promise<void> {
    this.dead = true;
    this.children.clear();
    await this.worker.terminate();
  }
}

/** EncoderChild is one ffmpeg child, run by the encoder thread: `stderr` passes on its output, `exit` says why it ended. */
class EncoderChild extends EventEmitter<{ stderr: [string]; exit: [string] }> {
  pid: number | null = null;
  exited = false;
  ended = false;

  constructor(
    readonly id: number,
    private readonly thread: EncoderThread,
  ) {
    super();
  }

  /** busy: the previous frame has not yet gone into ffmpeg's pipe */
  get busy(): boolean {
    return this.thread.busy(this.id);
  }

  write(data: Uint8Array): void {
    this.thread.frame(this.id, data);
  }

  /** end closes ffmpeg's input: it finishes the stream and exits */
  end(): void {
    if (this.ended || this.exited) return;
    this.ended = true;
    this.thread.post({ type: 'end', id: this.id });
  }

  kill(): void {
    if (!this.exited) this.thread.post({ type: 'kill', id: this.id });
  }

  onEvent(ev: ThreadEvent): void {
    if (ev.type === 'spawned') this.pid = ev.pid;
    else if (ev.type === 'stderr') this.emit('stderr', ev.text);
    else if (!this.exited) {
      this.exited = true;
      this.pid = null;
      this.thread.forget(this.id);
      this.emit('exit', ev.why);
    }
  }
}

/** Publisher publishes the frames it is given to one RTSP URL, reconnecting for ever. */
export class Publisher {
  private proc: EncoderChild | null = null;
  private thread: EncoderThread | null = null;
  private state: PublisherState = 'idle';
  private since = Date.now();
  private size: { width: number; height: number } | null = null;
  private connectedAt: number | null = null;
  private connectTimer: NodeJS.Timeout | null = null;
  private busySince: number | null = null;
  private everConnected = false;
  private retryAt: number | null = null;
  private lastError: string | null = null;
  private attempt = 0;
  private readonly costs: number[] = [];
  private readonly counters = { written: 0, dropped: 0, unsent: 0, reconnects: 0 };
  private readonly label: string;
  private exited: Promise<void> = Promise.resolve();

  constructor(private readonly o: PublisherOptions) {
    if (!/^rtsps?:\/\//i.test(o.url)) throw new Error(`cannot publish to ${redactSource(o.url)}: use an rtsp:// or rtsps:// URL`);
    this.label = redactSource(o.url);
  }

  /**
   * write publishes one BGR frame. It copies the pixels before it returns (the caller keeps and
   * releases the Mat), and never waits for the encoder or the network.
   */
  write(frame: Mat): void {
    if (this.state === 'closed') return;
    const t0 = performance.now();
    try {
      if (this.state === 'waiting') {
        if (Date.now() < this.retryAt!) {
          this.counters.unsent++;
          return;
        }
        this.setState('idle');
      }
      if (this.proc && this.size && (frame.cols !== this.size.width || frame.rows !== this.size.height)) {
        // the source changed size: the encoder starts again at the new one, at once
        this.log('info', `publishing to ${this.label}: the picture is now ${frame.cols}x${frame.rows}; restarting the encoder`);
        this.stopChild('end');
      }
      if (!this.proc) this.spawnChild(frame.cols, frame.rows);
      const proc = this.proc;
      if (!proc || proc.ended || proc.exited) {
        this.counters.unsent++;
        return;
      }
      if (proc.busy) {
        this.counters.dropped++;
        const now = Date.now();
        this.busySince ??= now;
        if (now - this.busySince > (this.o.stallTimeoutMs ?? 5000))
          this.fail(`ffmpeg took no frame for ${((now - this.busySince) / 1000).toFixed(1)} s (the server stopped reading?)`);
        return;
      }
      this.busySince = null;
      const { width, height } = encodedSize(frame.cols, frame.rows);
      const region = width === frame.cols && height === frame.rows ? frame : frame.getRegion(new cv.Rect(0, 0, width, height));
      const yuv = onOneThread(() => region.cvtColor(cv.COLOR_BGR2YUV_I420));
      try {
        proc.write(yuv.getData());
      } finally {
        yuv.release();
        if (region !== frame) region.release();
      }
      this.counters.written++;
    } finally {
      this.costs.push(performance.now() - t0);
      if (this.costs.length > COST_WINDOW) this.costs.shift();
    }
  }

  stats(): PublisherStats {
    const n = this.costs.length;
    return {
      url: this.label,
      state: this.state,
      since: this.since,
      ...this.counters,
      attempt: this.attempt,
      retryAt: this.state === 'waiting' ? this.retryAt : null,
      lastError: this.lastError,
      width: this.size ? encodedSize(this.size.width, this.size.height).width : null,
      height: this.size ? encodedSize(this.size.width, this.size.height).height : null,
      writeMs: { mean: n ? this.costs.reduce((s, c) => s + c, 0) / n : 0, max: n ? Math.max(...this.costs) : 0 },
      pid: this.proc?.pid ?? null,
    };
  }

  /** close ends the stream (ffmpeg flushes and tears the session down), killing ffmpeg if it takes too long. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.setState('closed');
    this.clearConnectTimer();
    const p = this.proc;
    if (p) {
      const done = this.exited;
      p.end();
      const t = setTimeout(() => p.kill(), 2000);
      await done;
      clearTimeout(t);
    }
    await this.thread?.close();
    this.thread = null;
  }

  // -------------------------------------------------------------------------------------

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    this.o.log?.(level, message);
  }

  private setState(s: PublisherState): void {
    if (this.state === s) return;
    this.state = s;
    this.since = Date.now();
  }

  private spawnChild(width: number, height: number): void {
    this.size = { width, height };
    const enc = encodedSize(width, height);
    if (!this.thread || this.thread.dead) this.thread = new EncoderThread(this.o.thread ?? ENCODER_THREAD);
    const proc = this.thread.spawn(this.o.ffmpeg ?? 'ffmpeg', ffmpegArgs(this.o, enc.width, enc.height));
    this.proc = proc;
    this.connectedAt = null;
    this.busySince = null;
    this.setState('connecting');
    let tail = '';
    const problems: string[] = [];
    proc.on('stderr', (d: string) => {
      tail += d;
      const lines = tail.split(/\r?\n|\r/);
      tail = lines.pop()!.slice(-4096);
      for (const line of lines) {
        if (this.proc !== proc) return;
        if (CONNECTED.test(line)) this.onConnected();
        else if (/error|fail|refused|denied|unauthori[sz]ed|not found|broken|invalid|timed? ?out|reset|could not|cannot|unable/i.test(line)) {
          problems.push(redactUrls(line.trim()).slice(0, 300));
          if (problems.length > 4) problems.shift();
        }
      }
    });
    this.exited = new Promise((resolve) => {
      proc.once('exit', (why) => {
        resolve();
        if (this.proc !== proc) return; // replaced on purpose (a new size), or closed
        this.proc = null;
        this.clearConnectTimer();
        if (this.state === 'closed') return;
        this.fail(problems.length ? problems.slice(-2).join('; ') : why);
      });
    });
    const timeout = this.o.connectTimeoutMs ?? 10_000;
    this.connectTimer = setTimeout(() => {
      if (this.proc === proc && this.state === 'connecting') this.fail(`not connected within ${(timeout / 1000).toFixed(1)} s`);
    }, timeout);
  }

  private onConnected(): void {
    this.clearConnectTimer();
    this.connectedAt = Date.now();
    if (this.everConnected) this.counters.reconnects++;
    this.everConnected = true;
    this.log(
      'info',
      `publishing to ${this.label}: connected${this.attempt ? ` after ${this.attempt} failed attempt${this.attempt > 1 ? 's' : ''}` : ''} (${encodedSize(this.size!.width, this.size!.height).width}x${encodedSize(this.size!.width, this.size!.height).height}, H.264)`,
    );
    this.attempt = 0;
    this.lastError = null;
    this.setState('publishing');
  }

  /** fail ends the current child (if any) and waits for the backoff before the next attempt. */
  private fail(why: string): void {
    if (this.state === 'closed' || this.state === 'waiting') return;
    const stable = this.connectedAt !== null && Date.now() - this.connectedAt >= STABLE_MS;
    this.attempt = stable ? 1 : this.attempt + 1;
    this.stopChild('SIGKILL');
    const delay = backoffDelay(this.attempt, this.o.retry ?? { minMs: 1000, maxMs: 30_000 });
    this.retryAt = Date.now() + delay;
    this.lastError = why;
    this.setState('waiting');
    this.log('warn', `publishing to ${this.label}: ${why}; retry ${this.attempt} in ${(delay / 1000).toFixed(1)} s`);
  }

  /** stopChild lets go of the child: killed at once, or (`end`) given the end of its input to finish the stream cleanly, and killed if it takes too long. */
  private stopChild(how: 'SIGKILL' | 'end'): void {
    const p = this.proc;
    this.proc = null;
    this.connectedAt = null;
    this.clearConnectTimer();
    if (!p || p.exited) return;
    if (how === 'SIGKILL') {
      p.kill();
      return;
    }
    p.end();
    const t = setTimeout(() => p.kill(), 2000);
    p.once('exit', () => clearTimeout(t));
  }

  private clearConnectTimer(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }
}
