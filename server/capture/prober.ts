/**
 * Runs the probe process (probe.ts) for a network source with a hard deadline: whatever the
 * source does (refuses, never answers, drips a byte every two seconds), the answer comes within
 * the deadline and the camera's own thread never waits on the network.
 */
import { spawn } from 'node:child_process';
import { REASONS, type Reason } from '../../shared/status.js';
import { redactSource } from './source.js';

/** ProbeResult is what the probe found: the stream's shape, or why there is none. */
export type ProbeResult = { ok: true; width: number; height: number; fps: number; frames: number; openMs: number } | { ok: false; reason: Reason; error: string };

/** PROBE_ENTRY is the built probe process. */
export const PROBE_ENTRY = new URL('./probe.js', import.meta.url);

/**
 * probeUrl probes `url`, giving up at `deadlineMs` (the probe process is then killed) or when
 * `signal` aborts (a newer switch, or the camera stopping).
 */
export function probeUrl(url: string, deadlineMs: number, signal?: AbortSignal, entry: URL | string = PROBE_ENTRY): Promise<ProbeResult> {
  const label = redactSource(url);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [entry instanceof URL ? entry.pathname : entry], { stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    let settled = false;
    const settle = (r: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      resolve(r);
    };
    const timer = setTimeout(() => settle({ ok: false, reason: REASONS.TIMEOUT, error: `no picture from ${label} within ${(deadlineMs / 1000).toFixed(1)} s` }), deadlineMs);
    const onAbort = (): void => settle({ ok: false, reason: REASONS.STOPPED, error: 'cancelled' });
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.length > 64 * 1024) out = out.slice(-4096);
    });
    child.on('error', (e) => settle({ ok: false, reason: REASONS.NO_SIGNAL, error: `cannot start the probe: ${e.message}` }));
    child.on('exit', (code, sig) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        settle(JSON.parse(line) as ProbeResult);
      } catch {
        settle({ ok: false, reason: REASONS.NO_SIGNAL, error: `opening ${label} failed (probe ended with ${sig ?? `code ${code}`})` });
      }
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(JSON.stringify({ url, deadlineMs }));
  });
}
