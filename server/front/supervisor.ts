/**
 * The supervisor of one camera process: spawns it with its environment (allocator tunables,
 * FFmpeg options), sends it `start` (its settings and watched views, so that a restarted camera
 * carries on where the last one was), and restarts it with capped backoff when it exits,
 * crashes, or says nothing for longer than its timeout (then it is killed first). The front
 * never exits because of a camera.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { backoffDelay } from '../capture/backoff.js';
import type { CameraCommand, CameraEvent, CameraStart } from '../camera/messages.js';
import type { Logger } from '../log.js';

/** CAMERA_ENTRY is the built camera process. */
export const CAMERA_ENTRY = new URL('../camera/main.js', import.meta.url);

/** RESTART is the restart backoff: the first retry within a second, then doubling to 30 s. */
export const RESTART = { minMs: 500, maxMs: 30_000 };
/** HEALTHY_MS a process must run before its restarts count again from the first delay. */
const HEALTHY_MS = 30_000;
const WATCH_MS = 250;
const STOP_GRACE_MS = 3000;

export interface SupervisorOptions {
  /** ms of silence after which the process is killed and restarted */
  timeoutMs: number;
  env: NodeJS.ProcessEnv;
  log: Logger;
  entry?: URL | string;
}

/**
 * CameraProcess events: `event` for each message from the camera, `up` when a process has
 * started, `down` when it has gone (with why, and when the next one starts).
 */
export class CameraProcess extends EventEmitter<{ event: [CameraEvent]; up: [number]; down: [string, number] }> {
  restarts = 0;
  private child: ChildProcess | null = null;
  private attempt = 0;
  private lastHeard = 0;
  private startedAt = 0;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private readonly watch: NodeJS.Timeout;

  constructor(
    readonly name: string,
    /** builds the start command from the camera's current settings and views */
    private readonly startCommand: () => CameraStart,
    private readonly o: SupervisorOptions,
  ) {
    super();
    this.watch = setInterval(() => this.checkAlive(), WATCH_MS);
    this.watch.unref();
  }

  /** pid of the running process, or null while there is none. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get up(): boolean {
    return this.child !== null;
  }

  start(): void {
    if (this.child || this.stopping) return;
    const entry = this.o.entry ?? CAMERA_ENTRY;
    const child = spawn(process.execPath, [entry instanceof URL ? entry.pathname : entry], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced', // JPEG bytes cross as bytes, not as JSON arrays
      env: this.o.env,
    });
    this.child = child;
    this.lastHeard = Date.now();
    this.startedAt = Date.now();
    child.on('message', (ev: CameraEvent) => {
      this.lastHeard = Date.now();
      this.emit('event', ev);
    });
    child.on('error', (e) => this.o.log.error(`camera ${this.name}: ${e.message}`));
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    let pending = '';
    let lines = 0;
    child.stderr!.on('data', (d: Buffer) => {
      // the binding and FFmpeg write natively to stderr: pass on a few lines, never a flood
      pending += d.toString();
      const parts = pending.split('\n');
      pending = parts.pop()!.slice(-2000);
      for (const line of parts) if (line.trim() && lines++ < 50) this.o.log.warn(`camera ${this.name}: ${line.slice(0, 300)}`);
    });
    if (child.pid) {
      this.send(this.startCommand());
      this.emit('up', child.pid);
    }
  }

  /** send passes a command to the process, if one runs (a restarted one gets `start` with the state instead). */
  send(cmd: CameraCommand): void {
    const c = this.child;
    if (!c?.connected) return;
    try {
      c.send(cmd);
    } catch {
      // the channel is closing: the exit handler takes over
    }
  }

  /** stop asks the process to stop, and kills it if it does not within a grace period. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.watch);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const c = this.child;
    if (!c) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    this.send({ type: 'stop' });
    const grace = setTimeout(() => c.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(grace);
  }

  /** kill ends the process as a crash would (tests, and a hung process). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child?.kill(signal);
  }

  private checkAlive(): void {
    const c = this.child;
    if (!c || this.stopping) return;
    const silent = Date.now() - this.lastHeard;
    if (silent > this.o.timeoutMs) {
      this.o.log.error(`camera ${this.name}: no word from its process (pid ${c.pid}) for ${(silent / 1000).toFixed(1)} s: killing it`);
      this.lastHeard = Date.now(); // once
      c.kill('SIGKILL');
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = null;
    if (this.stopping) return;
    if (Date.now() - this.startedAt >= HEALTHY_MS) this.attempt = 0;
    this.attempt++;
    this.restarts++;
    const delay = backoffDelay(this.attempt, { ...RESTART, jitter: 0.2 });
    const why = `its process ended (${signal ?? `exit code ${code}`})`;
    this.o.log.warn(`camera ${this.name}: ${why}; restarting in ${(delay / 1000).toFixed(1)} s`);
    this.emit('down', why, Date.now() + delay);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.start();
    }, delay);
  }
}
