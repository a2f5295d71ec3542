/**
 * The allocator settings video frames need. With glibc's defaults, the big per-frame buffers
 * (a 1280x720 BGR frame is 2.7 MB; a frame makes several) that the OpenCV thread frees go back
 * to the kernel at the end of every frame, so the next frame page-faults them all in again.
 * Measured here at 1280x720: 2 to 4 times the CPU per frame, and half the frame rate. Raising
 * the mmap and trim thresholds keeps them in the heap (RSS within a few MB of the default).
 * glibc reads its tunables only when a process starts, so segcam starts itself again, once,
 * with them set; the first process stays as a thin launcher that relays signals and the exit.
 */
import { spawn } from 'node:child_process';

/** MALLOC_TUNABLES: frames below 32 MiB come from the heap; up to 64 MiB of free heap is kept. */
export const MALLOC_TUNABLES = 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=67108864';

/** RELAUNCHED marks the process started by the launcher (never relaunch twice). */
const RELAUNCHED = 'SEGCAM_RELAUNCHED';
const RELAYED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/** the mark is for this process only, not for the processes it starts */
const relaunched = Boolean(process.env[RELAUNCHED]);
delete process.env[RELAUNCHED];

/**
 * mallocNeedsTuning says whether this process runs with glibc's default allocator settings
 * that segcam would change. `SEGCAM_MALLOC_TUNING=off` keeps the defaults (for measuring).
 */
export function mallocNeedsTuning(env: NodeJS.ProcessEnv = process.env, glibc = hasGlibc()): boolean {
  if (!glibc || relaunched || env.SEGCAM_MALLOC_TUNING === 'off') return false;
  return !(env.GLIBC_TUNABLES ?? '').includes('glibc.malloc.'); // the user's own malloc tunables win
}

/** tunedEnv is `env` with segcam's malloc tunables added to any other GLIBC_TUNABLES. */
export function tunedEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const tunables = [env.GLIBC_TUNABLES, MALLOC_TUNABLES].filter(Boolean).join(':');
  return { ...env, GLIBC_TUNABLES: tunables };
}

/**
 * relaunchWithTunedMalloc starts this same command again with the tunables when they are
 * missing, and returns true: the caller must then do nothing else (this process waits for the
 * other, relays SIGINT/SIGTERM/SIGHUP to it and exits as it does). Returns false when this
 * process is the one to run.
 */
export function relaunchWithTunedMalloc(): boolean {
  if (!mallocNeedsTuning()) return false;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'], // the IPC channel tells the child if we die
    env: { ...tunedEnv(), [RELAUNCHED]: String(process.pid) },
  });
  for (const signal of RELAYED_SIGNALS) process.on(signal, () => child.kill(signal));
  child.on('error', (e) => {
    process.stderr.write(`segcam: cannot start ${process.execPath}: ${e.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal); // end the way the server ended
    }
    process.exit(code ?? 1);
  });
  return true;
}

/**
 * onLauncherGone calls `gone` if the launcher that started this process dies without relaying
 * a signal (SIGKILL): the server then stops instead of running on orphaned.
 */
export function onLauncherGone(gone: () => void): void {
  if (!relaunched || !process.send) return;
  process.channel?.unref(); // the channel alone must not keep the server alive
  process.once('disconnect', gone);
}

function hasGlibc(): boolean {
  if (process.platform !== 'linux') return false;
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return Boolean(header?.glibcVersionRuntime);
}
