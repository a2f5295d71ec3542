/**
 * The bench's in-process OpenCV loops, each run by run.ts in a fresh process (`node
 * direct.js direct|paced|stages|decode|pick FILE N [plain|blobs]`, one JSON line out): the direct
 * loop the server is compared with (same binding, same inputs, same allocator settings, no
 * server), the same loop at a camera's 30 fps, the cost of each segmentation stage, the CPU of
 * decoding alone, and the cost of a pick. Like a camera process, the loop runs on its process's
 * main thread.
 */
import { blank, cv, type Mat } from '../../server/cv.js';
import { memory, minorFaults } from '../helpers/proc.js';
import { r1, r2 } from './figures.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** DirectResult is one direct-loop measurement. */
export type DirectResult = ReturnType<typeof direct>;

/**
 * direct runs the work sequentially in this process, no server: read, HSV, inRange (the default
 * wrapped red range: two inRange and an OR), masked copy, JPEG at quality 80: the work of the
 * server with `--no-blobs`. `blobs` adds what the server does by default: finding the blobs
 * (connectedComponentsWithStats).
 */
export function direct(file: string, seconds: number, blobs: boolean) {
  const cap = new cv.VideoCapture(file, cv.CAP_FFMPEG);
  const lo1 = new cv.Vec3(170, 100, 80);
  const hi1 = new cv.Vec3(179, 255, 255);
  const lo2 = new cv.Vec3(0, 100, 80);
  const hi2 = new cv.Vec3(10, 255, 255);
  const t = { read: 0, segment: 0, encode: 0 };
  let dst: Mat | null = null;
  let frames = 0;
  let bytes = 0;
  const faults0 = minorFaults(process.pid);
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    const a = performance.now();
    let frame = cap.read();
    if (frame.empty) {
      frame.release();
      cap.set(cv.CAP_PROP_POS_FRAMES, 0);
      frame = cap.read();
    }
    const b = performance.now();
    const hsv = frame.cvtColor(cv.COLOR_BGR2HSV);
    const m1 = hsv.inRange(lo1, hi1);
    const m2 = hsv.inRange(lo2, hi2);
    const mask = m1.bitwiseOr(m2);
    dst ??= blank(frame.rows, frame.cols, cv.CV_8UC3, 0); // kept, as the server keeps its buffer
    dst.setTo(new cv.Vec3(0, 0, 0));
    frame.copyTo(dst, mask).release();
    if (blobs) {
      const cc = mask.connectedComponentsWithStats(8, cv.CV_32S);
      cc.stats.getData();
      cc.centroids.getData();
      for (const m of [cc.labels, cc.stats, cc.centroids]) m.release();
    }
    const c = performance.now();
    const jpeg = cv.imencode('.jpg', dst, [cv.IMWRITE_JPEG_QUALITY, 80]);
    const d = performance.now();
    bytes += jpeg.length;
    for (const m of [frame, hsv, m1, m2, mask]) m.release();
    t.read += b - a;
    t.segment += c - b;
    t.encode += d - c;
    frames++;
  }
  const wall = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  dst?.release();
  cap.release();
  return {
    fps: r1(frames / wall),
    cpuMsPerFrame: r2((cpu.user + cpu.system) / 1000 / frames),
    faultsPerFrame: Math.round((minorFaults(process.pid) - faults0) / frames),
    stageMs: { read: r2(t.read / frames), segment: r2(t.segment / frames), encode: r2(t.encode / frames) },
    bytesPerFrame: Math.round(bytes / frames),
  };
}

/** stages times each segmentation step on real decoded frames, in this process (ms per frame). */
async function stages(file: string, frames: number) {
  const { blurFrame, cleanMask, dropSmallBlobs } = await import('../../server/segment/cleanup.js');
  const { rangeMask, toSpace, applyMask } = await import('../../server/segment/mask.js');
  const { analyseMask } = await import('../../server/segment/analysis.js');
  const { MotionDetector } = await import('../../server/segment/motion.js');
  const { encodeJpeg } = await import('../../server/encode.js');
  const { DEFAULT_SETTINGS } = await import('../../shared/settings.js');
  const cap = new cv.VideoCapture(file, cv.CAP_FFMPEG);
  const motion = new MotionDetector();
  const t: Record<string, number> = {};
  const time = <T>(name: string, f: () => T): T => {
    const a = performance.now();
    const r = f();
    t[name] = (t[name] ?? 0) + performance.now() - a;
    return r;
  };
  const range = (DEFAULT_SETTINGS.method as import('../../shared/methods.js').ColourMethod).ranges[0]! as import('../../shared/settings.js').ColorRange;
  let dst: ReturnType<typeof blank> | null = null;
  for (let i = 0; i < frames; i++) {
    let frame = time('read (decode)', () => cap.read());
    if (frame.empty) {
      cap.set(cv.CAP_PROP_POS_FRAMES, 0);
      frame = cap.read();
    }
    dst ??= blank(frame.rows, frame.cols, cv.CV_8UC3, 0);
    const blurred = time('blur 5 px', () => blurFrame(frame, 5)!);
    const hsv = time('BGR→HSV', () => toSpace(frame, 'hsv'));
    const mask = time('inRange (wrapped hue)', () => rangeMask(hsv, 'hsv', range));
    const opened = time('open 3 px', () => cleanMask(mask.copy(), 3, 0, 0));
    const closed = time('close 3 px', () => cleanMask(opened.copy(), 0, 3, 0));
    time('min area 100 px', () => dropSmallBlobs(closed, 100));
    const moving = time('motion MOG2', () => motion.apply(frame, DEFAULT_SETTINGS.motion));
    time('analysis (components)', () => analyseMask(closed, 'red', '#ff0000'));
    time('masked copy', () => applyMask(frame, closed, dst!));
    time('JPEG q80 (masked)', () => encodeJpeg(dst!, 80));
    time('JPEG q80 (mask)', () => encodeJpeg(closed, 80));
    for (const m of [frame, blurred, hsv, mask, opened, closed, moving]) m.release();
  }
  dst?.release();
  cap.release();
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, r2(v / frames)]));
}

