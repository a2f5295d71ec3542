/**
 * The bench's publishing figures: a camera publishing H.264 at 1280x720, 30 fps, to the
 * RECORD-mode RTSP server (GStreamer), against a direct loop doing the same work, and that loop
 * with OpenCV's VideoWriter (a GStreamer pipeline, x264 in the loop's process) instead: the
 * design the Publisher's ffmpeg child was chosen over. Each loop is a child with a deadline: a
 * VideoWriter blocked in GStreamer (its open and release wait on the server) is killed.
 *
 * CPU per frame: the camera process and its ffmpeg child (from /proc), with nobody watching,
 * against a direct loop in a fresh process (read at 30 fps on libuv's pool, HSV, inRange, the
 * masked copy, and the same Publisher, so the same ffmpeg child). The range passes every
 * pixel, so the published masked view is the whole testsrc2 picture: x264's cost for a busy
 * picture (a mostly black masked view costs it less).
 *
 * Delay: the clip's top-left 64x64 box turns white and black every half second. Capture
 * time is the `ts` each frame carries (Date.now() as capture hands the frame over; for the
 * direct loop, the same moment in its loop); arrival is when the RTSP server's own decoder
 * (beside the branch that writes the file) outputs the first frame of the new colour. For the
 * camera, a viewer in a process of its own watches the published view to learn which
 * frame turned and its `ts` (only a transition right after a frame it also got, seq + 1,
 * counts); that viewer's JPEG is made before the publisher's copy, so it is in the delay.
 *
 * `node publish.js direct FILE SECONDS URL [publisher|videowriter]` and `node publish.js watch WS_URL SECONDS` are the
 * two children; run.ts calls publishBench.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tunedEnv } from '../../server/malloc.js';
import { makeClip } from '../helpers/fixtures.js';
import { childPids, cpuMs } from '../helpers/proc.js';
import { RtspRecordServer, type Luma } from '../helpers/rtsp-record.js';
import { freePort } from '../helpers/rtsp.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { pct, r1, r2 } from './figures.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** RANGE passes every pixel: the masked view is the picture */
const RANGE = { lower: [0, 0, 0], upper: [179, 255, 255] } as const;
/** LAVFI: testsrc2 with a 64x64 box at the top left, white for the first half of every second, black for the second */
const LAVFI =
  "testsrc2=size=1280x720:rate=30,drawbox=x=0:y=0:w=64:h=64:color=white:t=fill:enable='lt(mod(t,1),0.5)',drawbox=x=0:y=0:w=64:h=64:color=black:t=fill:enable='gte(mod(t,1),0.5)'";

/** Turn is a change of the top-left box at capture: when (ms since the epoch) and to what. */
interface Turn {
  at: number;
  bright: boolean;
}

/** delays matches each capture turn to the server's first decoded frame of that colour after it (ms). */
function delays(turns: Turn[], lumas: Luma[]): number[] {
  const out: number[] = [];
  for (const t of turns) {
    const l = lumas.find((x) => x.bright === t.bright && x.at >= t.at - 5 && x.at - t.at < 2000);
    if (l) out.push(l.at - t.at);
  }
  return out;
}

const summary = (xs: number[]) => ({ p50: r1(pct(xs, 50)), max: r1(pct(xs, 100)), n: xs.length });

/** receivedFps is the rate of the frames the RTSP server wrote in a session (packets over the time they span, no decoding). */
async function receivedFps(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file]);
  const ts = stdout
    .split('\n')
    .map((l) => Number.parseFloat(l))
    .filter(Number.isFinite); // lines of "t," and blank ones
  return ts.length > 1 ? r1((ts.length - 1) / (Math.max(...ts) - Math.min(...ts))) : 0;
}

/** spawnJson runs one of this file's children and resolves with its last line, parsed. */
function spawnJson<T>(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(HERE, 'publish.js'), ...args], { stdio: ['ignore', 'pipe', 'inherit'], env });
    // a child blocked in a native call (GStreamer waiting on its server) is killed, not waited for
    const deadline = setTimeout(() => child.kill('SIGKILL'), CHILD_DEADLINE_MS);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code, signal) => {
      clearTimeout(deadline);
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').pop()!) as T);
      else
        reject(
          new Error(
            signal === 'SIGKILL' ? `publish.js ${args[0]} did not finish within ${CHILD_DEADLINE_MS / 1000} s and was killed` : `publish.js ${args[0]} exited ${code}: ${out}`,
          ),
        );
    });
  });
}

/** CHILD_DEADLINE_MS bounds each child of this file, ms */
const CHILD_DEADLINE_MS = 90_000;

