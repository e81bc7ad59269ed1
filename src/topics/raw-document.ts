import { z } from 'zod';
import { DecodeError, OversizeError, ValidationError } from '../errors/pipeline-error.ts';
import { parseContentType } from './content-type.ts';
import type { RawDocument } from './messages.ts';

/** Limits applied to every `era.raw` input, whatever produced it. */
export interface RawLimits {
  /** Largest accepted value. @defaultValue 10 MiB */
  maxBytes: number;
  /** Largest accepted key (document id). @defaultValue 1024 bytes */
  maxIdBytes: number;
  /** Deepest accepted nesting of `metadata`. @defaultValue 32 */
  maxMetadataDepth: number;
}

export const DEFAULT_RAW_LIMITS: RawLimits = { maxBytes: 10 * 1024 * 1024, maxIdBytes: 1024, maxMetadataDepth: 32 };

/** The limits in force: MAX_DOCUMENT_BYTES from the configuration, the rest fixed. */
export function rawLimits(config: { maxDocumentBytes: number }): RawLimits {
  return { ...DEFAULT_RAW_LIMITS, maxBytes: config.maxDocumentBytes };
}

const optionalText = z.string().max(4096).optional();

const rawSchema = z.object({
  id: z.string().min(1, 'id must not be empty'),
  text: z.string(),
  title: optionalText,
  source: optionalText,
  minister: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'minister must be a lowercase id ([a-z0-9_-], ≤ 64)').optional(),
  category: z.string().min(1).max(128).optional(),
  metadata: z.custom<Record<string, unknown>>(
    (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
    'metadata must be a JSON object',
  ).optional(),
  jobId: z.string().min(1).max(256).optional(),
  contentType: z.string().max(256).optional(),
});

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Strict UTF-8 decoding: invalid sequences are poison, not U+FFFD. */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch (error) {
    throw new DecodeError(`${what} is not valid UTF-8`, error);
  }
}

function depth(value: unknown, limit: number, level = 0): number {
  if (level > limit || typeof value !== 'object' || value === null) return level;
  let deepest = level;
  for (const child of Object.values(value)) deepest = Math.max(deepest, depth(child, limit, level + 1));
  return deepest;
}

/** Removes C0 control characters (except tab/newline) from one-line fields such as titles. */
const stripControls = (s: string): string => s.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');

/**
 * Validates a decoded value against the v1 contract and returns a clean RawDocument.
 * Unknown fields are ignored (forward compatible). `metadata` is kept exactly as parsed:
 * JSON.parse makes `__proto__` an own data property, so it is stored as data, never as a
 * prototype. NUL bytes are removed from text (PostgreSQL text cannot hold them).
 * `contentType` is made canonical (./content-type.ts); an unsupported one is invalid.
 */
export function validateRawDocument(value: unknown, key: string | undefined, limits: RawLimits = DEFAULT_RAW_LIMITS): RawDocument {
  const parsed = rawSchema.safeParse(value);
  if (!parsed.success) {
    throw new ValidationError('invalid raw document', parsed.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`));
  }
  const doc = parsed.data;
  if (Buffer.byteLength(doc.id) > limits.maxIdBytes) {
    throw new ValidationError('invalid raw document', [`id is ${Buffer.byteLength(doc.id)} bytes, over the limit of ${limits.maxIdBytes}`]);
  }
  if (key !== undefined && key !== doc.id) {
    throw new ValidationError('invalid raw document', [`id "${doc.id.slice(0, 100)}" does not equal the message key "${key.slice(0, 100)}"`]);
  }
  if (doc.metadata !== undefined && depth(doc.metadata, limits.maxMetadataDepth) > limits.maxMetadataDepth) {
    throw new ValidationError('invalid raw document', [`metadata is nested deeper than ${limits.maxMetadataDepth} levels`]);
  }
  const text = doc.text.replaceAll('\u0000', '');
  if (text.trim() === '') throw new ValidationError('invalid raw document', ['text is empty or whitespace only'], 'EMPTY_DOCUMENT');
  const out: RawDocument = { id: doc.id, text };
  if (doc.title !== undefined) out.title = stripControls(doc.title);
  if (doc.source !== undefined) out.source = stripControls(doc.source);
  if (doc.minister !== undefined) out.minister = doc.minister;
  if (doc.category !== undefined) out.category = stripControls(doc.category);
  if (doc.metadata !== undefined) out.metadata = doc.metadata;
  if (doc.jobId !== undefined) out.jobId = doc.jobId;
  if (doc.contentType !== undefined) out.contentType = parseContentType(doc.contentType);
  return out;
}

/**
 * Decodes the bytes of an `era.raw` record. Returns null for a tombstone (null value).
 * Throws DecodeError / ValidationError / OversizeError (all non-retriable: poison).
 */
export function decodeRawDocument(key: Uint8Array | null, value: Uint8Array | null, limits: RawLimits = DEFAULT_RAW_LIMITS): RawDocument | null {
  if (key !== null && key.byteLength > limits.maxIdBytes) {
    throw new ValidationError('invalid raw document', [`key is ${key.byteLength} bytes, over the limit of ${limits.maxIdBytes}`]);
  }
  const keyText = key === null ? undefined : decodeUtf8(key, 'key');
  if (value === null) {
    if (keyText === undefined) throw new ValidationError('tombstone without a key cannot name a document');
    return null;
  }
  if (value.byteLength > limits.maxBytes) throw new OversizeError(value.byteLength, limits.maxBytes, 'raw document');
  const text = decodeUtf8(value, 'value');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DecodeError(`value is not JSON: ${(error as Error).message}`, error);
  }
  return validateRawDocument(json, keyText, limits);
}

export function encodeRawDocument(doc: RawDocument): Buffer {
  return Buffer.from(JSON.stringify(doc));
}