/**
 * decodeOnly: CPU (% of one core, all threads of this process) of reading a file at 30 fps the
 * way the capture stage does (readAsync), and nothing else: the cost idle is compared with.
 */
async function decodeOnly(file: string, seconds: number) {
  const cap = new cv.VideoCapture(file, cv.CAP_FFMPEG);
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  for (let n = 0; performance.now() - start < seconds * 1000; n++) {
    await sleep(Math.max(0, start + (n * 1000) / 30 - performance.now()));
    let frame = await cap.readAsync();
    if (frame.empty) {
      frame.release();
      cap.set(cv.CAP_PROP_POS_FRAMES, 0);
      frame = await cap.readAsync();
    }
    frame.release();
  }
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - start;
  cap.release();
  return { cpuPercent: r1(((cpu.user + cpu.system) / 1000 / wall) * 100) };
}

/**
 * paced runs the plain loop (decode on libuv's pool, as a camera does) at 30 fps for `seconds`:
 * the CPU of the work itself at a camera's rate, and the process's memory.
 */
async function paced(file: string, seconds: number) {
  const cap = new cv.VideoCapture(file, cv.CAP_FFMPEG);
  const lo1 = new cv.Vec3(170, 100, 80);
  const hi1 = new cv.Vec3(179, 255, 255);
  const lo2 = new cv.Vec3(0, 100, 80);
  const hi2 = new cv.Vec3(10, 255, 255);
  let dst: Mat | null = null;
  let frames = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  for (let n = 0; performance.now() - start < seconds * 1000; n++) {
    await sleep(Math.max(0, start + (n * 1000) / 30 - performance.now()));
    let frame = await cap.readAsync();
    if (frame.empty) {
      frame.release();
      cap.set(cv.CAP_PROP_POS_FRAMES, 0);
      frame = await cap.readAsync();
    }
    const hsv = frame.cvtColor(cv.COLOR_BGR2HSV);
    const m1 = hsv.inRange(lo1, hi1);
    const m2 = hsv.inRange(lo2, hi2);
    const mask = m1.bitwiseOr(m2);
    dst ??= blank(frame.rows, frame.cols, cv.CV_8UC3, 0);
    dst.setTo(new cv.Vec3(0, 0, 0));
    frame.copyTo(dst, mask).release();
    cv.imencode('.jpg', dst, [cv.IMWRITE_JPEG_QUALITY, 80]);
    for (const m of [frame, hsv, m1, m2, mask]) m.release();
    frames++;
  }
  const wall = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const rss = memory(process.pid);
  dst?.release();
  cap.release();
  return { fps: r1(frames / wall), cpuMs: r1((cpu.user + cpu.system) / 1000), seconds: r2(wall), rssMb: rss };
}

/** pick times a pick of the whole frame and of a click, on real frames (ms each). */
async function pick(file: string, rounds: number) {
  const { sampleBox, proposeRange } = await import('../../server/segment/pick.js');
  const cap = new cv.VideoCapture(file, cv.CAP_FFMPEG);
  const frame = cap.read();
  const time = (box: { x: number; y: number; w: number; h: number }): number => {
    const t0 = performance.now();
    for (let i = 0; i < rounds; i++) proposeRange(sampleBox(frame, box, 'hsv'), 'hsv');
    return r2((performance.now() - t0) / rounds);
  };
  const result = { fullFrameMs: time({ x: 0, y: 0, w: 1, h: 1 }), clickMs: time({ x: 0.5, y: 0.5, w: 0, h: 0 }), width: frame.cols, height: frame.rows };
  frame.release();
  cap.release();
  return result;
}

const [what, file, n, variant] = process.argv.slice(2);
const runs: Record<string, () => unknown> = {
  direct: () => direct(file!, Number(n), variant === 'blobs'),
  paced: () => paced(file!, Number(n)),
  stages: () => stages(file!, Number(n)),
  decode: () => decodeOnly(file!, Number(n)),
  pick: () => pick(file!, Number(n)),
};
if (!what || !runs[what] || !file) {
  process.stderr.write('usage: node direct.js direct|paced|stages|decode|pick FILE N [plain|blobs]\n');
  process.exit(2);
}
process.stdout.write(`${JSON.stringify(await runs[what]!())}\n`);
