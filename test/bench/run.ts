/**
 * `npm run bench [-- --quick] [-- --soak SECONDS]`: the real server on generated inputs, real
 * WebSocket viewers over loopback, and a direct OpenCV loop (same binding, same inputs, same
 * allocator settings, no server) measured in the same run, so that the ratios compare like with
 * like on a noisy machine. Prints a table and writes .bench/results.json.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tunedEnv } from '../../server/malloc.js';
import { FIXTURES, makeClip } from '../helpers/fixtures.js';
import { cpuMs, memory, minorFaults, rssMb } from '../helpers/proc.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import type { DirectResult } from './direct.js';
import { r1, r2 } from './figures.js';
import { formatMethodsBench, runMethodsBench, type MethodsBench } from './methods.js';
import { outputsBench, outputsFigures, type OutputsResult } from './outputs.js';
import { publishBench, publishFigures, type PublishResult } from './publish.js';
import { connect, latency, reset, type BenchViewer } from './viewers.js';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const SOAK_S = argv.includes('--soak') ? Number(argv[argv.indexOf('--soak') + 1]) : 0;
const SECONDS = QUICK ? 2 : 6; // per measurement
/** SETTLE_MS lets a server warm up, or settle after viewers come or go, before a measurement. */
const SETTLE_MS = QUICK ? 500 : 1000;
/**
 * ROUNDS of the unpaced comparison. Each round measures each direct loop and, back to back with
 * it, the server doing the same work (see `pair`); the ratios are taken within a round and
 * averaged: the machine's drift (its neighbours come and go) then falls on both sides of each
 * ratio instead of on one.
 */
const ROUNDS = QUICK ? 1 : 3;
const SIZES: [number, number][] = QUICK
  ? [
      [640, 480],
      [1280, 720],
    ]
  : [
      [640, 480],
      [1280, 720],
      [1920, 1080],
    ];
const OUT_DIR = join(FIXTURES, '..');
/**
 * With many viewers, latency is measured at PROBES viewers in a process of their own while a
 * CROWD of viewers in this process and one stalled viewer load the server: 50 + 1 in all.
 */
const PROBES = 5;
const CROWD = 45;
const HERE = dirname(fileURLToPath(import.meta.url));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** mean averages measurements of one shape field by field (numbers, and objects of them). */
function mean<T>(xs: T[]): T {
  const first: unknown = xs[0];
  if (typeof first === 'number') return r2((xs as number[]).reduce((a, b) => a + b, 0) / xs.length) as T;
  if (first && typeof first === 'object') {
    return Object.fromEntries(Object.keys(first).map((k) => [k, mean(xs.map((x) => (x as Record<string, unknown>)[k]))])) as T;
  }
  return first as T;
}

/**
 * inFreshProcess runs one of direct.ts's measurements in a new process with the environment a
 * camera process gets (the allocator tunables): like a camera, it starts clean.
 */
function inFreshProcess<T>(...args: string[]): T {
  const out = execFileSync(process.execPath, [join(HERE, 'direct.js'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: tunedEnv(process.env) });
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}

/** inFreshProcessAsync is inFreshProcess without waiting (several loops at once). */
function inFreshProcessAsync<T>(...args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(HERE, 'direct.js'), ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: tunedEnv(process.env) });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as T) : reject(new Error(`direct.js ${args.join(' ')} exited ${code}`))));
  });
}

/** pids are the processes that serve: the front and every camera process. */
async function pids(s: ServerHandle): Promise<{ front: number; cameras: Record<string, number> }> {
  const cams = await s.cameras();
  return { front: s.pid, cameras: Object.fromEntries(cams.filter((c) => c.pid).map((c) => [c.name, c.pid!])) };
}
/** serverCpuMs is the CPU the whole server has used: the front and its camera processes. */
function serverCpuMs(p: { front: number; cameras: Record<string, number> }): number {
  return cpuMs(p.front) + Object.values(p.cameras).reduce((a, pid) => a + cpuMs(pid), 0);
}
const direct = (file: string, seconds: number, blobs: boolean) => inFreshProcess<DirectResult>('direct', file, String(seconds), blobs ? 'blobs' : 'plain');
const stages = (file: string, frames: number) => inFreshProcess<Record<string, number>>('stages', file, String(frames));
const decodeOnly = (file: string, seconds: number) => inFreshProcess<{ cpuPercent: number }>('decode', file, String(seconds));

