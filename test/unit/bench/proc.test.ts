import { describe, expect, it } from 'vitest';
import { metricSum } from '../../../bench/lib/child.ts';
import { parseMachineCpu, parseStatCpuTicks, parseStatus } from '../../../bench/lib/proc.ts';
import { fmtNum, table } from '../../../bench/lib/report.ts';

describe('benchmark /proc parsers', () => {
  it('reads VmRSS and VmHWM from /proc/<pid>/status', () => {
    expect(parseStatus('Name:\tnode\nVmPeak:\t 999 kB\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n')).toEqual({ rssKb: 102400, hwmKb: 204800 });
    expect(parseStatus('Name:\tzombie\n')).toEqual({ rssKb: 0, hwmKb: 0 });
  });

  it('reads utime + stime from /proc/<pid>/stat even when the command name has spaces and parentheses', () => {
    const fields = ['S', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '1200', '34', '0', '0'];
    expect(parseStatCpuTicks(`4242 (node) ${fields.join(' ')}`)).toBe(1234);
    expect(parseStatCpuTicks(`4242 (we (ird) name) ${fields.join(' ')}`)).toBe(1234);
  });

  it('reads busy and total time of all CPUs from /proc/stat', () => {
    expect(parseMachineCpu('cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n')).toEqual({ busy: 150, total: 1000 });
    expect(parseMachineCpu('')).toEqual({ busy: 0, total: 0 });
  });
});

describe('benchmark Prometheus scraping', () => {
  const text = [
    '# HELP era_processing_seconds Time to process one batch',
    'era_processing_seconds_sum{stage="store"} 12.5',
    'era_processing_seconds_count{stage="store"} 40',
    'era_messages_out_total{stage="embed",topic="a.embeddings"} 100',
    'era_messages_out_total{stage="embed",topic="a.dlq"} 3',
    'era_messages_out_total_other 7',
  ].join('\n');
  it('sums samples of one metric, filtered by labels', () => {
    expect(metricSum(text, 'era_processing_seconds_sum', { stage: 'store' })).toBe(12.5);
    expect(metricSum(text, 'era_messages_out_total')).toBe(103);
    expect(metricSum(text, 'era_messages_out_total', { topic: 'a.dlq' })).toBe(3);
    expect(metricSum(text, 'era_missing')).toBe(0);
  });
});

describe('benchmark tables', () => {
  it('aligns numbers right and text left', () => {
    const out = table(['name', 'n'], [['a', 1_234.5], ['bb', 7]]).split('\n');
    expect(out).toEqual(['name      n', '----  -----', 'a     1,235', 'bb        7']);
    expect([0.123, 12.34, 250, Number.NaN].map(fmtNum)).toEqual(['0.12', '12.3', '250', '-']);
  });
});
