/**
 * Where a raw record's version comes from (README "Guarantees"): its offset in era.raw, never a
 * producer's clock; a claim (era.version, from `dlq replay`) can only move it back.
 */
import { describe, expect, it } from 'vitest';
import type { Ticket } from '../../../src/engine/offset-tracker.ts';
import { replayHeaders } from '../../../src/kafka/dead-letters.ts';
import type { InputMessage } from '../../../src/kafka/records.ts';
import { rawVersion } from '../../../src/kafka/stage-binding.ts';

const record = (topic: string, offset: string, headers: Record<string, string> = {}): InputMessage => ({
  topic, partition: 0, offset, key: Buffer.from('doc'), value: null, headers, timestamp: '1700000000000', ticket: {} as Ticket,
});

describe('the version of a raw record', () => {
  it('is its offset in the main topic, whatever the publish-time header says', () => {
    expect(rawVersion(record('era.raw', '41', { 'era.published.at': '9999999999999' }), 'era.raw')).toBe(41);
    expect(rawVersion(record('era.raw', '42', { 'era.published.at': 'not a number' }), 'era.raw')).toBe(42);
    expect(rawVersion(record('era.raw', '43'), 'era.raw')).toBe(43);
  });

  it('takes an older claimed version (a replay), never a newer or malformed one', () => {
    expect(rawVersion(record('era.raw', '900', { 'era.version': '12' }), 'era.raw')).toBe(12);
    expect(rawVersion(record('era.raw', '900', { 'era.version': '5000' }), 'era.raw')).toBe(900);
    expect(rawVersion(record('era.raw', '900', { 'era.version': '-1' }), 'era.raw')).toBe(900);
    expect(rawVersion(record('era.raw', '900', { 'era.version': '1e3' }), 'era.raw')).toBe(900);
  });

  it('of a priority-lane record is the one its append to the main topic got, and it must have one', () => {
    expect(rawVersion(record('era.raw.priority', '3', { 'era.version': '777' }), 'era.raw')).toBe(777);
    expect(() => rawVersion(record('era.raw.priority', '3'), 'era.raw')).toThrow(/without the version of its append to era.raw/);
  });

  it('survives a dead-letter replay: the replayed record claims its original offset', () => {
    const dead = { 'era.job': 'j', 'era.dlq.stage': 'chunk', 'era.dlq.original.topic': 'era.raw', 'era.dlq.original.offset': '17', 'era.dlq.attempts': '1' };
    expect(replayHeaders(dead)).toEqual({ 'era.job': 'j', 'era.dlq.attempts': '1', 'era.version': '17' });
    // A record that already claims a version (a priority record's append) keeps it.
    expect(replayHeaders({ ...dead, 'era.version': '5' })['era.version']).toBe('5');
  });
});
