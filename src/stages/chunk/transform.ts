/**
 * The chunk stage's pure transform (DESIGN.md §1–§3): `era.raw` document → `era.chunks`
 * records. No Kafka, database, clock or environment: the wiring supplies the version.
 *
 * Text contract: chunks are exact slices of `normaliseText(doc.text)` (./normalise.ts:
 * CRLF/CR → LF, NUL removed, lone surrogates → U+FFFD, whitespace runs over 256 code units
 * keep their two ends; nothing else). The document's `contentType` decides the format:
 * `text/markdown` (the default) has heading sections, `text/plain` has none (./plan.ts).
 * Each chunk that does not start a section starts with an overlap repeated from the end of
 * the previous chunk; `planChunks` gives the offsets, and the chunks with their overlaps
 * removed join to the normalised text exactly. Sizes are in approximate tokens
 * (./tokenizer.ts); a chunk is also at most `maxChunkChars(options)` code units (4096 at the
 * default settings).
 */
import { createHash } from 'node:crypto';
import type { ChunkRecord, DeleteRecord, DocumentFields, RawDocument } from '../../topics/messages.ts';
import { normaliseText } from './normalise.ts';
import { DEFAULT_CHUNKER_OPTIONS, validateChunkerOptions, type ChunkerOptions } from './options.ts';
import { planChunks, type TextFormat } from './plan.ts';

/** What the wiring knows about the message that the transform must not look up itself. */
export interface ChunkContext {
  /** Document version: ms epoch of publication (`era.published.at`, else the record timestamp). */
  version: number;
}

/**
 * Version of the chunking algorithm, part of every chunk id. Bump it when a change to the
 * splitting rules, the tokenizer or the normalisation would cut existing documents
 * differently, so their chunks get new ids instead of silently changing under old ones.
 * It is also part of the content hash, so that the store takes a document chunked by a new
 * version for changed and replaces its chunks, instead of keeping the old ones as unchanged.
 * (Chunking is deterministic for a given Node.js; a Node upgrade with newer Unicode data can
 * move cuts in text that uses newly assigned characters, such as new emoji sequences.)
 *
 * 1: Markdown sections everywhere, never merged. 2: `contentType` (plain text has no
 * sections; its long paragraphs are cut at sentence ends before line ends), small sections
 * merged with their neighbours, sentence ends at a line end recognised.
 */
export const CHUNKER_VERSION = 2;

/** The chunker's format for a document: plain text only when it says so (see ../../topics/content-type.ts). */
export function formatOf(doc: RawDocument): TextFormat {
  return doc.contentType === 'text/plain' ? 'plain' : 'markdown';
}

/** JSON with object keys sorted at every depth (code unit order); `undefined` members dropped. */
function canonicalJson(value: unknown): string {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return canonicalJson((value as { toJSON(): unknown }).toJSON());
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    // Object.keys lists an own "__proto__" key like any other (JSON.parse makes it data).
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .sort()
      .filter((key) => record[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * sha256 (64 hex) of a canonical JSON of the document's content: text (as received, before
 * normalisation), title, source, minister, category and metadata (keys sorted at every
 * depth), and of how it is chunked: its format (from `contentType`; absent and
 * `text/markdown` are the same) and {@link CHUNKER_VERSION}. Not `id` or `jobId`. Equal hash
 * = unchanged document: the same chunks (at the same CHUNK_TOKENS / CHUNK_OVERLAP), and no new
 * embedding calls. Deterministic across processes and key orders.
 */
export function contentHash(doc: RawDocument): string {
  const content = {
    text: doc.text,
    title: doc.title,
    source: doc.source,
    minister: doc.minister,
    category: doc.category,
    metadata: doc.metadata,
    format: formatOf(doc),
    chunker: CHUNKER_VERSION,
  };
  return sha256(`era.content.v1\n${canonicalJson(content)}`);
}

/**
 * Deterministic chunk id: the first 32 hex characters (128 bits) of sha256 over
 * {@link CHUNKER_VERSION}, `docId`, `contentHash`, `seq` and the chunker settings. The same
 * document content chunked with the same settings always gets the same ids, so replays
 * upsert instead of duplicating.
 * @throws ConfigError on invalid options; RangeError when `seq` is not an integer >= 0.
 */
export function chunkId(docId: string, contentHash: string, seq: number, options: ChunkerOptions): string {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`chunk seq must be an integer >= 0, got ${seq}`);
  return idOf(docId, contentHash, seq, validateChunkerOptions(options));
}

function idOf(docId: string, hash: string, seq: number, { maxTokens, overlapTokens }: ChunkerOptions): string {
  return sha256(JSON.stringify(['era.chunk', CHUNKER_VERSION, docId, hash, seq, maxTokens, overlapTokens])).slice(0, 32);
}

/**
 * Chunks one document version. Returns `[]` for empty or whitespace-only text (the raw
 * validator already sends such documents to the DLQ as EMPTY_DOCUMENT; this is the
 * defensive answer for in-process callers). Otherwise one record per chunk, `seq` 0…n-1,
 * `count` = n, each with `countTokens(text) = tokenCount <= options.maxTokens`, the
 * `headingPath` of the section its new text starts in (`[]` for plain text), the document fields (`docId`, `version` from `ctx`,
 * `contentHash`) and title/source/minister/category/metadata/jobId when the document has
 * them (`metadata` is shared by reference: treat it as read-only).
 *
 * Pure: no I/O, no clock. Linear time: a 10 MiB document takes well under a second.
 * @throws ConfigError on invalid options.
 */
export function chunkDocument(doc: RawDocument, ctx: ChunkContext, options: ChunkerOptions = DEFAULT_CHUNKER_OPTIONS): ChunkRecord[] {
  const valid = validateChunkerOptions(options);
  const text = normaliseText(doc.text);
  const plans = planChunks(text, valid, formatOf(doc));
  if (plans.length === 0) return [];
  const hash = contentHash(doc);
  const fields: DocumentFields = { docId: doc.id, version: ctx.version, contentHash: hash };
  if (doc.title !== undefined) fields.title = doc.title;
  if (doc.source !== undefined) fields.source = doc.source;
  if (doc.minister !== undefined) fields.minister = doc.minister;
  if (doc.category !== undefined) fields.category = doc.category;
  if (doc.metadata !== undefined) fields.metadata = doc.metadata;
  if (doc.jobId !== undefined) fields.jobId = doc.jobId;
  return plans.map((plan, seq) => ({
    kind: 'chunk',
    chunkId: idOf(doc.id, hash, seq, valid),
    seq,
    count: plans.length,
    text: text.slice(plan.start, plan.end),
    tokenCount: plan.tokenCount,
    headingPath: [...plan.headingPath],
    ...fields,
  }));
}

/** The `era.chunks` record of a document deletion (a tombstone on `era.raw`). */
export function deleteRecord(docId: string, version: number, jobId?: string): DeleteRecord {
  const record: DeleteRecord = { kind: 'delete', docId, version };
  if (jobId !== undefined) record.jobId = jobId;
  return record;
}
