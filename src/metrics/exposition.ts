/**
 * Reading a Prometheus text exposition (a stage's /metrics): the few figures the console's flow
 * page and the bench take from it. A line-level reader rather than a parser library: only
 * untyped sample lines are read (`name{labels} value`), which the text format defines line by
 * line; comments, timestamps and histograms' structure are not needed.
 */

/** Sum of a Prometheus metric's samples in an exposition text, optionally filtered by labels. */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const found: Record<string, string> = {};
    for (const pair of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) found[pair[1]!] = pair[2]!;
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) sum += Number(m[4]);
  }
  return sum;
}
