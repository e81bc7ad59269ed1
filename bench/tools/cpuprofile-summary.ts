/**
 * Summarises V8 CPU profiles (`node --cpu-prof`, or `era-ingest bench --cpu-prof`): self time
 * by function and by file/package, top N, idle and GC shown separately.
 *
 *   node --import tsx bench/tools/cpuprofile-summary.ts <file.cpuprofile>… [--top 25]
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Where a script URL belongs: a node_modules package, node internals, or a project file. */
export function ownerOf(url: string): string {
  if (!url) return '(native)';
  if (url.startsWith('node:')) return 'node:internal';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  const project = /\/(src|bench|test)\/(.+)$/.exec(url);
  return project ? `${project[1]}/${project[2]}` : url;
}

export function summarise(profile: Profile): { totalMs: number; byFunction: Map<string, number>; byOwner: Map<string, number> } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + (deltas[i] ?? 0));
  const byFunction = new Map<string, number>();
  const byOwner = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const key = `${functionName || '(anonymous)'} ${url ? `${ownerOf(url)}${lineNumber > 0 ? `:${lineNumber + 1}` : ''}` : ''}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + us / 1000);
    const owner = ['(idle)', '(garbage collector)', '(program)'].includes(functionName) ? functionName : ownerOf(url);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + us / 1000);
  }
  return { totalMs: (profile.endTime - profile.startTime) / 1000, byFunction, byOwner };
}

const top = (m: Map<string, number>, n: number): Array<[string, number]> => [...m].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, n);

function main(args: string[]): void {
  const n = args.includes('--top') ? Number(args[args.indexOf('--top') + 1]) : 25;
  const files = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--top');
  for (const file of files) {
    const { totalMs, byFunction, byOwner } = summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile);
    const busy = totalMs - (byOwner.get('(idle)') ?? 0);
    process.stdout.write(`\n== ${basename(file)}: ${(totalMs / 1000).toFixed(1)} s profiled, ${(busy / 1000).toFixed(1)} s on CPU (${((busy / totalMs) * 100).toFixed(0)} %)\n`);
    process.stdout.write('  by file / package (self time, % of on-CPU time):\n');
    for (const [k, v] of top(byOwner, 12)) process.stdout.write(`    ${v.toFixed(0).padStart(8)} ms  ${((v / busy) * 100).toFixed(1).padStart(5)} %  ${k}\n`);
    process.stdout.write(`  top ${n} functions (self time):\n`);
    for (const [k, v] of top(byFunction, n)) process.stdout.write(`    ${v.toFixed(0).padStart(8)} ms  ${((v / busy) * 100).toFixed(1).padStart(5)} %  ${k}\n`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
