/**
 * Stored document ids → keys of a question set. The set names a file by its path relative to
 * the corpus folder, and `era-ingest run <corpus>` gives a file exactly that id, whatever the
 * working directory (src/documents/ids.ts); a document read from .json/.jsonl keeps its own
 * `id`, which is its key as it is. So an id is its key, or the document is not in the set.
 */

/** A function from a stored document id to its key in `keys`, or undefined when it has none. */
export function documentKeyMapper(keys: ReadonlySet<string> | ReadonlyMap<string, unknown>): (docId: string) => string | undefined {
  return (docId) => (keys.has(docId) ? docId : undefined);
}