/** DirectPublish is the direct loop's measurement. */
interface DirectPublish {
  fps: number;
  loopCpuMsPerFrame: number;
  ffmpegCpuMsPerFrame: number;
  /** ms one write takes on the loop's thread */
  writeMs: { mean: number; max: number };
  turns: Turn[];
}

/** Writer is what the direct loop publishes with: segcam's Publisher, or OpenCV's VideoWriter with a GStreamer pipeline. */
type Writer = 'publisher' | 'videowriter';

/** Sink is the direct loop's view of either writer. */
interface Sink {
  write(m: import('../../server/cv.js').Mat): void;
  /** publishing: a session is up (the VideoWriter cannot tell: opened is all it says) */
  ready(): boolean;
  /** the encoder's own process (ffmpeg), or null when it encodes in this one */
  pid(): number | null;
  written(): number;
  writeMs: number[];
  close(): Promise<void>;
}

async function sink(writer: Writer, url: string, size: { width: number; height: number }): Promise<Sink> {
  const { cv } = await import('../../server/cv.js');
  const writeMs: number[] = [];
  if (writer === 'videowriter') {
    // x264 inside this process, on rtspclientsink's own threads; the same low-latency settings
    const vw = new cv.VideoWriter(
      `appsrc ! videoconvert ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 ! h264parse ! rtspclientsink location=${url} protocols=tcp`,
      0,
      30,
      new cv.Size(size.width, size.height),
      true,
    );
    let n = 0;
    return {
      write(m) {
        const t = performance.now();
        vw.write(m);
        writeMs.push(performance.now() - t);
        n++;
      },
      ready: () => n > 0,
      pid: () => null,
      written: () => n,
      writeMs,
      close: async () => vw.release(),
    };
  }
  const { Publisher } = await import('../../server/camera/publish.js');
  const publisher = new Publisher({ url, fps: 30, log: (level, m) => level !== 'info' && process.stderr.write(`direct: ${m}\n`) });
  return {
    write(m) {
      const t = performance.now();
      publisher.write(m);
      writeMs.push(performance.now() - t);
    },
    ready: () => publisher.stats().state === 'publishing',
    pid: () => publisher.stats().pid,
    written: () => publisher.stats().written,
    writeMs,
    close: () => publisher.close(),
  };
}

/**
 * direct (in a fresh process, with a camera's environment): read at 30 fps, segment as the
 * server does with one range and no blobs, publish with `writer`; CPU measured over `seconds`
 * once publishing.
 */
async function direct(file: string, seconds: number, url: string, writer: Writer): Promise<DirectPublish> {
  const { cv, blank } = await import('../../server/cv.js');
  const cap = new cv.VideoCapture(file, cv.CAP_FFMPEG);
  const publisher = await sink(writer, url, { width: cap.get(cv.CAP_PROP_FRAME_WIDTH), height: cap.get(cv.CAP_PROP_FRAME_HEIGHT) });
  const [lo, hi] = [new cv.Vec3(...RANGE.lower), new cv.Vec3(...RANGE.upper)];
  let dst: ReturnType<typeof blank> | null = null;
  const turns: Turn[] = [];
  let last: boolean | null = null;
  let window: { cpu: number; ffmpeg: number; pid: number; frames: number; at: number; writes: number } | null = null;
  let publishingSince = 0;
  let result: Omit<DirectPublish, 'turns'> | null = null;
  const start = performance.now();
  for (let n = 0; !result && performance.now() - start < 30_000; n++) {
    await sleep(Math.max(0, start + (n * 1000) / 30 - performance.now()));
    let frame = await cap.readAsync();
    if (frame.empty) {
      frame.release();
      cap.set(cv.CAP_PROP_POS_FRAMES, 0);
      frame = await cap.readAsync();
    }
    const ts = Date.now();
    const px = frame.at(0, 0) as unknown as { x: number; y: number; z: number };
    const bright = 0.114 * px.x + 0.587 * px.y + 0.299 * px.z >= 128;
    if (last !== null && bright !== last && publishingSince) turns.push({ at: ts, bright });
    last = bright;
    const hsv = frame.cvtColor(cv.COLOR_BGR2HSV);
    const mask = hsv.inRange(lo, hi);
    dst ??= blank(frame.rows, frame.cols, cv.CV_8UC3, 0);
    dst.setTo(new cv.Vec3(0, 0, 0)).release();
    frame.copyTo(dst, mask).release();
    mask.countNonZero(); // the coverage the server works out
    publisher.write(dst);
    for (const m of [frame, hsv, mask]) m.release();
    if (publisher.ready() && !publishingSince) publishingSince = performance.now();
    const pid = publisher.pid();
    if (!window && publishingSince && performance.now() - publishingSince > 1000 && (pid || writer === 'videowriter')) {
      window = { cpu: cpuMs(process.pid), ffmpeg: pid ? cpuMs(pid) : 0, pid: pid ?? 0, frames: publisher.written(), at: performance.now(), writes: publisher.writeMs.length };
    } else if (window && performance.now() - window.at >= seconds * 1000) {
      const frames = publisher.written() - window.frames;
      const ms = publisher.writeMs.slice(window.writes);
      result = {
        fps: r1(frames / ((performance.now() - window.at) / 1000)),
        loopCpuMsPerFrame: r2((cpuMs(process.pid) - window.cpu) / frames),
        ffmpegCpuMsPerFrame: window.pid ? r2((cpuMs(window.pid) - window.ffmpeg) / frames) : 0,
        writeMs: { mean: r2(ms.reduce((a, x) => a + x, 0) / ms.length), max: r1(Math.max(...ms)) },
      };
    }
  }
  await publisher.close();
  dst?.release();
  cap.release();
  if (!result) throw new Error('the direct loop never published for long enough');
  return { ...result, turns };
}

