import { describe, expect, it } from 'vitest';
import { decodeRawDocument, DEFAULT_RAW_LIMITS } from '../../../src/topics/raw-document.ts';

const enc = (v: unknown): Buffer => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
const key = (k: string): Buffer => Buffer.from(k);

describe('raw document contract (era.raw v1)', () => {
  it('accepts the documented JSON from any producer, with only id and text required', () => {
    expect(decodeRawDocument(key('doc-42'), enc({ id: 'doc-42', text: 'hello' }))).toEqual({ id: 'doc-42', text: 'hello' });
    const full = { id: 'd', text: 't', title: 'T', source: 'file:///x', minister: 'finance', category: 'budget', metadata: { a: [1, { b: null }] }, jobId: 'job-1', unknownField: 1 };
    expect(decodeRawDocument(null, enc(full))).toEqual({ id: 'd', text: 't', title: 'T', source: 'file:///x', minister: 'finance', category: 'budget', metadata: { a: [1, { b: null }] }, jobId: 'job-1' });
  });

  it('treats a null value as a tombstone for the key', () => {
    expect(decodeRawDocument(key('doc-1'), null)).toBeNull();
    expect(() => decodeRawDocument(null, null)).toThrow(/tombstone without a key/);
  });

  it.each([
    ['malformed JSON', key('a'), enc('{"id":'), 'UNDECODABLE'],
    ['invalid UTF-8', key('a'), Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), 'UNDECODABLE'],
    ['invalid UTF-8 key', Buffer.from([0xff]), enc({ id: 'a', text: 't' }), 'UNDECODABLE'],
    ['a JSON array', key('a'), enc([1, 2]), 'INVALID_MESSAGE'],
    ['missing text', key('a'), enc({ id: 'a' }), 'INVALID_MESSAGE'],
    ['wrong types', key('a'), enc({ id: 'a', text: 42 }), 'INVALID_MESSAGE'],
    ['metadata not an object', key('a'), enc({ id: 'a', text: 't', metadata: [1] }), 'INVALID_MESSAGE'],
    ['id/key mismatch', key('b'), enc({ id: 'a', text: 't' }), 'INVALID_MESSAGE'],
    ['empty text', key('a'), enc({ id: 'a', text: ' \n\t ' }), 'EMPTY_DOCUMENT'],
    ['text of NUL bytes only', key('a'), enc({ id: 'a', text: '\u0000\u0000' }), 'EMPTY_DOCUMENT'],
    ['a 10,000-character key', key('k'.repeat(10_000)), enc({ id: 'k'.repeat(10_000), text: 't' }), 'INVALID_MESSAGE'],
    ['an invalid minister id', key('a'), enc({ id: 'a', text: 't', minister: 'Finance Ministry' }), 'INVALID_MESSAGE'],
  ])('rejects %s as poison', (_name, k, v, code) => {
    expect(() => decodeRawDocument(k, v)).toThrowError(expect.objectContaining({ code, retriable: false }));
  });

  it('rejects a value over the size limit before parsing it', () => {
    const big = Buffer.alloc(DEFAULT_RAW_LIMITS.maxBytes + 1, 0x20);
    expect(() => decodeRawDocument(key('a'), big)).toThrowError(expect.objectContaining({ code: 'MESSAGE_TOO_LARGE', message: expect.stringMatching(/over the limit of 10485760 bytes/) }));
  });

  it('rejects metadata nested deeper than the limit', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = { d: deep };
    expect(() => decodeRawDocument(key('a'), enc({ id: 'a', text: 't', metadata: deep }))).toThrow(/nested deeper than 32/);
  });

  it('keeps __proto__ and constructor keys as plain data, never as a prototype', () => {
    const doc = decodeRawDocument(key('a'), enc('{"id":"a","text":"t","metadata":{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}}'))!;
    expect(Object.getPrototypeOf(doc.metadata)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.parse(JSON.stringify(doc.metadata))).toEqual(JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}'));
  });

  it('removes NUL bytes from text and control characters from titles, keeps SQL-like strings as data', () => {
    const doc = decodeRawDocument(key("a'; DROP TABLE documents;--"), enc({ id: "a'; DROP TABLE documents;--", text: 'x\u0000y', title: 'bad\u0007title\u001b[31m' }))!;
    expect(doc.text).toBe('xy');
    expect(doc.title).toBe('badtitle[31m');
    expect(doc.id).toBe("a'; DROP TABLE documents;--");
  });
});
