/**
 * The filters every search mode takes (vector, text, hybrid), and how they reach SQL. Every
 * search statement of this folder binds them at the same positions: $3 minister, $4 category,
 * $6 source prefix, $7 metadata (JSON text), so one parameter list serves all of them.
 * Minister and category are columns of `chunks`; source and metadata are the document's
 * (`documents`, current version), checked in the same statement.
 */
import { ValidationError } from '../errors/pipeline-error.ts';

export interface SearchFilters {
  /** Only chunks routed to this minister. */
  minister?: string;
  /** Only chunks of this category. */
  category?: string;
  /** Only chunks of documents whose `source` starts with this text (case-sensitive, no wildcards). */
  sourcePrefix?: string;
  /**
   * Only chunks of documents whose metadata contains this JSON object (PostgreSQL `@>`:
   * `{"type":"faq"}` matches `{"type":"faq","date":"…"}`; nested objects and arrays match by
   * containment too).
   */
  metadata?: Record<string, unknown>;
}

/** True when any filter is set. */
export function isFiltered(filters: SearchFilters): boolean {
  return filters.minister !== undefined || filters.category !== undefined || filters.sourcePrefix !== undefined || filters.metadata !== undefined;
}

/** Values of $3, $4, $6 and $7 (see the file's comment). */
export function filterValues(filters: SearchFilters): { minister: string | null; category: string | null; source: string | null; metadata: string | null } {
  return {
    minister: filters.minister ?? null,
    category: filters.category ?? null,
    source: filters.sourcePrefix ?? null,
    metadata: filters.metadata === undefined ? null : JSON.stringify(filters.metadata),
  };
}

/**
 * The predicate of the document filters ($6 source prefix, $7 metadata) on a chunks row
 * `alias`: true when neither is set, else when the chunk's document, at the version the chunk
 * belongs to, passes both.
 */
export function documentFilterSql(alias: string): string {
  return `($6::text IS NULL AND $7::text IS NULL OR EXISTS (
      SELECT 1 FROM documents fd WHERE fd.doc_id = ${alias}.doc_id AND fd.content_hash = ${alias}.content_hash
        AND ($6::text IS NULL OR starts_with(fd.source, $6::text))
        AND ($7::text IS NULL OR fd.metadata @> $7::text::jsonb)))`;
}

/**
 * A metadata filter as a person types it (`--metadata`, `metadata=`): a JSON object.
 * @throws ValidationError saying what is wrong (the caller names the parameter).
 */
export function parseMetadataFilter(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`is not JSON (${(error as Error).message}): give a JSON object, e.g. {"type":"faq"}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError(`must be a JSON object, e.g. {"type":"faq"}; got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
  }
  return value as Record<string, unknown>;
}
