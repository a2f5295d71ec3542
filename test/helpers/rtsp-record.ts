/**
 * Starts and stops the RECORD-mode RTSP server (GStreamer, via rtsp-record-server.py) for
 * publishing tests: what a publisher sends is written to one MPEG-TS file per session, and the
 * times at which the published picture turned bright or dark are reported. Each start is a new
 * run with files of its own (run1-1.ts, run2-1.ts, ...), so a restarted server never
 * overwrites what the one before it received.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './root.js';

/** SCRIPT is found from the project's folder, so that the bench's build (in .bench/build) finds it too. */
const SCRIPT = `${ROOT}test/helpers/rtsp-record-server.py`;

/** Session is one publisher's session: which run of the server, its number in that run, its file. */
export interface Session {
  run: number;
  n: number;
  file: string;
}

/** Luma is a change of the published picture's top-left pixel as the server decoded it (wall clock ms). */
export interface Luma {
  run: number;
  session: number;
  at: number;
  bright: boolean;
}

/** RtspRecordServer is the RECORD-mode server on one port, over its runs. */
export class RtspRecordServer {
  private proc: ChildProcess | null = null;
  private run = 0;
  readonly sessions: Session[] = [];
  readonly lumas: Luma[] = [];
  output = '';

  constructor(
    readonly port: number,
    /** where the session files go */
    readonly dir: string,
    readonly path = '/pub',
  ) {}

  get url(): string {
    return `rtsp://127.0.0.1:${this.port}${this.path}`;
  }

  /** start launches a new run and resolves when it listens (retrying while the port is still busy). */
  async start(): Promise<void> {
    for (let i = 0; i < 20; i++) {
      const run = ++this.run;
      const proc = spawn('/usr/bin/python3', [SCRIPT, String(this.port), this.path, join(this.dir, `run${run}`)], { stdio: ['ignore', 'pipe', 'pipe'] });
      proc.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
      let buf = '';
      const ok = await new Promise<boolean>((resolve) => {
        proc.stdout!.on('data', (d: Buffer) => {
          buf += d.toString();
          const lines = buf.split('\n');
          buf = lines.pop()!;
          for (const line of lines) {
            this.output += `${line}\n`;
            const s = /^session (\d+) (.+)$/.exec(line);
            if (s) this.sessions.push({ run, n: Number(s[1]), file: s[2]! });
            const l = /^luma (\d+) (\d+) (\d+)$/.exec(line);
            if (l) this.lumas.push({ run, session: Number(l[1]), at: Number(l[2]), bright: Number(l[3]) >= 128 });
            if (line === 'ready') resolve(true);
            if (line.startsWith('cannot listen')) resolve(false);
          }
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
    throw new Error(`RTSP record server could not listen on ${this.port}:\n${this.output}`);
  }

  /** kill stops it abruptly, as a media server crashing would. */
  async kill(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  }

  /** sessionsOfRun lists the sessions of one run (the current one by default). */
  sessionsOfRun(run = this.run): Session[] {
    return this.sessions.filter((s) => s.run === run);
  }
}
