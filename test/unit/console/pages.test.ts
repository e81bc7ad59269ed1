/**
 * The console's server-rendered pieces on data: escaping by default (no input becomes markup),
 * the search passage's marks, and the flow sampler's arithmetic on real expositions.
 */
import { describe, expect, it } from 'vitest';
import { FlowSampler } from '../../../src/api/console/flow-sampler.ts';
import { html, raw } from '../../../src/api/console/html.ts';
import { flowFragment } from '../../../src/api/console/pages/flow.ts';
import { markedPassage } from '../../../src/api/console/pages/search.ts';
import { cookieAuthorization } from '../../../src/api/console/routes.ts';

describe('console html', () => {
  it('escapes every interpolated value that is not already HTML', () => {
    const hostile = '<script>alert("x")</script>&\'';
    expect(html`<p title="${hostile}">${hostile}</p>`.value).toBe('<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>');
    expect(html`<ul>${['a<', raw('<b>b</b>'), undefined, false, null, 0]}</ul>`.value).toBe('<ul>a&lt;<b>b</b>0</ul>');
  });

  it('marks the matched words of a passage and escapes the rest', () => {
    expect(markedPassage('The «prison» <population> … «places»').value).toBe('The <mark>prison</mark> &lt;population&gt; … <mark>places</mark>');
  });

  it('reads the console cookie as a bearer token', () => {
    expect(cookieAuthorization('a=1; era_token=abc%2Fdef; b=2')).toBe('Bearer abc/def');
    expect(cookieAuthorization('other=1')).toBeUndefined();
    expect(cookieAuthorization(undefined)).toBeUndefined();
  });
});

describe('flow sampler', () => {
  const exposition = (out: number, lag: number, paused = 0, rate = 50): string => [
    '# TYPE era_messages_out_total counter',
    `era_messages_out_total{stage="embed",topic="era.embeddings"} ${out}`,
    `era_messages_out_total{stage="embed",topic="era.dlq"} 1`,
    `era_consumer_lag{stage="embed",group="g",topic="era.chunks",partition="0"} ${lag}`,
    `era_consumer_lag{stage="embed",group="g",topic="era.chunks",partition="1"} ${lag}`,
    `era_paused_partitions{stage="embed"} ${paused}`,
    `era_flow_rate_per_second{stage="embed"} ${rate}`,
  ].join('\n');

  it('turns counters into rates per stage, sums replicas and partitions, and reports a source that is down', async () => {
    let now = 1_000_000;
    const texts = [exposition(100, 7), exposition(160, 3, 1, 40)];
    const replica = [exposition(0, 0), exposition(20, 0)];
    let up = true;
    const sampler = new FlowSampler({
      stages: ['chunk', 'embed'],
      sources: [
        { name: 'a', read: async () => texts.shift()! },
        { name: 'b', read: async () => { if (!up) throw new Error('down'); return replica.shift()!; } },
      ],
      now: () => now,
    });
    const first = await sampler.sample();
    expect(first.stages.embed).toEqual({ throughput: 0, lag: 14, paused: 0, rate: 100 });
    now += 10_000;
    const second = await sampler.sample();
    // (160 + 1 − 101) / 10 s from a, (20 + 1 − 1) / 10 s from b.
    expect(second.stages.embed).toEqual({ throughput: 8, lag: 6, paused: 1, rate: 90 });
    expect(second.stages.chunk).toEqual({ throughput: 0, lag: 0, paused: 0, rate: 0 });
    up = false;
    texts.push(exposition(10, 0));
    now += 5_000;
    const third = await sampler.sample();
    expect(third.down).toEqual(['b']);
    // a restarted (its counter went down): the new count is what it did since.
    expect(third.stages.embed!.throughput).toBeCloseTo(11 / 5);
    const page = flowFragment(sampler.snapshot()).value;
    expect(page).toContain('data-points="3"');
    expect(page).toMatch(/<tr data-stage="embed"><th scope="row">embed<\/th><td class="num" data-metric="throughput">2\.20<\/td>/);
    expect(page).toContain('Not answering: b');
  });

  it('keeps only the window', async () => {
    let now = 0;
    const sampler = new FlowSampler({ stages: ['embed'], sources: [{ name: 'a', read: async () => exposition(now / 1000, 0) }], windowMs: 20_000, now: () => now });
    for (let i = 0; i < 10; i++) {
      await sampler.sample();
      now += 5_000;
    }
    expect(sampler.snapshot().points.map((p) => p.at)).toEqual([25_000, 30_000, 35_000, 40_000, 45_000]);
  });
});
