/**
 * Starts the real, built segcam server (the front, which starts one process per camera) on a
 * free loopback port, and reads the URL it prints. Each server gets a temporary data folder,
 * removed when it stops (unless the test gave its own folder).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CameraSummary } from '../../shared/status.js';
import { ROOT } from './root.js';

export { ROOT };
export const MAIN = `${ROOT}dist/server/main.js`;

export interface ServerHandle {
  proc: ChildProcess;
  /** the front's pid */
  pid: number;
  port: number;
  token: string | null;
  base: string;
  dataDir: string;
  /** everything the server wrote, stdout and stderr */
  output: () => string;
  /** GET /api/cameras */
  cameras: () => Promise<CameraSummary[]>;
  /** pid of a camera's process (the first camera's by default) */
  cameraPid: (name?: string) => Promise<number>;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

export interface StartOptions {
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** a folder of the test's own (kept after stop); default: a temporary one, removed at stop */
  dataDir?: string;
  /** default: a fixed test token; null: --no-auth; 'kept': no token flag (segcam's own, kept in the data folder) */
  token?: string | null;
}

export const TEST_TOKEN = 'test-token-0123456789';

/** tempDir makes a temporary folder; `removeTempDirs` (or the server's stop) removes it. */
const temps = new Set<string>();
export function tempDir(prefix = 'segcam-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.add(d);
  return d;
}
export function removeTempDirs(): void {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
  temps.clear();
}

/** startServer starts segcam and resolves once it prints its URL. */
export async function startServer(o: StartOptions = {}): Promise<ServerHandle> {
  const own = o.dataDir === undefined;
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'segcam-test-'));
  let token = o.token === undefined ? TEST_TOKEN : o.token;
  const tokenArgs = token === 'kept' ? [] : token ? ['--token', token] : ['--no-auth'];
  const args = [MAIN, '--port', '0', '--data-dir', dataDir, ...tokenArgs, ...(o.args ?? [])];
  const proc = spawn(process.execPath, args, { env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 20_000);
    const check = (): void => {
      const m = /listening on [^\s]+:(\d+)/.exec(out);
      if (m && /\ncameras: /.test(out)) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    proc.stdout!.on('data', check);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      if (own) rmSync(dataDir, { recursive: true, force: true });
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  if (token === 'kept') token = decodeURIComponent(/\?token=([^\s]+)/.exec(out)?.[1] ?? '');
  const base = `http://127.0.0.1:${port}`;
  const cameras = async (): Promise<CameraSummary[]> => {
    const res = await fetch(`${base}/api/cameras`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return ((await res.json()) as { cameras: CameraSummary[] }).cameras;
  };
  return {
    proc,
    pid: proc.pid!,
    port,
    token,
    base,
    dataDir,
    output: () => out,
    cameras,
    async cameraPid(name) {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const list = await cameras();
        const c = name ? list.find((x) => x.name === name) : list[0];
        if (c?.pid) return c.pid;
        if (Date.now() > deadline) throw new Error(`camera ${name ?? '(first)'} has no process`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && !proc.signalCode) {
        proc.kill(signal);
        const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
      if (own) rmSync(dataDir, { recursive: true, force: true });
      return proc.exitCode;
    },
  };
}

/** runCli runs segcam to completion (for --help and bad flags). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 15_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

/** authHeaders are the headers that carry a server's token (none with --no-auth). */
export function authHeaders(s: ServerHandle, extra: Record<string, string> = {}): Record<string, string> {
  return { ...(s.token ? { authorization: `Bearer ${s.token}` } : {}), ...extra };
}

/** jsonHeaders are authHeaders for a request with a JSON body. */
export function jsonHeaders(s: ServerHandle): Record<string, string> {
  return authHeaders(s, { 'content-type': 'application/json' });
}
