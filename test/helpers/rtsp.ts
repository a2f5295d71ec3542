/**
 * Starts and stops the real RTSP server (GStreamer, via rtsp-server.py) for tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { ROOT } from './root.js';

const SCRIPT = `${ROOT}test/helpers/rtsp-server.py`;

/** freePort asks the kernel for a free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export class RtspServer {
  private proc: ChildProcess | null = null;
  constructor(
    readonly port: number,
    readonly path = '/cam',
  ) {}

  get url(): string {
    return `rtsp://127.0.0.1:${this.port}${this.path}`;
  }

  /** start launches the server and resolves when it listens (retrying while the port is busy). */
  async start(): Promise<void> {
    for (let i = 0; i < 20; i++) {
      const proc = spawn('/usr/bin/python3', [SCRIPT, String(this.port), this.path], { stdio: ['ignore', 'pipe', 'pipe'] });
      const ok = await new Promise<boolean>((resolve) => {
        let out = '';
        proc.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('ready')) resolve(true);
          if (out.includes('cannot listen')) resolve(false);
        });
        proc.on('exit', () => resolve(false));
      });
      if (ok) {
        this.proc = proc;
        return;
      }
      proc.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`RTSP server could not listen on ${this.port}`);
  }

  /** kill stops it abruptly, as a camera losing power would. */
  async kill(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  }

  /** pause freezes the process: the connection stays open but no data flows. */
  pause(): void {
    this.proc?.kill('SIGSTOP');
  }

  resume(): void {
    this.proc?.kill('SIGCONT');
  }
}
