/**
 * Starts the real, built segcam server as a child process on a free loopback port, and reads
 * the URL and token it prints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** ROOT is the project folder, whether this file runs from test/ (vitest) or dist/test/ (bench). */
export const ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/test/') ? '../../../' : '../../', import.meta.url));
export const MAIN = `${ROOT}dist/server/main.js`;

export interface ServerHandle {
  /** the process started: the launcher when segcam relaunched itself (see server/malloc.ts) */
  proc: ChildProcess;
  /** the process that serves (for CPU, RSS and raw signals): proc's child after a relaunch */
  pid: number;
  port: number;
  token: string | null;
  base: string;
  dataDir: string;
  /** everything the server wrote, stdout and stderr */
  output: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

export interface StartOptions {
  args?: string[];
  env?: NodeJS.ProcessEnv;
  dataDir?: string;
  /** default: a fixed test token */
  token?: string | null;
}

export const TEST_TOKEN = 'test-token-0123456789';

/** startServer starts segcam and resolves once it prints its URL. */
export async function startServer(o: StartOptions = {}): Promise<ServerHandle> {
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'segcam-test-'));
  const token = o.token === undefined ? TEST_TOKEN : o.token;
  const args = [MAIN, '--port', '0', '--data-dir', dataDir, ...(token ? ['--token', token] : ['--no-auth']), ...(o.args ?? [])];
  const proc = spawn(process.execPath, args, { env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 20_000);
    const check = (): void => {
      const m = /listening on [^\s]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    proc.stdout!.on('data', check);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    proc,
    pid: servingPid(proc.pid!),
    port,
    token,
    base: `http://127.0.0.1:${port}`,
    dataDir,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode) return proc.exitCode;
      proc.kill(signal);
      const t = setTimeout(() => proc.kill('SIGKILL'), 8000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

/** servingPid is the launcher's child if it has one (it relaunched itself), else the launcher. */
export function servingPid(pid: number): number {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  return children.length ? Number(children[0]) : pid;
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
