/**
 * Vectors cross the SQL boundary as pgvector's text form `[x1,x2,…]` on both clients. Float32
 * values are written with 9 significant digits (enough for every float32 to round-trip through
 * pgvector's strtof) and read back exactly, so an embedding read from the database equals, bit
 * for bit, the one written.
 */
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

/** Parses pgvector's text output (`'[1,2.5,-3e-05]'`) into a Float32Array. */
export function fromVectorText(text: string): Float32Array {
  const inner = text.trim().slice(1, -1);
  if (inner.length === 0) return new Float32Array(0);
  const parts = inner.split(',');
  const out = new Float32Array(parts.length);
  for (let i = 0; i < parts.length; i++) out[i] = Number(parts[i]);
  return out;
}
