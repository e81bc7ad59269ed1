/**
 * Vectors cross the SQL boundary as pgvector's text form `[x1,x2,…]` on both clients. Float32
 * values are written with 9 significant digits (enough for every float32 to round-trip through
 * pgvector's strtof) and read back exactly, so an embedding read from the database equals, bit
 * for bit, the one written.
 *
 * Reading goes through the `pgvector` package. Writing is by hand, measured: the package's
 * `toSql` (JSON.stringify of the float32 values as doubles, up to 17 digits) took 51-58 µs per
 * 384-d vector and 7,592 characters against 39-48 µs and 4,843 here, and PostgreSQL parsed
 * 8,000 of its vectors in 450-460 ms of backend CPU against 340-400 ms (`unnest($1::text[])` into
 * an unindexed table): 0.02-0.03 ms per stored chunk more on the store's hot path. It also
 * rejects NaN/Infinity only at the server, where this names the offending chunk first.
 */
import pgvector from 'pgvector';
import { ValidationError } from '../errors/pipeline-error.ts';

/**
 * Text form of a vector for a `$n::text::vector` parameter.
 * @throws ValidationError when a component is NaN or infinite (pgvector rejects them); `what`
 *   names the offending item in the message.
 */
export function toVectorText(values: ArrayLike<number>, what = 'vector'): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (!Number.isFinite(x)) throw new ValidationError(`${what} has a non-finite component ${x} at index ${i}`);
    // Integers (0, 1) print short; everything else with float32's round-trip precision.
    parts[i] = Number.isInteger(x) ? String(x) : x.toPrecision(9);
  }
  return `[${parts.join(',')}]`;
}

/**
 * Parses pgvector's text output (`'[1,2.5,-3e-05]'`) into a Float32Array. PostgreSQL prints
 * each component as the shortest decimal that reads back as the same float32, so the parsed
 * doubles round to the stored values exactly.
 */
export function fromVectorText(text: string): Float32Array {
  const trimmed = text.trim();
  // pgvector's parser reads '[]' as one NaN; no stored vector is empty, a caller's text may be.
  return trimmed === '[]' ? new Float32Array(0) : Float32Array.from(pgvector.fromSql(trimmed) as number[]);
}
