import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { json, startFakeApi, type Harness } from './fakes.ts';

let h: Harness;
beforeAll(async () => {
  h = await startFakeApi({ maxBodyBytes: 4 * 1024 * 1024 });
});
afterAll(async () => {
  await h.api.close();
});
beforeEach(() => {
  h.publisher.sent.length = 0;
});

interface ErrorBody {
  error: { code: string; message: string };
  invalid?: Array<{ index: number; id?: string; code: string; message: string }>;
}

async function post(body: unknown): Promise<{ status: number; body: ErrorBody & Record<string, unknown> }> {
  const res = await fetch(`${h.base}/documents`, json(body));
  return { status: res.status, body: (await res.json()) as ErrorBody & Record<string, unknown> };
}

describe('POST /documents with hostile input', () => {
  it('answers 4xx, never 5xx, and publishes nothing, whatever the body', async () => {
    const bodies: unknown[] = [
      '', 'not json', '{"id":', '\u0000', 'null', '42', '"text"', 'true', '[]', '{}', '{"documents":{}}', '{"documents":[]}',
      '[' .repeat(100_000) + ']'.repeat(100_000),
      `{"documents":${'['.repeat(1000)}${']'.repeat(1000)}}`,
      { documents: [{ id: 'a', text: 'x' }], priority: 'urgent' },
      { documents: [{ id: 'a', text: 'x' }], jobId: 'job\u0000nul' },
      { documents: [{ id: 'a', text: 'x' }], jobId: 'j'.repeat(300) },
      { documents: [{ id: 'a', text: 'x' }], jobId: 7 },
      [null, 1, 'x', [], { id: 1, text: 'x' }],
      { id: 'a'.repeat(10_000), text: 'long id' },
      { id: 'ctl\u0001id', text: 'x' },
      { id: 'nul\u0000id', text: 'x' },
      { id: 'a', text: '   \n\t ' },
      { id: '', text: 'x' },
      { id: 'a', text: 'x', metadata: JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`) as unknown },
      { id: 'a', text: 'x', metadata: [1, 2] },
      { id: 'a', text: 'x', minister: '../../etc' },
      { id: 'a', text: 'x', title: 't'.repeat(5000) },
      [{ id: 'same', text: 'x' }, { id: 'same', text: 'y' }],
    ];
    for (const [i, body] of bodies.entries()) {
      const { status, body: answer } = await post(body);
      expect(status, `body #${i}`).toBeGreaterThanOrEqual(400);
      expect(status, `body #${i}`).toBeLessThan(500);
      expect(answer.error.code, `body #${i}`).toMatch(/^[A-Z_]+$/);
    }
    expect(h.publisher.sent).toHaveLength(0);
    const bad = await fetch(`${h.base}/documents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) });
    expect(bad.status).toBe(400);
  });

  it('lists every invalid document with its index, id (cut) and stable code, and publishes none', async () => {
    const { status, body } = await post([
      { id: 'ok-1', text: 'fine' },
      { id: 'x'.repeat(10_000), text: 'id too long' },
      { id: 'ok-2', text: 'fine' },
      { text: 'no id' },
      { id: 'empty', text: '  ' },
      { id: 'ok-1', text: 'again' },
    ]);
    expect(status).toBe(400);
    expect(body.error).toEqual({ code: 'INVALID_DOCUMENTS', message: '4 of 6 documents are invalid; nothing was published' });
    expect(body.invalid!.map((i) => [i.index, i.code])).toEqual([[1, 'INVALID_MESSAGE'], [3, 'INVALID_MESSAGE'], [4, 'EMPTY_DOCUMENT'], [5, 'DUPLICATE_ID']]);
    expect(body.invalid![0]!.id).toHaveLength(201);
    expect(body.invalid![0]!.message).toMatch(/id is 10000 bytes, over the limit of 1024/);
    expect(body.invalid![1]).not.toHaveProperty('id');
    expect(h.publisher.sent).toHaveLength(0);
  });

  it('rejects JSON nested deeper than the limit before parsing it', async () => {
    const { status, body } = await post(`[${'{"a":'.repeat(70)}1${'}'.repeat(70)}]`);
    expect(status).toBe(400);
    expect(body.error.code).toBe('JSON_TOO_DEEP');
  });

  it('keeps __proto__ keys as data: no prototype is polluted and the value is published as sent', async () => {
    const text = '{"id":"proto","text":"x","metadata":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}},"__proto__":{"polluted":true}}';
    const { status } = await post(text);
    expect(status).toBe(202);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const value = JSON.parse(h.publisher.records[0]!.value!.toString()) as { metadata: Record<string, unknown> };
    expect(Object.hasOwn(value.metadata, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(value.metadata)).toBe(Object.prototype);
  });

  it('strips control characters from one-line fields and NUL from text, and sets the job on every record', async () => {
    const { status, body } = await post({ documents: [{ id: 'c', text: 'a\u0000b\u0007c', title: 'T\u0001i\u001ftle', jobId: 'their-job' }], jobId: 'my-job', priority: 'high' });
    expect(status).toBe(202);
    expect(body).toEqual({ jobId: 'my-job', accepted: 1, topic: 'unit.raw.priority' });
    const [record] = h.publisher.records;
    expect(record!.headers['era.job']).toBe('my-job');
    expect(JSON.parse(record!.value!.toString())).toEqual({ id: 'c', text: 'ab\u0007c', title: 'Title', jobId: 'my-job' });
  });

  it('records the job with the number of accepted documents', async () => {
    const { body } = await post([{ id: 'r1', text: 'x' }, { id: 'r2', text: 'y' }]);
    expect(body.jobId).toMatch(/^job-[0-9a-f-]{36}$/);
    const insert = h.db.queries.find((q) => q.sql.includes('INSERT INTO jobs') && q.params?.[0] === body.jobId);
    expect(insert?.params).toEqual([body.jobId, 2, false, null]);
  });
});