const wsUrl = (s: ServerHandle): string => `ws://127.0.0.1:${s.port}/ws?token=${s.token}`;

/**
 * probe measures latency at `viewers` viewers in a fresh process (probe.ts) for `seconds`, and
 * the server's CPU over exactly that window, per frame delivered to one of them. This process
 * stays free meanwhile to serve its own crowd of viewers.
 */
async function probe(s: ServerHandle, viewers: number, seconds: number, camera?: string): Promise<{ latency: ReturnType<typeof latency>; cpuMsPerFrame: number }> {
  const p = await pids(s);
  return new Promise((resolve, reject) => {
    const url = camera ? `ws://127.0.0.1:${s.port}/cam/${camera}/ws?token=${s.token}` : wsUrl(s);
    const child = spawn(process.execPath, [join(HERE, 'probe.js'), url, String(viewers), String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let cpu0 = 0;
    let cpu = 0;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!cpu0 && out.startsWith('start\n')) cpu0 = serverCpuMs(p);
      else if (cpu0 && !cpu && out.endsWith('}\n')) cpu = serverCpuMs(p) - cpu0; // the window's end: the result line
    });
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop()!;
      if (code !== 0 || !cpu) return reject(new Error(`latency probe failed (exit ${code}): ${out}`));
      const l = JSON.parse(line) as ReturnType<typeof latency>;
      resolve({ latency: l, cpuMsPerFrame: r2(cpu / (l.fps * seconds)) });
    });
  });
}

/** crowd connects CROWD viewers and a stalled one in this process. */
async function crowd(s: ServerHandle): Promise<{ viewers: BenchViewer[]; stalled: BenchViewer }> {
  const viewers: BenchViewer[] = [];
  for (let i = 0; i < CROWD; i++) viewers.push(await connect(wsUrl(s)));
  return { viewers, stalled: await connect(wsUrl(s), true) };
}

async function stageMs(s: ServerHandle): Promise<{ segment: number; encode: number; n: number }> {
  const text = await (await fetch(`${s.base}/metrics`, { headers: { authorization: `Bearer ${s.token}` } })).text();
  const get = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
  return {
    segment: get(/segcam_stage_duration_seconds_sum\{camera="main",stage="segment"\} ([\d.e+-]+)/) * 1000,
    encode: get(/segcam_stage_duration_seconds_sum\{camera="main",stage="encode"\} ([\d.e+-]+)/) * 1000,
    n: get(/segcam_stage_duration_seconds_count\{camera="main",stage="segment"\} (\d+)/),
  };
}

async function serverRun<T>(source: string, extra: string[], body: (s: ServerHandle) => Promise<T>, env: NodeJS.ProcessEnv = {}, cameras?: string[]): Promise<T> {
  const s = await startServer({ args: [...(cameras ?? ['--source', source]), '--quality', '80', '--max-viewers', '100', '--quiet', ...extra], env });
  try {
    return await body(s);
  } finally {
    await s.stop();
  }
}

/**
 * unpaced: frames delivered to one viewer per second, whole-process CPU per frame, stage times,
 * and page faults per frame (fresh memory touched: what glibc's default thresholds cost).
 */
