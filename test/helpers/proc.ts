/**
 * What tests and the bench read about a process from Linux's /proc.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

const CLK_TCK = 100; // Linux USER_HZ

/** stat is /proc/PID/stat after the command name: [0] state, [1] ppid, [7] minflt, [11] utime, [12] stime. */
function stat(pid: number): string[] {
  return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
}

/** cpuMs is the CPU time (user + system, all threads) a process has used, ms. */
export function cpuMs(pid: number): number {
  const f = stat(pid);
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}

/** minorFaults counts the pages a process has faulted in (fresh memory touched). */
export function minorFaults(pid: number): number {
  return Number(stat(pid)[7]);
}

/** parentPid is a process's parent. */
export function parentPid(pid: number): number {
  return Number(stat(pid)[1]);
}

/** alive is true while a process exists and is not a zombie. */
export function alive(pid: number): boolean {
  return existsSync(`/proc/${pid}`) && stat(pid)[0] !== 'Z';
}

/** rssKb is a process's resident memory, kB. */
export function rssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

/** rssMb is a process's resident memory, MB. */
export function rssMb(pid: number): number {
  return rssKb(pid) / 1024;
}

/**
 * memory is a process's resident memory three ways, MB: RSS (every page it maps, shared
 * libraries included), PSS (shared pages divided among the processes that map them: what it
 * costs the machine) and private (pages no other process has).
 */
export function memory(pid: number): { rss: number; pss: number; private: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  const mb = (v: number): number => Math.round(v / 102.4) / 10;
  return { rss: mb(kb('Rss')), pss: mb(kb('Pss')), private: mb(kb('Private_Clean') + kb('Private_Dirty')) };
}

/** childPids lists a process's children (every thread's), with the command each runs. */
export function childPids(pid: number): { pid: number; command: string }[] {
  const out: { pid: number; command: string }[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    for (const child of text.split(/\s+/).filter(Boolean).map(Number)) {
      try {
        out.push({ pid: child, command: readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0')[0]! });
      } catch {
        // it ended meanwhile
      }
    }
  }
  return out;
}
