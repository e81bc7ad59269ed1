import { describe, expect, it } from 'vitest';
import { bearerCheck } from '../../../src/api/auth.ts';
import { nestsDeeperThan, parseJsonBody } from '../../../src/api/body.ts';
import { resolveApiOptions } from '../../../src/api/context.ts';
import { matchRoute } from '../../../src/api/routes.ts';
import { kafkaDocumentSink } from '../../../src/api/kafka-ports.ts';
import { parseSubmission, prepareDocuments } from '../../../src/api/submission.ts';
import { FakePublisher } from './fakes.ts';
import { DEFAULT_RAW_LIMITS } from '../../../src/topics/raw-document.ts';

describe('JSON depth scan', () => {
  it('counts nesting outside strings only, escapes included', () => {
    expect(nestsDeeperThan(Buffer.from('[[1]]'), 2)).toBe(false);
    expect(nestsDeeperThan(Buffer.from('[[[1]]]'), 2)).toBe(true);
    expect(nestsDeeperThan(Buffer.from('{"a":"[[[[[\\"[[[["}'), 1)).toBe(false);
    expect(nestsDeeperThan(Buffer.from('[{"a":[1]},{"b":[2]}]'), 3)).toBe(false);
    expect(nestsDeeperThan(Buffer.from('"\\\\"[[['), 2)).toBe(true);
  });

  it('parses strict UTF-8 JSON only', () => {
    expect(parseJsonBody(Buffer.from('{"a":1}'), 4)).toEqual({ a: 1 });
    expect(() => parseJsonBody(Buffer.from([0x22, 0xc3, 0x22]), 4)).toThrow(/not valid UTF-8/);
    expect(() => parseJsonBody(Buffer.alloc(0), 4)).toThrow(/empty/);
  });
});

describe('bearer check', () => {
  it('accepts only the exact token, in any case of the scheme', () => {
    const check = bearerCheck('s3cret-token-value-123');
    expect(check('Bearer s3cret-token-value-123')).toBe(true);
    expect(check('BEARER s3cret-token-value-123')).toBe(true);
    expect(check('Bearer s3cret-token-value-12')).toBe(false);
    expect(check('Bearer s3cret-token-value-1234')).toBe(false);
    expect(check('s3cret-token-value-123')).toBe(false);
    expect(check(undefined)).toBe(false);
    expect(() => bearerCheck('')).toThrow(RangeError);
  });
});

describe('route matching', () => {
  it('decodes path parameters and refuses bad percent-encoding', () => {
    expect(matchRoute('/jobs/job%2F1')?.params).toEqual({ id: 'job/1' });
    expect(matchRoute('/jobs/')).toBeUndefined();
    expect(matchRoute('/jobs/a/b')).toBeUndefined();
    expect(() => matchRoute('/jobs/%E0%A4%A')).toThrow(/percent-encoding/);
  });
});

describe('submission', () => {
  it('reads a document, an array and an envelope', () => {
    expect(parseSubmission({ id: 'a', text: 'x' }, 10)).toEqual({ documents: [{ id: 'a', text: 'x' }], priority: false });
    expect(parseSubmission([{ id: 'a' }, { id: 'b' }], 10).documents).toHaveLength(2);
    expect(parseSubmission({ documents: [{}], jobId: 'j', priority: 'high' }, 10)).toEqual({ documents: [{}], jobId: 'j', priority: true });
    expect(() => parseSubmission([1, 2, 3], 2)).toThrow(expect.objectContaining({ status: 413, code: 'TOO_MANY_DOCUMENTS' }));
  });

  it('refuses a document over the size limit after encoding', () => {
    const limits = { ...DEFAULT_RAW_LIMITS, maxBytes: 100 };
    const { documents, invalid } = prepareDocuments([{ id: 'a', text: 'x'.repeat(200) }], 'j', limits);
    expect(documents).toEqual([]);
    expect(invalid).toEqual([expect.objectContaining({ index: 0, id: 'a', code: 'MESSAGE_TOO_LARGE' })]);
  });

  it('gives every document the request\'s job id', () => {
    const { documents } = prepareDocuments([{ id: 'a', text: 'x', jobId: 'own' }], 'job-1', DEFAULT_RAW_LIMITS);
    expect(documents).toEqual([{ id: 'a', text: 'x', jobId: 'job-1' }]);
  });

  it('publishes through the Kafka sink with the headers of DESIGN.md §3 on every record', async () => {
    const publisher = new FakePublisher();
    const sink = kafkaDocumentSink(publisher, 'unit');
    expect(await sink.submit([{ id: 'a', text: 'x', jobId: 'job-1' }], { jobId: 'job-1', priority: false, nowMs: 1234 })).toEqual({ accepted: 1, topic: 'unit.raw' });
    expect(await sink.submit([{ id: 'b', text: 'y', jobId: 'job-1' }], { jobId: 'job-1', priority: true, nowMs: 1234 })).toEqual({ accepted: 1, topic: 'unit.raw.priority' });
    expect(publisher.records[0]).toMatchObject({ key: 'a', headers: { 'era.job': 'job-1', 'era.published.at': '1234', 'era.trace': expect.any(String) } });
    expect(JSON.parse(publisher.records[0]!.value!.toString())).toEqual({ id: 'a', text: 'x', jobId: 'job-1' });
    expect(sink.readiness()).toEqual({ kafka: true });
  });
});

describe('options', () => {
  it('defaults the body limit to the document limit plus 1 MiB and validates numbers', () => {
    expect(resolveApiOptions({}).maxBodyBytes).toBe(DEFAULT_RAW_LIMITS.maxBytes + 1024 * 1024);
    expect(() => resolveApiOptions({ maxBodyBytes: 0 })).toThrow(/maxBodyBytes must be a positive integer/);
    expect(() => resolveApiOptions({ token: '' })).toThrow(/token must not be empty/);
  });
});