/** watch (a viewer in a process of its own): the turns of the top-left box in the frames it gets, with their capture times. */
async function watch(url: string, seconds: number): Promise<{ turns: Turn[]; frames: number; exact: number }> {
  const { cv } = await import('../../server/cv.js');
  const { default: WebSocket } = await import('ws');
  const { pack, unpackServerMessage } = await import('../../shared/protocol.js');
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send(pack({ type: 'ack', seq: 0 }));
  const turns: Turn[] = [];
  let last: { seq: number; bright: boolean } | null = null;
  let frames = 0;
  let changes = 0;
  ws.on('message', (data: Buffer) => {
    const m = unpackServerMessage(data);
    if (m.type !== 'frame') return;
    ws.send(pack({ type: 'ack', seq: m.seq }));
    if (m.placeholder) return;
    frames++;
    const small = cv.imdecode(Buffer.from(m.jpeg), cv.IMREAD_REDUCED_GRAYSCALE_8); // 1/8 scale: the box is 8x8 px
    const bright = (small.at(0, 0) as number) >= 128;
    small.release();
    if (last && bright !== last.bright) {
      changes++;
      if (m.seq === last.seq + 1) turns.push({ at: m.ts, bright }); // the frame before it was seen: this one is the turn
    }
    last = { seq: m.seq, bright };
  });
  await sleep(seconds * 1000);
  ws.terminate();
  return { turns, frames, exact: changes ? r2(turns.length / changes) : 0 };
}

/** segmented reads a camera's segmented-frames counter from /metrics. */
async function segmented(s: ServerHandle): Promise<number> {
  const text = await (await fetch(`${s.base}/metrics`, { headers: { authorization: `Bearer ${s.token}` } })).text();
  return Number(/^segcam_frames_segmented_total\{camera="main"\} (\S+)/m.exec(text)?.[1] ?? NaN);
}

/** PublishResult is what publishBench measures. */
export type PublishResult = Awaited<ReturnType<typeof publishBench>>;

