/**
 * What the bench reads about a process from Linux's /proc.
 */
import { readFileSync } from 'node:fs';

const CLK_TCK = 100; // Linux USER_HZ

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

/** rssMb is a process's resident memory, MB. */
export function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}
