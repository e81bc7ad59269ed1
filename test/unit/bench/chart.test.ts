import { describe, expect, it } from 'vitest';
import { chartLines, escapeXml, niceMax, renderChart } from '../../../bench/lib/chart.ts';
import type { SeriesPoint } from '../../../bench/lib/types.ts';

/**
 * A small XML well-formedness check (no XML parser among the dependencies): one root element,
 * balanced tags, quoted attributes, no raw '<' or unescaped '&' in text or attribute values.
 */
function assertWellFormed(xml: string): void {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  let roots = 0;
  const token = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/gy;
  let m: RegExpExecArray | null;
  while ((m = token.exec(body)) !== null) {
    const [, closing, name, attrs, selfClosing, text, stray] = m;
    if (stray) throw new Error(`stray '<' at ${m.index}: ${body.slice(m.index, m.index + 40)}`);
    if (text !== undefined) {
      if (/&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(text)) throw new Error(`unescaped & in text: ${text.slice(0, 40)}`);
      if (stack.length === 0 && text.trim()) throw new Error(`text outside the root: ${text.slice(0, 40)}`);
      continue;
    }
    if (attrs && /&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(attrs)) throw new Error(`unescaped & in attributes of <${name}>`);
    if (closing) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}>`);
    } else if (!selfClosing) {
      if (stack.length === 0) roots++;
      stack.push(name!);
    } else if (stack.length === 0) roots++;
  }
  if (token.lastIndex !== 0 && token.lastIndex < body.length) throw new Error(`unparsed input at ${token.lastIndex}`);
  if (stack.length) throw new Error(`unclosed <${stack.join('> <')}>`);
  if (roots !== 1) throw new Error(`${roots} root elements`);
}

const series: SeriesPoint[] = [
  { t: 0, docsPerSec: 10, chunksPerSec: 40, p50Ms: 120, p95Ms: 300, stages: { chunk: 50, embed: 45 }, rssMb: { chunk: 150, embed: 160 } },
  { t: 1, docsPerSec: 20, chunksPerSec: 80, stages: { chunk: 90, embed: 85 }, rssMb: { chunk: 155, embed: 170 } },
  { t: 2, docsPerSec: 25, chunksPerSec: 100, p50Ms: 150, p95Ms: 420, stages: { chunk: 100, embed: 99 }, rssMb: { chunk: 158, embed: 171 } },
];

describe('benchmark chart', () => {
  it('(the well-formedness check itself catches broken XML)', () => {
    expect(() => assertWellFormed('<svg><g></svg>')).toThrow();
    expect(() => assertWellFormed('<svg>a & b</svg>')).toThrow();
    expect(() => assertWellFormed('<svg x=1></svg>')).toThrow();
    expect(() => assertWellFormed('<svg/><svg/>')).toThrow();
    expect(() => assertWellFormed('<svg><text x="1">a &amp; b</text><rect/></svg>')).not.toThrow();
  });

  it('renders well-formed standalone SVG', () => {
    const svg = renderChart([{ id: 'kafka-hash-1000', title: 'Kafka <hash> & "friends"', series }]);
    expect(() => assertWellFormed(svg)).not.toThrow();
    expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('Kafka &lt;hash&gt; &amp; &quot;friends&quot;');
    expect(svg).not.toMatch(/<script|href=/);
  });

  it('draws throughput, latency and memory series with a legend', () => {
    const svg = renderChart([{ id: 's', title: 's', series }]);
    for (const name of ['end-to-end', 'chunk', 'embed', 'p50', 'p95']) expect(svg).toContain(`data-series="${name}"`);
    for (const label of ['throughput', 'publish→stored latency', 'resident memory']) expect(svg).toContain(`data-label="${label}"`);
    // p50/p95 are missing at t=1: the line breaks into two single points instead of bridging the gap.
    expect(svg.match(/<circle[^>]*data-series="p95"/g)).toHaveLength(2);
    expect(svg.match(/<polyline[^>]*data-series="end-to-end"/g)).toHaveLength(1);
  });

  it('lists one row per scenario with points and skips empty ones', () => {
    const svg = renderChart([{ id: 'a', title: 'A', series }, { id: 'b', title: 'B', series: [] }, { id: 'c/d', title: 'C', series }]);
    expect(svg.match(/<g class="scenario"/g)).toHaveLength(2);
    expect(svg).toContain('id="c_d"');
    expect(() => assertWellFormed(svg)).not.toThrow();
    expect(() => assertWellFormed(renderChart([]))).not.toThrow();
  });

  it('picks series per panel from the points', () => {
    const { throughput, latency, memory } = chartLines(series);
    expect(throughput.map((l) => l.name)).toEqual(['end-to-end', 'chunk', 'embed']);
    expect(latency.map((l) => l.name)).toEqual(['p50', 'p95']);
    expect(latency[1]!.values).toEqual([300, undefined, 420]);
    expect(memory.map((l) => l.name)).toEqual(['chunk', 'embed']);
    expect(chartLines([{ t: 0, docsPerSec: 1, chunksPerSec: 1 }]).latency).toEqual([]);
  });

  it('rounds axis maxima up to 1, 2 or 5 × 10^k and escapes XML', () => {
    expect([0, 0.3, 1, 3, 7, 12, 2_001, 640].map(niceMax)).toEqual([1, 0.5, 1, 5, 10, 20, 5_000, 1_000]);
    expect(escapeXml(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
  });
});
