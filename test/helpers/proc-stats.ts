import { readFileSync } from 'node:fs';

/** Peak and current resident set size of a process (Linux /proc), in bytes. */
export function memoryOf(pid: number): { peakRss: number; rss: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { peakRss: kb('VmHWM'), rss: kb('VmRSS') };
}

/** The pids of a process and all its descendants (tsx runs node as a child). */
export function processTree(pid: number): number[] {
  const out = [pid];
  try {
    for (const task of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) out.push(...processTree(Number(task)));
  } catch {
    // gone
  }
  return out;
}