function unpaced(source: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) {
  return serverRun(
    source,
    ['--fps', '0', ...extra],
    async (s) => {
      const v = await connect(wsUrl(s));
      await sleep(SETTLE_MS);
      reset([v]);
      const p = await pids(s);
      const camera = p.cameras.main!;
      const st0 = await stageMs(s);
      const cpu0 = serverCpuMs(p);
      const front0 = cpuMs(p.front);
      const faults0 = minorFaults(camera);
      const t0 = performance.now();
      await sleep(SECONDS * 1000);
      const cpu = serverCpuMs(p) - cpu0;
      const frontCpu = cpuMs(p.front) - front0;
      const faults = minorFaults(camera) - faults0;
      const wall = (performance.now() - t0) / 1000;
      const st1 = await stageMs(s);
      const n = st1.n - st0.n;
      v.ws.terminate();
      return {
        fps: r1(v.frames / wall),
        cpuMsPerFrame: r2(cpu / v.frames),
        frontCpuMsPerFrame: r2(frontCpu / v.frames),
        rssMb: { front: r1(rssMb(p.front)), camera: r1(rssMb(camera)) },
        faultsPerFrame: Math.round(faults / v.frames),
        stageMs: { segment: r2((st1.segment - st0.segment) / n), encode: r2((st1.encode - st0.encode) / n) },
        bytesPerFrame: Math.round(v.bytes / v.frames),
      };
    },
    env,
  );
}

/**
 * pair measures a direct loop and the server doing the same work back to back, so that the
 * machine's drift between them is as small as it can be; rounds alternate which goes first, so
 * that drift within a pair favours neither side.
 */
async function pair<L, S>(loopFirst: boolean, loop: () => L, server: () => Promise<S>): Promise<[L, S]> {
  if (loopFirst) {
    const l = loop();
    return [l, await server()];
  }
  const s = await server();
  return [loop(), s];
}

/** UNTUNED_MALLOC runs a server with glibc's default allocator settings, for comparison. */
const UNTUNED_MALLOC = { SEGCAM_MALLOC_TUNING: 'off', GLIBC_TUNABLES: '' };

/**
 * paced: at the source's 30 fps, latency and CPU per frame with one viewer, then with 50 viewers
 * and a stalled one (PROBES measured in their own process, CROWD in this one), then with one
 * viewer again: the 50:1 CPU ratio divides by the mean of the two single-viewer windows, so that
 * the machine's drift over the measurement cancels instead of counting as the crowd's cost.
 */
function paced(source: string, extra: string[] = []) {
  return serverRun(source, ['--fps', '30', ...extra], async (s) => {
    const one = await probe(s, 1, SECONDS);
    const { viewers, stalled } = await crowd(s);
    await sleep(SETTLE_MS);
    reset(viewers);
    const t0 = performance.now();
    const p = await pids(s);
    const rss = (): number => rssMb(p.front) + rssMb(p.cameras.main!);
    const rss0 = rss();
    const many = await probe(s, PROBES, SECONDS);
    const rss1 = rss();
    const inCrowd = latency(viewers, (performance.now() - t0) / 1000);
    for (const v of [...viewers, stalled]) v.ws.terminate();
    await sleep(SETTLE_MS);
    const oneAgain = await probe(s, 1, SECONDS);
    const cpu1 = (one.cpuMsPerFrame + oneAgain.cpuMsPerFrame) / 2;
    return {
      latency1: one.latency,
      latency50: { ...many.latency, stalledViewerFrames: stalled.frames },
      crowdInBenchProcess: inCrowd,
      cpuMsPerFrame1: [one.cpuMsPerFrame, oneAgain.cpuMsPerFrame], // before and after the crowd
      cpuMsPerFrame50: many.cpuMsPerFrame,
      cpuRatio50to1: r2(many.cpuMsPerFrame / cpu1),
      rssMb: { start: r1(rss0), end: r1(rss1), front: r1(rssMb(p.front)), camera: r1(rssMb(p.cameras.main!)) },
    };
  });
}

/** idle: CPU with the source connected and nobody watching, % of one core. */
function idle(source: string, extra: string[] = []) {
  return serverRun(source, extra, async (s) => {
    await sleep(1500);
    const p = await pids(s);
    const c0 = serverCpuMs(p);
    await sleep(3000);
    return { cpuPercent: r1(((serverCpuMs(p) - c0) / 3000) * 100) };
  });
}

