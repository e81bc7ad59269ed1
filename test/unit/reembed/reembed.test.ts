import { describe, expect, it } from 'vitest';
import { chunkRecordOf, reembedHeaders } from '../../../src/reembed/feed.ts';
import { reembedGroupId } from '../../../src/reembed/run-reembed.ts';
import { modelIndexName, modelSearchSql, sqlLiteral } from '../../../src/storage/model-vectors.ts';
import { chunksCodec } from '../../../src/topics/codec-json.ts';
import { HEADERS, REEMBED_MODEL_HEADER } from '../../../src/topics/headers.ts';
import { topicNames } from '../../../src/dataflow/topics.ts';

const stored = {
  chunkId: 'c1', docId: 'doc-1', version: 7, contentHash: 'h', title: 'Budget', seq: 2, count: 5,
  text: 'The treasury cut the deficit.', tokenCount: 8, headingPath: ['Budget', 'Tax'],
};

describe('reembed naming and messages', () => {
  it('gives every model a stable consumer group of legal characters, distinct per model', () => {
    expect(reembedGroupId('era', 'nomic-embed-text')).toBe('era.reembed.nomic-embed-text');
    expect(reembedGroupId('era', 'nomic-embed-text:latest')).toMatch(/^era\.reembed\.nomic-embed-text_latest-[0-9a-f]{8}$/);
    expect(reembedGroupId('era', 'hf.co/org/model:Q4')).toMatch(/^era\.reembed\.hf\.co_org_model_Q4-[0-9a-f]{8}$/);
    expect(reembedGroupId('era', 'a:b')).not.toBe(reembedGroupId('era', 'a_b'));
    expect(reembedGroupId('era', 'a:b')).toBe(reembedGroupId('era', 'a:b'));
  });

  it('publishes a stored chunk in era.chunks\' format, which the chunks codec round-trips', () => {
    const record = chunkRecordOf(stored);
    expect(record).toEqual({ kind: 'chunk', ...stored });
    expect(chunksCodec.decode(chunksCodec.encode(record))).toEqual(record);
    const untitled = chunkRecordOf({ ...stored, title: null });
    expect('title' in untitled).toBe(false);
    expect(chunksCodec.decode(chunksCodec.encode(untitled))).toEqual(untitled);
  });

  it('labels records with the model, a job and the publish time', () => {
    const headers = reembedHeaders('wide', 1234);
    expect(headers).toMatchObject({ [REEMBED_MODEL_HEADER]: 'wide', [HEADERS.job]: 'reembed:wide', [HEADERS.publishedAt]: '1234' });
    expect(headers[HEADERS.trace]).toMatch(/^[0-9a-f-]{36}$/);
    expect(topicNames('x').reembed).toBe('x.reembed');
  });
});

describe('model vector SQL', () => {
  it('quotes model names as literals, so no name can break out of the statement', () => {
    expect(sqlLiteral("o'brien")).toBe("'o''brien'");
    // Backslashes are escaped in an E'' literal by the driver (node-postgres' escapeLiteral).
    expect(sqlLiteral('a\\b')).toBe(" E'a\\\\b'");
    expect(() => sqlLiteral('a\u0000b')).toThrow(/NUL/);
    const sql = modelSearchSql({ model: "x'; DROP TABLE chunks; --", dimension: 8 }, false);
    expect(sql).toContain("v.model = 'x''; DROP TABLE chunks; --'");
  });

  it('names one short index per model', () => {
    expect(modelIndexName('a')).toMatch(/^chunk_vectors_hnsw_[0-9a-f]{16}$/);
    expect(modelIndexName('a')).toBe(modelIndexName('a'));
    expect(modelIndexName('a')).not.toBe(modelIndexName('b'));
    expect(modelIndexName('x'.repeat(500)).length).toBeLessThan(63);
  });

  it('casts to the model\'s dimension (the index expression) and filters inside only when asked', () => {
    const plain = modelSearchSql({ model: 'm', dimension: 768 }, false);
    expect(plain).toContain('v.embedding::vector(768) <=> $1::text::vector(768)');
    expect(plain).not.toContain('JOIN chunks c ON c.chunk_id = v.chunk_id');
    const filtered = modelSearchSql({ model: 'm', dimension: 768 }, true);
    expect(filtered).toContain('JOIN chunks c ON c.chunk_id = v.chunk_id');
    expect(() => modelSearchSql({ model: 'm', dimension: 0 }, false)).toThrow(/dimension 0 is invalid/);
    expect(() => modelSearchSql({ model: 'm', dimension: 1.5 }, false)).toThrow(/invalid/);
  });
});
