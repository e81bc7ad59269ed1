import { describe, expect, it } from 'vitest';
import { metricSum } from '../../../bench/lib/child.ts';
import { parseListeningInodes, parseMachineCpu, parseStatCpuTicks, parseStatPpid, parseStatus } from '../../../bench/lib/proc.ts';
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

  it('reads the parent pid from /proc/<pid>/stat', () => {
    expect(parseStatPpid('4242 (ollama runner) S 4367 4242 1 0 -1')).toBe(4367);
  });

  it('finds the sockets listening on a port in /proc/net/tcp, not connections to it', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:2D50 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 218082 2 0000000013acee88 100 0 0 10 0',
      '   1: 0100007F:9C41 0100007F:2D50 01 00000000:00000000 00:00000000 00000000     0        0 300001 1 0000000000000000 20 4 30 10 -1',
      '   2: 0100007F:2D5 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 999 2 0 100 0 0 10 0',
    ].join('\n');
    expect(parseListeningInodes(text, 11600)).toEqual(['218082']);
    expect(parseListeningInodes(text, 40001)).toEqual([]);
    expect(parseListeningInodes('', 11600)).toEqual([]);
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
