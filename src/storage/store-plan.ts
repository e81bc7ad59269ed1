/**
 * The pure half of writeBatch (./store.ts): given a batch and the current state of its
 * documents (read under their advisory locks), decide what to write, what to ignore and which
 * events are due. No I/O, so the rules are unit-tested on their own.
 *
 * Rules per document (DESIGN.md §2.4, §4):
 * - duplicates of a chunkId in the batch: the last one wins;
 * - a delete applies when its version ≥ the current version (and ≥ any earlier deletion's); the
 *   batch's chunks of versions ≤ the delete are dropped, newer ones are written after it;
 * - a chunk whose content hash equals the current one is unchanged: no chunk is written; a newer
 *   version of it (a re-publish of unchanged content) advances the current version (`advance`),
 *   so that every version published before it is stale from then on; one event is due if the
 *   batch holds the document's last chunk (seq = count - 1);
 * - a chunk of a version ≤ the current one (or ≤ the last deletion) is stale: dropped;
 * - any other chunk is written as pending; its (docId, contentHash) becomes a flip candidate.
 */
import type { DeleteRecord, MinistersValue, RoutedChunk, StoredEvent } from '../topics/messages.ts';

/** State of one document, read inside the batch transaction. */
export interface DocState {
  /** Current (visible) version, if any. */
  current?: { version: number; contentHash: string; chunkCount: number };
  /** Version of the last deletion, if the document was ever deleted. */
  tombstone?: number;
}

/** A (document, content hash) that got chunks in this batch and may now be complete. */
export interface FlipCandidate {
  docId: string;
  contentHash: string;
  /** Chunks of that version (`count` of its records). */
  count: number;
  /** The batch's record of that version with the highest version: source of the document fields. */
  representative: RoutedChunk;
}

export interface DocPlan {
  docId: string;
  /** The delete to apply first, with the content hash that was current before it. */
  apply?: { version: number; jobId?: string; currentHash?: string };
  /** Current state after the delete and the advance (what flips and stale chunks are compared with). */
  after: DocState;
  /** A re-publish of the current content: the current version moves up to this one (no chunk changes). */
  advance?: { version: number; jobId?: string };
  /** Unchanged-document event due for this batch (at most one). */
  unchanged?: StoredEvent;
}

export interface BatchPlan {
  /** Documents of the batch in first-appearance order (the lock/read/event order). */
  docs: Map<string, DocPlan>;
  /** Chunks to upsert as pending, deduplicated by chunkId. */
  rows: RoutedChunk[];
  /** Flip candidates keyed by `${docId}\u0000${contentHash}`. */
  candidates: Map<string, FlipCandidate>;
}

/** Distinct document ids of a batch, in first-appearance order. */
export function batchDocIds(items: readonly MinistersValue[]): string[] {
  return [...new Set(items.map((i) => i.docId))];
}

/** Decides everything about a batch except completeness (which needs the database). */
export function planBatch(items: readonly MinistersValue[], state: ReadonlyMap<string, DocState>, now: number): BatchPlan {
  const deletes = new Map<string, DeleteRecord>();
  const chunks = new Map<string, RoutedChunk>();
  for (const item of items) {
    if (item.kind === 'delete') {
      const prev = deletes.get(item.docId);
      if (!prev || item.version >= prev.version) deletes.set(item.docId, item);
    } else {
      chunks.delete(item.chunkId); // last wins, and takes the last position
      chunks.set(item.chunkId, item);
    }
  }

  const docs = new Map<string, DocPlan>();
  for (const docId of batchDocIds(items)) {
    const before = state.get(docId) ?? {};
    const del = deletes.get(docId);
    const plan: DocPlan = { docId, after: before };
    if (del && (before.current === undefined || del.version >= before.current.version) && (before.tombstone === undefined || del.version >= before.tombstone)) {
      plan.apply = { version: del.version, ...(del.jobId !== undefined ? { jobId: del.jobId } : {}), ...(before.current ? { currentHash: before.current.contentHash } : {}) };
      plan.after = { tombstone: del.version };
    }
    docs.set(docId, plan);
  }

  // Re-publishes of the current content first: every other chunk is compared with the
  // advanced version, so a version published before the re-publish can no longer flip.
  for (const chunk of chunks.values()) {
    const plan = docs.get(chunk.docId)!;
    const current = plan.after.current;
    if (!current || chunk.contentHash !== current.contentHash || chunk.version <= current.version) continue;
    if (!plan.advance || chunk.version > plan.advance.version) plan.advance = { version: chunk.version, ...(chunk.jobId !== undefined ? { jobId: chunk.jobId } : {}) };
  }
  for (const plan of docs.values()) {
    if (plan.advance && plan.after.current) plan.after = { ...plan.after, current: { ...plan.after.current, version: plan.advance.version } };
  }

  const rows: RoutedChunk[] = [];
  const candidates = new Map<string, FlipCandidate>();
  for (const chunk of chunks.values()) {
    const plan = docs.get(chunk.docId)!;
    const del = deletes.get(chunk.docId);
    if (del && chunk.version <= del.version) continue; // superseded by the batch's own delete
    const { current, tombstone } = plan.after;
    if (current && chunk.contentHash === current.contentHash) {
      if (chunk.seq === chunk.count - 1 && !plan.unchanged) {
        plan.unchanged = storedEvent(chunk.docId, chunk.version, current.chunkCount, chunk.jobId, now);
      }
      continue;
    }
    if ((current && chunk.version <= current.version) || (tombstone !== undefined && chunk.version <= tombstone)) continue;
    rows.push(chunk);
    const key = `${chunk.docId}\u0000${chunk.contentHash}`;
    const candidate = candidates.get(key);
    if (!candidate) {
      candidates.set(key, { docId: chunk.docId, contentHash: chunk.contentHash, count: chunk.count, representative: chunk });
    } else {
      if (chunk.version >= candidate.representative.version) candidate.representative = chunk;
      candidate.count = Math.max(candidate.count, chunk.count);
    }
  }
  return { docs, rows, candidates };
}