/** browser: the viewer in Chromium against the demo: received fps and capture-to-display latency. */
async function browser(w: number, h: number) {
  const { launchBrowser } = await import('../helpers/browser.js');
  return serverRun('demo', ['--width', String(w), '--height', String(h), '--fps', '30'], async (s) => {
    const b = await launchBrowser();
    try {
      const page = await b.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(`${s.base}/?token=${s.token}`);
      await page.waitForFunction(() => (window.segcam?.view.current?.seq ?? 0) > 10, null, { timeout: 20_000 });
      await sleep(SECONDS * 1000);
      return await page.evaluate(() => {
        const f = window.segcam.status.figures();
        return { fps: Math.round(f.fps * 10) / 10, latencyP50: Math.round(f.latencyMs), latencyP95: Math.round(f.p95LatencyMs) };
      });
    } finally {
      await b.close();
    }
  });
}

/** soak: 50 viewers and a stalled one at 30 fps for `seconds`; latency of the first and last 10 s. */
async function soak(file: string, seconds: number) {
  return serverRun(file, ['--fps', '30'], async (s) => {
    const { viewers, stalled } = await crowd(s);
    const windowOf = async () => {
      reset(viewers);
      const t0 = performance.now();
      const { latency: l } = await probe(s, PROBES, 10);
      const p = await pids(s);
      return { ...l, rssMb: r1(rssMb(p.front) + rssMb(p.cameras.main!)), crowdInBenchProcess: latency(viewers, (performance.now() - t0) / 1000) };
    };
    const first = await windowOf();
    await sleep(Math.max(0, seconds * 1000 - 25_000));
    const last = await windowOf();
    for (const v of [...viewers, stalled]) v.ws.terminate();
    return { seconds, viewers: `${CROWD} + ${PROBES} + 1 stalled`, first10s: first, last10s: last };
  });
}

/**
 * cameras3: three cameras, each a 1280x720 H.264 file at its own 30 fps, one viewer each (in
 * probe processes, as real viewers are), against three direct loops doing the same work at
 * 30 fps at once in three processes: total CPU, each process's memory, latency per camera; then
 * a camera process SIGKILLed: the time to its next frame at its viewer, and the other cameras'
 * frame rates meanwhile.
 */
async function cameras3(file: string) {
  const names = ['a', 'b', 'c'];
  const loops = await Promise.all(
    names.map(() => inFreshProcessAsync<{ fps: number; cpuMs: number; seconds: number; rssMb: ReturnType<typeof memory> }>('paced', file, String(SECONDS))),
  );
  const directCpuPerS = loops.reduce((a, l) => a + l.cpuMs / l.seconds, 0);
  return serverRun(
    names[0]!,
    [],
    async (s) => {
      const deadline = Date.now() + 20_000;
      while (!(await s.cameras()).every((c) => c.state === 'live') && Date.now() < deadline) await sleep(200);
      const p = await pids(s);
      await sleep(SETTLE_MS);
      const cpu0 = serverCpuMs(p);
      const t0 = performance.now();
      const probes = await Promise.all(names.map((c) => probe(s, 1, SECONDS, c)));
      const serverCpuPerS = (serverCpuMs(p) - cpu0) / ((performance.now() - t0) / 1000);
      const rss = { front: memory(p.front), cameras: Object.fromEntries(names.map((c) => [c, memory(p.cameras[c]!)])) };
      // a camera process killed: its viewer's next frame, and the others' frame rates meanwhile
      const vs = Object.fromEntries(await Promise.all(names.map(async (c) => [c, await connect(`ws://127.0.0.1:${s.port}/cam/${c}/ws?token=${s.token}`)] as const)));
      await sleep(SETTLE_MS);
      reset(Object.values(vs));
      await sleep(3000);
      const before = { b: vs.b!.frames / 3, c: vs.c!.frames / 3 };
      reset(Object.values(vs));
      const killedAt = performance.now();
      process.kill(p.cameras.a!, 'SIGKILL');
      while (vs.a!.frames === 0 && performance.now() - killedAt < 30_000) await sleep(10);
      const recoveryMs = Math.round(performance.now() - killedAt);
      const window = (performance.now() - killedAt) / 1000;
      const during = { b: vs.b!.frames / window, c: vs.c!.frames / window };
      for (const v of Object.values(vs)) v.ws.terminate();
      return {
        direct: { loops, cpuPerSecondMs: r1(directCpuPerS), rssMb: loops.map((l) => l.rssMb) },
        server: { cpuPerSecondMs: r1(serverCpuPerS), rssMb: rss, latency: Object.fromEntries(names.map((c, i) => [c, probes[i]!.latency])) },
        cpuRatio: r2(serverCpuPerS / directCpuPerS),
        kill: {
          recoveryMs,
          fpsBefore: { b: r1(before.b), c: r1(before.c) },
          fpsMeanwhile: { b: r1(during.b), c: r1(during.c) },
          keptShare: r2(Math.min(during.b / before.b, during.c / before.c)),
        },
      };
    },
    {},
    ['--camera', `a=${file}`, '--camera', `b=${file}`, '--camera', `c=${file}`],
  );
}

