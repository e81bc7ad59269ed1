/**
 * Hand-written SVG chart of a benchmark run: one row per scenario with three panels over
 * time — throughput (end-to-end chunks/s and each stage's output rate), publish→stored
 * latency (p50, p95 per second) and resident memory per process. Pure: series in, SVG text
 * out (valid standalone XML, no scripts, no external references).
 */
import type { SeriesPoint } from './types.ts';

export interface ChartScenario {
  id: string;
  title: string;
  series: readonly SeriesPoint[];
}

export interface ChartOptions {
  title?: string;
  /** Width of one panel, px. @defaultValue 360 */
  panelWidth?: number;
  /** Height of one panel, px. @defaultValue 170 */
  panelHeight?: number;
}

interface Line {
  name: string;
  color: string;
  /** One value per point; undefined breaks the line. */
  values: Array<number | undefined>;
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];
const LATENCY_COLORS = { p50: '#17becf', p95: '#d62728' };

/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** The smallest 1, 2 or 5 × 10^k that is ≥ value (1 for value ≤ 0). */
export function niceMax(value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 5, 10]) if (m * power >= value) return m * power;
  return 10 * power;
}

const fmt = (n: number): string => (n >= 10_000 ? `${(n / 1000).toFixed(0)}k` : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : Number.isInteger(n) ? String(n) : n.toFixed(1));
const num = (n: number): string => (Math.round(n * 10) / 10).toString();

function panel(x: number, y: number, w: number, h: number, label: string, unit: string, times: number[], lines: Line[]): string {
  const pad = { left: 46, right: 8, top: 18, bottom: 22 };
  const pw = w - pad.left - pad.right;
  const ph = h - pad.top - pad.bottom;
  const tMax = niceMax(Math.max(1, ...times));
  const vMax = niceMax(Math.max(0, ...lines.flatMap((l) => l.values.filter((v): v is number => v !== undefined && Number.isFinite(v)))));
  const px = (t: number): number => x + pad.left + (t / tMax) * pw;
  const py = (v: number): number => y + pad.top + ph - (Math.min(v, vMax) / vMax) * ph;
  const out: string[] = [];
  out.push(`<g class="panel" data-label="${escapeXml(label)}">`);
  out.push(`<text x="${num(x + pad.left)}" y="${num(y + 12)}" class="label">${escapeXml(label)} (${escapeXml(unit)})</text>`);
  out.push(`<rect x="${num(x + pad.left)}" y="${num(y + pad.top)}" width="${num(pw)}" height="${num(ph)}" class="frame"/>`);
  for (const f of [0, 0.5, 1]) {
    const gy = py(vMax * f);
    out.push(`<line x1="${num(x + pad.left)}" y1="${num(gy)}" x2="${num(x + pad.left + pw)}" y2="${num(gy)}" class="grid"/>`);
    out.push(`<text x="${num(x + pad.left - 4)}" y="${num(gy + 3)}" class="tick" text-anchor="end">${fmt(vMax * f)}</text>`);
  }
  for (const f of [0, 0.5, 1]) out.push(`<text x="${num(px(tMax * f))}" y="${num(y + h - 8)}" class="tick" text-anchor="middle">${fmt(tMax * f)} s</text>`);
  for (const line of lines) {
    let segment: string[] = [];
    const flush = (): void => {
      if (segment.length === 1) out.push(`<circle cx="${segment[0]!.split(',')[0]}" cy="${segment[0]!.split(',')[1]}" r="1.5" fill="${line.color}" data-series="${escapeXml(line.name)}"/>`);
      else if (segment.length > 1) out.push(`<polyline points="${segment.join(' ')}" fill="none" stroke="${line.color}" stroke-width="1.5" data-series="${escapeXml(line.name)}"/>`);
      segment = [];
    };
    line.values.forEach((v, i) => {
      if (v === undefined || !Number.isFinite(v)) return flush();
      segment.push(`${num(px(times[i]!))},${num(py(v))}`);
    });
    flush();
  }
  lines.forEach((line, i) => {
    const lx = x + pad.left + 6 + (i % 3) * (pw / 3);
    const ly = y + pad.top + 10 + Math.floor(i / 3) * 11;
    out.push(`<rect x="${num(lx)}" y="${num(ly - 6)}" width="8" height="3" fill="${line.color}"/><text x="${num(lx + 11)}" y="${num(ly)}" class="legend">${escapeXml(line.name)}</text>`);
  });
  out.push('</g>');
  return out.join('\n');
}

/** The series names each panel shows, for a scenario's points. */
export function chartLines(series: readonly SeriesPoint[]): { throughput: Line[]; latency: Line[]; memory: Line[] } {
  const keys = (pick: (p: SeriesPoint) => Record<string, number> | undefined): string[] => [...new Set(series.flatMap((p) => Object.keys(pick(p) ?? {})))];
  const throughput: Line[] = [{ name: 'end-to-end', color: PALETTE[0]!, values: series.map((p) => p.chunksPerSec) }];
  keys((p) => p.stages).forEach((name, i) => throughput.push({ name, color: PALETTE[(i + 1) % PALETTE.length]!, values: series.map((p) => p.stages?.[name]) }));
  const latency: Line[] = series.some((p) => p.p50Ms !== undefined)
    ? [{ name: 'p50', color: LATENCY_COLORS.p50, values: series.map((p) => p.p50Ms) }, { name: 'p95', color: LATENCY_COLORS.p95, values: series.map((p) => p.p95Ms) }]
    : [];
  const memory: Line[] = keys((p) => p.rssMb).map((name, i) => ({ name, color: PALETTE[(i + 1) % PALETTE.length]!, values: series.map((p) => p.rssMb?.[name]) }));
  return { throughput, latency, memory };
}

/** Renders the chart; scenarios without points are listed but not drawn. */
export function renderChart(scenarios: readonly ChartScenario[], { title = 'era-ingest benchmark', panelWidth = 360, panelHeight = 170 }: ChartOptions = {}): string {
  const drawn = scenarios.filter((s) => s.series.length > 0);
  const rowHeight = panelHeight + 26;
  const width = panelWidth * 3 + 20;
  const height = 40 + drawn.length * rowHeight + 10;
  const body: string[] = [];
  drawn.forEach((s, r) => {
    const y = 40 + r * rowHeight;
    const times = s.series.map((p) => p.t);
    const { throughput, latency, memory } = chartLines(s.series);
    body.push(`<g class="scenario" id="${escapeXml(s.id.replace(/[^A-Za-z0-9_.-]/g, '_'))}">`);
    body.push(`<text x="10" y="${y + 4}" class="scenario-title">${escapeXml(s.title)}</text>`);
    body.push(panel(10, y + 8, panelWidth, panelHeight, 'throughput', 'chunks/s', times, throughput));
    body.push(panel(10 + panelWidth, y + 8, panelWidth, panelHeight, 'publish→stored latency', 'ms', times, latency));
    body.push(panel(10 + panelWidth * 2, y + 8, panelWidth, panelHeight, 'resident memory', 'MB', times, memory));
    body.push('</g>');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    '<style>.label{font-size:11px;fill:#222}.tick{font-size:9px;fill:#555}.legend{font-size:9px;fill:#333}.grid{stroke:#e4e4e4;stroke-width:1}.frame{fill:none;stroke:#bbb}.scenario-title{font-size:12px;font-weight:bold;fill:#111}.title{font-size:15px;font-weight:bold}</style>',
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="22" class="title">${escapeXml(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