/** publishBench measures publishing at 1280x720, 30 fps: the camera, then the direct loop. */
export async function publishBench(quick: boolean) {
  const seconds = quick ? 3 : 6;
  const file = await makeClip('bench-publish-1280x720.mp4', LAVFI, 10);
  const dir = mkdtempSync(join(tmpdir(), 'segcam-bench-pub-'));
  const rtsp = new RtspRecordServer(await freePort(), dir);
  try {
    await rtsp.start();
    // the camera, nobody watching
    const s = await startServer({
      args: ['--source', file, '--publish', rtsp.url, '--range', `everything=${RANGE.lower.join(',')}:${RANGE.upper.join(',')}`, '--no-blobs', '--quiet'],
    });
    let server: {
      fps: number;
      receivedFps: number;
      cpuMsPerFrame: { camera: number; ffmpeg: number; total: number; front: number };
      delayMs: ReturnType<typeof summary>;
      viewer: { frames: number; exactTurns: number };
    };
    try {
      const deadline = Date.now() + 20_000;
      while (!rtsp.sessionsOfRun().length && Date.now() < deadline) await sleep(100);
      if (!rtsp.sessionsOfRun().length) throw new Error(`the camera never published:\n${s.output()}`);
      await sleep(1000);
      const camera = await s.cameraPid();
      const ffmpeg = childPids(camera).find((c) => c.command === 'ffmpeg')?.pid;
      if (!ffmpeg) throw new Error('the camera has no ffmpeg child');
      const [c0, f0, fr0, n0, t0] = [cpuMs(camera), cpuMs(ffmpeg), cpuMs(s.pid), await segmented(s), performance.now()];
      await sleep(seconds * 1000);
      const frames = (await segmented(s)) - n0;
      const cpu = { camera: (cpuMs(camera) - c0) / frames, ffmpeg: (cpuMs(ffmpeg) - f0) / frames, front: (cpuMs(s.pid) - fr0) / frames };
      const fps = frames / ((performance.now() - t0) / 1000);
      // the delay, with one viewer of the published view in its own process
      const from = rtsp.lumas.length;
      const seen = await spawnJson<{ turns: Turn[]; frames: number; exact: number }>(['watch', `ws://127.0.0.1:${s.port}/ws?token=${s.token}`, String(quick ? 3 : 5)]);
      server = {
        fps: r1(fps),
        receivedFps: await receivedFps(rtsp.sessionsOfRun()[0]!.file),
        cpuMsPerFrame: { camera: r2(cpu.camera), ffmpeg: r2(cpu.ffmpeg), total: r2(cpu.camera + cpu.ffmpeg), front: r2(cpu.front) },
        delayMs: summary(delays(seen.turns, rtsp.lumas.slice(from))),
        viewer: { frames: seen.frames, exactTurns: seen.exact },
      };
    } finally {
      await s.stop();
    }
    // the direct loop: the same read, segmentation and Publisher, no server
    const directLoop = async (writer: Writer) => {
      const from = rtsp.lumas.length;
      const d = await spawnJson<DirectPublish>(['direct', file, String(seconds), rtsp.url, writer], tunedEnv(process.env));
      return {
        fps: d.fps,
        receivedFps: await receivedFps(rtsp.sessionsOfRun().at(-1)!.file),
        cpuMsPerFrame: { loop: d.loopCpuMsPerFrame, ffmpeg: d.ffmpegCpuMsPerFrame, total: r2(d.loopCpuMsPerFrame + d.ffmpegCpuMsPerFrame) },
        writeMs: d.writeMs,
        delayMs: summary(delays(d.turns, rtsp.lumas.slice(from))),
      };
    };
    const loop = await directLoop('publisher');
    // the road not taken: OpenCV's VideoWriter with a GStreamer pipeline, x264 in the loop's process
    const videoWriter = await directLoop('videowriter').catch((e: unknown) => ({ error: e instanceof Error ? e.message : String(e) }));
    return { server, direct: loop, videoWriter, cpuRatio: r2(server.cpuMsPerFrame.total / loop.cpuMsPerFrame.total) };
  } finally {
    await rtsp.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** publishFigures is the bench's line for publishBench's result. */
export function publishFigures(p: PublishResult): string {
  const s = p.server;
  const d = p.direct;
  const v = p.videoWriter;
  return (
    `publishing 1280x720 H.264 at 30 fps to an RTSP server (masked view passing every pixel, nobody watching): CPU ms/frame camera process ${s.cpuMsPerFrame.camera} + its ffmpeg ${s.cpuMsPerFrame.ffmpeg} = ${s.cpuMsPerFrame.total} @ ${s.fps} fps, ${s.receivedFps} received (front ${s.cpuMsPerFrame.front}), ` +
    `direct loop ${d.cpuMsPerFrame.loop} + ffmpeg ${d.cpuMsPerFrame.ffmpeg} = ${d.cpuMsPerFrame.total} @ ${d.fps} fps, ${d.receivedFps} received (${p.cpuRatio}x); ` +
    `capture → decoded at the RTSP server p50/max: camera ${s.delayMs.p50}/${s.delayMs.max} ms (${s.delayMs.n} changes, one viewer watching), direct loop ${d.delayMs.p50}/${d.delayMs.max} ms (${d.delayMs.n}); ` +
    `one write on the loop's thread mean/max: Publisher ${d.writeMs.mean}/${d.writeMs.max} ms, ` +
    ('error' in v
      ? `VideoWriter(GStreamer) failed: ${v.error}`
      : `VideoWriter(GStreamer) ${v.writeMs.mean}/${v.writeMs.max} ms, its loop ${v.cpuMsPerFrame.loop} ms CPU/frame with x264 inside @ ${v.fps} fps, delay p50/max ${v.delayMs.p50}/${v.delayMs.max} ms`)
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [what, a, b, c] = process.argv.slice(2);
  const runs: Record<string, () => Promise<unknown>> = {
    direct: () => direct(a!, Number(b), c!, (process.argv[6] ?? 'publisher') as Writer),
    watch: () => watch(a!, Number(b)),
    bench: async () => {
      const p = await publishBench(a === '--quick');
      console.log(publishFigures(p));
      return p;
    },
  };
  if (!what || !runs[what]) {
    process.stderr.write('usage: node publish.js direct FILE SECONDS URL [publisher|videowriter] | watch WS_URL SECONDS | bench [--quick]\n');
    process.exit(2);
  }
  runs[what]!().then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exit(0);
    },
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