/** What the database reports for a candidate after the upsert. */
export interface Completeness {
  docId: string;
  contentHash: string;
  /** Rows stored for (docId, contentHash). */
  stored: number;
  /** Highest doc_version among them: the version the flip publishes. */
  version: number;
}

export interface Flip {
  docId: string;
  contentHash: string;
  version: number;
  count: number;
  representative: RoutedChunk;
  /** Hash that is current before the flip (after any delete in the batch), if any. */
  previousHash?: string;
}

/**
 * Picks, per document, the newest complete version above the current one (the flip), and the
 * events due: one per complete version in version order (a version completed and superseded
 * in the same batch still reports, so the job that published it completes).
 */
export function planFlips(plan: BatchPlan, completeness: readonly Completeness[], now: number): { flips: Flip[]; events: Map<string, StoredEvent[]> } {
  const complete = new Map<string, Array<Completeness & { candidate: FlipCandidate }>>();
  for (const c of completeness) {
    const candidate = plan.candidates.get(`${c.docId}\u0000${c.contentHash}`);
    if (!candidate || c.stored < candidate.count) continue;
    const { current, tombstone } = plan.docs.get(c.docId)?.after ?? {};
    if ((current && c.version <= current.version) || (tombstone !== undefined && c.version <= tombstone)) continue;
    const list = complete.get(c.docId) ?? [];
    list.push({ ...c, candidate });
    complete.set(c.docId, list);
  }
  const flips: Flip[] = [];
  const events = new Map<string, StoredEvent[]>();
  for (const [docId, list] of complete) {
    list.sort((a, b) => a.version - b.version);
    const last = list.at(-1)!;
    const previousHash = plan.docs.get(docId)?.after.current?.contentHash;
    flips.push({
      docId, contentHash: last.contentHash, version: last.version, count: last.candidate.count,
      representative: last.candidate.representative, ...(previousHash !== undefined ? { previousHash } : {}),
    });
    events.set(docId, list.map((c) => storedEvent(docId, c.version, c.candidate.count, c.candidate.representative.jobId, now)));
  }
  return { flips, events };
}

/** Events of a batch in document order: deletion, unchanged, then flips (by version). */
export function orderEvents(plan: BatchPlan, flipEvents: ReadonlyMap<string, StoredEvent[]>, now: number): StoredEvent[] {
  const out: StoredEvent[] = [];
  for (const doc of plan.docs.values()) {
    if (doc.apply) out.push({ ...storedEvent(doc.docId, doc.apply.version, 0, doc.apply.jobId, now), deleted: true });
    if (doc.unchanged) out.push(doc.unchanged);
    out.push(...(flipEvents.get(doc.docId) ?? []));
  }
  return out;
}

function storedEvent(id: string, version: number, chunks: number, jobId: string | undefined, storedAt: number): StoredEvent {
  return { id, version, chunks, ...(jobId !== undefined ? { jobId } : {}), storedAt };
}
