/**
 * English function words, dropped from minister profile texts for a lexical embedder.
 *
 * Why: a lexical (feature-hashing) embedder matches words, so the "the", "and", "of" of a
 * minister's description would make every profile similar to every text, lifting unrelated
 * chunks over the routing threshold. Measured with the bundled ministers and the `hash-v1`
 * embedder (384 dimensions) on news-like paragraphs: off-topic ones (a recipe, a match report)
 * scored up to 0.30 against some minister with function words in the profiles and at most 0.12
 * without them, while on-topic ones mostly kept 0.2–0.45 (test/unit/minister/shipped-ministers.test.ts).
 * Chunks are embedded as they are; only the profile side is filtered.
 */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a about above after again against all also am an and any are as at be because been before being below between both but by ' +
    'can could did do does doing down during each either few for from further had has have having he her here hers him his how ' +
    'i if in into is it its itself just me more most my no nor not of off on once only or other our ours out over own same she ' +
    'should so some such than that the their theirs them then there these they this those through to too under until up upon ' +
    'us very was we were what when where which while who whom why will with within without would you your covers including'
  ).split(' '),
);

/** `text` without function words: lowercase word tokens (letters and digits) joined by spaces. */
export function contentWords(text: string): string {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w && !STOP_WORDS.has(w))
    .join(' ');
}
