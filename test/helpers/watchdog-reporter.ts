/**
 * A reporter that turns a blocked test run into a failed one. Vitest's timeouts run inside
 * the test's worker: a worker blocked in a native call (a GStreamer pipeline waiting on its
 * server, say) never times out, and the run would wait for ever. This reporter lives in the
 * runner's own process: when nothing has happened for a test's own timeout plus GRACE_MS, it
 * says which file, test or hook is stuck, kills the workers and what they started, and ends
 * the run with exit code 1.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Reporter, TestCase, TestModule } from 'vitest/node';

/** GRACE_MS is how long past its own timeout a test (or hook) may go without finishing, ms (SEGCAM_WATCHDOG_GRACE_MS sets it, for the watchdog's own test) */
const GRACE_MS = Number(process.env.SEGCAM_WATCHDOG_GRACE_MS) || 180_000;
/** DEFAULT_TIMEOUT_MS is the config's testTimeout and hookTimeout, ms */
const DEFAULT_TIMEOUT_MS = 60_000;

/** descendants lists every process below `pid` (children first found through /proc). */
function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(d)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const c of parents.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

export default class WatchdogReporter implements Reporter {
  /** what started last and has not finished, and when */
  private current: { what: string; since: number; timeoutMs: number } | null = null;
  private timer: NodeJS.Timeout | null = null;

  onInit(): void {
    this.timer = setInterval(() => this.check(), Math.min(5000, GRACE_MS / 2));
    this.timer.unref();
  }

  onTestModuleStart(m: TestModule): void {
    this.start(`file ${m.moduleId} (collecting, or a beforeAll)`, DEFAULT_TIMEOUT_MS);
  }

  onTestCaseReady(t: TestCase): void {
    this.start(`test "${t.fullName}" in ${t.module.moduleId}`, t.options.timeout ?? DEFAULT_TIMEOUT_MS);
  }

  onTestCaseResult(t: TestCase): void {
    this.start(`hooks after "${t.fullName}" in ${t.module.moduleId}`, DEFAULT_TIMEOUT_MS);
  }

  onTestModuleEnd(): void {
    this.current = null;
  }

  onTestRunEnd(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private start(what: string, timeoutMs: number): void {
    this.current = { what, since: Date.now(), timeoutMs };
  }

  private check(): void {
    const c = this.current;
    if (!c || Date.now() - c.since < c.timeoutMs + GRACE_MS) return;
    const s = Math.round((Date.now() - c.since) / 1000);
    process.stderr.write(
      `\nwatchdog: the ${c.what} has not finished after ${s} s (its timeout is ${c.timeoutMs / 1000} s): its worker is blocked outside JavaScript. Killing the workers and ending the run.\n`,
    );
    for (const pid of descendants(process.pid).reverse()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    process.exit(1);
  }
}