async function main(): Promise<void> {
  const started = Date.now();
  mkdirSync(OUT_DIR, { recursive: true });
  const results: Record<string, unknown> = {
    machine: {
      cpus: Number(execFileSync('nproc').toString().trim()),
      node: process.version,
      opencv: execFileSync('pkg-config', ['--modversion', 'opencv4']).toString().trim(),
      date: new Date().toISOString(),
      quick: QUICK,
    },
  };
  const rows: string[][] = [];
  for (const [w, h] of SIZES) {
    const file = await makeClip(`bench-${w}x${h}.mp4`, `testsrc2=size=${w}x${h}:rate=30`, QUICK ? 4 : 10);
    const rounds = [];
    for (let i = 1; i <= ROUNDS; i++) {
      const loopFirst = i % 2 === 1;
      process.stderr.write(
        `bench ${w}x${h}: round ${i}/${ROUNDS}: the plain loop and the server without blobs, then the blobs loop and the server with them (${loopFirst ? 'loops' : 'servers'} first)…\n`,
      );
      const [plain, n] = await pair(
        loopFirst,
        () => direct(file, SECONDS, false),
        () => unpaced(file, ['--no-blobs']),
      );
      const [d, u] = await pair(
        loopFirst,
        () => direct(file, SECONDS, true),
        () => unpaced(file),
      );
      const ratios = {
        throughputNoBlobsVsPlain: r2(n.fps / plain.fps),
        cpuPerFrameNoBlobsVsPlain: r2(n.cpuMsPerFrame / plain.cpuMsPerFrame),
        throughput: r2(u.fps / d.fps),
        cpuPerFrame: r2(u.cpuMsPerFrame / d.cpuMsPerFrame),
      };
      rounds.push({ plain, d, n, u, ratios });
    }
    const { plain, d, n, u, ratios } = mean(rounds);
    process.stderr.write(`bench ${w}x${h}: server at 30 fps, 1 and 50+1 viewers…\n`);
    const p = await paced(file);
    results[`${w}x${h}`] = {
      directPlain: plain,
      direct: d,
      unpacedNoBlobs: n,
      unpaced: u,
      paced: p,
      ratios, // the mean of each round's ratios
      rounds: rounds.map((r) => r.ratios),
    };
    rows.push([
      `${w}x${h} H.264`,
      `${r1(plain.fps)} / ${r1(d.fps)}`,
      `${r1(n.fps)} / ${r1(u.fps)}`,
      `${ratios.throughputNoBlobsVsPlain}x / ${ratios.throughput}x (${rounds.map((r) => r.ratios.throughputNoBlobsVsPlain).join(', ')} / ${rounds.map((r) => r.ratios.throughput).join(', ')})`,
      `${plain.cpuMsPerFrame} / ${d.cpuMsPerFrame}; ${n.cpuMsPerFrame} / ${u.cpuMsPerFrame}`,
      `r${d.stageMs.read} s${d.stageMs.segment} e${d.stageMs.encode} / s${u.stageMs.segment} e${u.stageMs.encode}`,
      `${p.latency1.p50}/${p.latency1.p95}/${p.latency1.p99}`,
      `${p.latency50.p50}/${p.latency50.p95}/${p.latency50.p99}`,
      `${p.cpuRatio50to1}x`,
      `${p.rssMb.start}→${p.rssMb.end}`,
      String(Math.round(u.bytesPerFrame)),
    ]);
  }
  const clip720 = join(FIXTURES, 'bench-1280x720.mp4');
  if (!QUICK) {
    process.stderr.write('bench 1280x720 with glibc malloc defaults…\n');
    const untuned = [];
    for (let i = 0; i < 3; i++) untuned.push(await unpaced(clip720, [], UNTUNED_MALLOC)); // bimodal: several runs
    results.untunedMalloc = { tuned: (results['1280x720'] as { unpaced: unknown }).unpaced, runs: untuned };
  }
  process.stderr.write('bench stages at 1280x720…\n');
  results.stages1280x720 = stages(clip720, QUICK ? 40 : 200);
  results.pick1280x720 = inFreshProcess<{ fullFrameMs: number; clickMs: number }>('pick', clip720, '50');
  process.stderr.write('bench three cameras at 1280x720, 30 fps each…\n');
  results.cameras3 = await cameras3(clip720);
  process.stderr.write('bench publishing H.264 at 1280x720, 30 fps…\n');
  results.publish1280x720 = await publishBench(QUICK);
  process.stderr.write('bench segmentation methods at 1280x720…\n');
  results.methods1280x720 = runMethodsBench(clip720, QUICK ? { frames: 20, rounds: 1, modelSeconds: 2 } : {});
  process.stderr.write('bench rule changes to MQTT and webhooks…\n');
  results.outputs = await outputsBench(QUICK ? 8 : 20);
  if (!QUICK) {
    process.stderr.write('bench demo 640x480…\n');
    const u = await unpaced('demo', ['--width', '640', '--height', '480']);
    const p = await paced('demo', ['--width', '640', '--height', '480']);
    results.demo = { unpaced: u, paced: p };
    rows.push([
      'demo 640x480',
      '–',
      `– / ${u.fps}`,
      '–',
      `–; – / ${u.cpuMsPerFrame}`,
      `s${u.stageMs.segment} e${u.stageMs.encode}`,
      `${p.latency1.p50}/${p.latency1.p95}/${p.latency1.p99}`,
      `${p.latency50.p50}/${p.latency50.p95}/${p.latency50.p99}`,
      `${p.cpuRatio50to1}x`,
      `${p.rssMb.start}→${p.rssMb.end}`,
      String(u.bytesPerFrame),
    ]);
    process.stderr.write('bench viewer in Chromium…\n');
    results.chromium = { '640x480': await browser(640, 480), '1280x720': await browser(1280, 720) };
    process.stderr.write('bench idle…\n');
    const idleDemo = await idle('demo');
    const idleFile = await idle(clip720);
    const decode = decodeOnly(clip720, 3);
    results.idle = {
      demoCpuPercent: idleDemo.cpuPercent,
      file720CpuPercent: idleFile.cpuPercent,
      decode720At30fpsPercent: decode.cpuPercent,
      beyondDecodingPercent: r1(idleFile.cpuPercent - decode.cpuPercent),
    };
  }
  if (SOAK_S > 0) {
    process.stderr.write(`bench soak ${SOAK_S} s at 1280x720, 30 fps…\n`);
    results.soak = await soak(clip720, SOAK_S);
  }
  const head = [
    'input',
    'direct fps plain / blobs',
    'server fps no blobs / blobs',
    'ratio to direct, no blobs / blobs (each round)',
    'CPU ms/frame direct plain / blobs; server no blobs / blobs',
    'stage ms direct / server',
    'latency ms p50/p95/p99, 1 viewer',
    '50 viewers + 1 stalled',
    'CPU 50:1',
    'RSS MB (50+1)',
    'bytes/frame',
  ];
  const table = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log([line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n'));
  const crowdLine = Object.entries(results)
    .map(([k, v]) => [k, (v as { paced?: { crowdInBenchProcess: ReturnType<typeof latency> } }).paced?.crowdInBenchProcess] as const)
    .filter(([, c]) => c)
    .map(([k, c]) => `${k} ${c!.p50}/${c!.p95}/${c!.p99}`);
  console.log(
    `latency ms p50/p95/p99 at the ${CROWD} crowd viewers sharing this process's event loop (the figure above is ${PROBES} viewers in their own process): ${crowdLine.join(' · ')}`,
  );
  if (results.idle) {
    const i = results.idle as { demoCpuPercent: number; file720CpuPercent: number; decode720At30fpsPercent: number; beyondDecodingPercent: number };
    console.log(
      `idle (nobody watching), % of one core: demo ${i.demoCpuPercent}; 1280x720 file at 30 fps ${i.file720CpuPercent}, decoding it alone ${i.decode720At30fpsPercent}, so ${i.beyondDecodingPercent} beyond decoding`,
    );
  }
  if (results.untunedMalloc) {
    const u = results.untunedMalloc as {
      tuned: { fps: number; cpuMsPerFrame: number; faultsPerFrame: number };
      runs: { fps: number; cpuMsPerFrame: number; faultsPerFrame: number }[];
    };
    console.log(
      `allocator, 1280x720 unpaced: tuned ${u.tuned.fps} fps, ${u.tuned.cpuMsPerFrame} ms CPU/frame, ${u.tuned.faultsPerFrame} page faults/frame; glibc defaults ${u.runs.map((r) => `${r.fps} fps, ${r.cpuMsPerFrame} ms, ${r.faultsPerFrame} faults`).join(' | ')}`,
    );
  }
  console.log(
    `segmentation stages at 1280x720, ms per frame (sequential, this process): ${Object.entries(results.stages1280x720 as Record<string, number>)
      .map(([k, v]) => `${k} ${v}`)
      .join(' · ')}`,
  );
  const pk = results.pick1280x720 as { fullFrameMs: number; clickMs: number };
  console.log(`pick at 1280x720: the whole frame ${pk.fullFrameMs} ms, a click ${pk.clickMs} ms`);
  const c3 = results.cameras3 as Awaited<ReturnType<typeof cameras3>>;
  const lat = Object.entries(c3.server.latency)
    .map(([k, l]) => `${k} ${l.p50}/${l.p95}/${l.p99} ms @ ${l.fps} fps`)
    .join(', ');
  console.log(
    `three 1280x720 cameras at 30 fps: CPU ${c3.server.cpuPerSecondMs} ms/s against ${c3.direct.cpuPerSecondMs} for three direct loops (${c3.cpuRatio}x); memory MB (RSS/PSS/private) front ${Object.values(c3.server.rssMb.front).join('/')}, cameras ${Object.values(
      c3.server.rssMb.cameras,
    )
      .map((m) => Object.values(m).join('/'))
      .join(
        ' · ',
      )}, direct loops ${c3.direct.rssMb.map((m) => Object.values(m).join('/')).join(' · ')}; latency p50/p95/p99 ${lat}; SIGKILL of camera a → its next frame ${c3.kill.recoveryMs} ms, the others meanwhile at ${c3.kill.fpsMeanwhile.b} / ${c3.kill.fpsMeanwhile.c} fps (${c3.kill.fpsBefore.b} / ${c3.kill.fpsBefore.c} before: ${Math.round(c3.kill.keptShare * 100)}%)`,
  );
  console.log(publishFigures(results.publish1280x720 as PublishResult));
  console.log(formatMethodsBench(results.methods1280x720 as MethodsBench));
  for (const line of outputsFigures(results.outputs as OutputsResult)) console.log(line);
  if (results.chromium) console.log(`viewer in Chromium (demo, 30 fps): ${JSON.stringify(results.chromium)}`);
  if (results.soak) console.log(`soak: ${JSON.stringify(results.soak)}`);
  const out = join(OUT_DIR, QUICK ? 'results-quick.json' : 'results.json');
  writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  console.log(`\n${out} written in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
