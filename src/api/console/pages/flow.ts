/**
 * `/ui/flow`: per stage, over the sampler's window (./../flow-sampler.ts): throughput (outputs
 * per second), input lag, paused partitions and the adaptive controller's rate, one SVG chart
 * each with a line per stage, and the latest values as a table (the accessible reading of the
 * charts). Live: re-rendered from `?fragment=1` at the sampling interval.
 */
import type { FlowSnapshot, StagePoint } from '../flow-sampler.ts';
import { html, raw, type SafeHtml } from '../html.ts';

const COLORS = ['#0a58ca', '#d63384', '#198754', '#fd7e14', '#6f42c1', '#20c997', '#6c757d'];
const PANELS: ReadonlyArray<{ key: keyof StagePoint; title: string; unit: string }> = [
  { key: 'throughput', title: 'Throughput', unit: 'outputs/s' },
  { key: 'lag', title: 'Input lag', unit: 'records' },
  { key: 'rate', title: 'Controller rate', unit: 'admitted/s' },
  { key: 'paused', title: 'Paused partitions', unit: 'partitions' },
];

const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

/** One panel: a polyline per stage over time, y from 0 to the panel's maximum. */
function chart(snapshot: FlowSnapshot, key: keyof StagePoint, title: string, unit: string): SafeHtml {
  const w = 520;
  const h = 140;
  const pad = { l: 44, r: 8, t: 8, b: 20 };
  const points = snapshot.points;
  const max = Math.max(1e-9, ...points.flatMap((p) => snapshot.stages.map((s) => p.stages[s]?.[key] ?? 0)));
  const t0 = points[0]?.at ?? 0;
  const span = Math.max(1, (points.at(-1)?.at ?? 0) - t0);
  const x = (at: number): number => pad.l + ((at - t0) / span) * (w - pad.l - pad.r);
  const y = (v: number): number => h - pad.b - (v / max) * (h - pad.t - pad.b);
  const lines = snapshot.stages.map((stage, i) => {
    const d = points.map((p) => `${x(p.at).toFixed(1)},${y(p.stages[stage]?.[key] ?? 0).toFixed(1)}`).join(' ');
    return points.length > 1 ? `<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2" points="${d}" data-stage="${stage}"/>` : '';
  }).join('');
  const minutes = (span / 60_000).toFixed(1);
  const svg = `<svg viewBox="0 0 ${w} ${h}" role="img" aria-label="${title} per stage over the last ${minutes} minutes, up to ${fmt(max)} ${unit}" xmlns="http://www.w3.org/2000/svg">`
    + `<line x1="${pad.l}" y1="${h - pad.b}" x2="${w - pad.r}" y2="${h - pad.b}" stroke="#d0d7de"/><line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${h - pad.b}" stroke="#d0d7de"/>`
    + `<text x="${pad.l - 4}" y="${pad.t + 10}" text-anchor="end" font-size="11" fill="#57606a">${fmt(max)}</text><text x="${pad.l - 4}" y="${h - pad.b}" text-anchor="end" font-size="11" fill="#57606a">0</text>`
    + `<text x="${w - pad.r}" y="${h - 4}" text-anchor="end" font-size="11" fill="#57606a">now</text><text x="${pad.l}" y="${h - 4}" font-size="11" fill="#57606a">−${minutes} min</text>${lines}</svg>`;
  return html`<figure class="chart" data-panel="${key}"><figcaption>${title} (${unit})</figcaption>${raw(svg)}</figure>`;
}

export function flowFragment(snapshot: FlowSnapshot): SafeHtml {
  const last = snapshot.points.at(-1);
  return html`<div id="flow" data-points="${snapshot.points.length}">
<div class="legend">${snapshot.stages.map((s, i) => html`<span><span class="swatch" style="background:${COLORS[i % COLORS.length]}"></span>${s}</span>`)}</div>
${last?.down.length ? html`<p class="notice error" role="alert">Not answering: ${last.down.join(', ')}</p>` : ''}
<div class="charts">${PANELS.map((p) => chart(snapshot, p.key, p.title, p.unit))}</div>
<table id="flow-latest">
<caption>Latest sample${last ? html` (${new Date(last.at).toISOString().slice(11, 19)} UTC)` : ': none yet'}</caption>
<thead><tr><th scope="col">Stage</th>${PANELS.map((p) => html`<th scope="col" class="num">${p.title}</th>`)}</tr></thead>
<tbody>${snapshot.stages.map((s) => html`<tr data-stage="${s}"><th scope="row">${s}</th>${PANELS.map((p) => html`<td class="num" data-metric="${p.key}">${fmt(last?.stages[s]?.[p.key] ?? 0)}</td>`)}</tr>`)}</tbody>
</table>
<p class="meta">Sampled every ${snapshot.intervalMs / 1000} s from ${snapshot.sources.join(', ') || 'nothing'}.${snapshot.sources.includes('this process') ? ' The stages run in this process (an embedded store): lag, controller rate and paused partitions are those of Kafka stage services, set CONSOLE_METRICS_URLS to watch them.' : ''}</p>
</div>`;
}
