/**
 * The only changes the chunker makes to a document's text. Chunks are exact slices of the
 * normalised text, so removing overlaps and joining them gives this text back, unchanged.
 */

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Longest whitespace run kept as is (UTF-16 code units); longer runs keep both ends. */
export const MAX_WHITESPACE_RUN = 256;
const longWhitespace = new RegExp(`\\s{${MAX_WHITESPACE_RUN + 1},}`, 'g');
const half = MAX_WHITESPACE_RUN / 2;

/**
 * Normalises a document's text before chunking:
 * 1. CRLF and lone CR become LF (so line and paragraph rules see one kind of line break);
 * 2. NUL (U+0000) is removed (PostgreSQL `text` cannot hold it; the raw validator already
 *    strips it — this is defence in depth for in-process callers);
 * 3. a lone surrogate (possible through a JSON `\ud800` escape) becomes U+FFFD, which is what
 *    UTF-8 encoding on the way to Kafka or PostgreSQL would make of it anyway;
 * 4. a run of more than {@link MAX_WHITESPACE_RUN} whitespace code units (JavaScript `\s`,
 *    after step 1) keeps its first and last 128: whitespace costs no tokens, so without
 *    this a mostly blank document (PDF extraction) would make one multi-megabyte chunk.
 *    Both ends are kept so the line breaks that end a paragraph and the indentation that
 *    starts the next line survive.
 * Nothing else changes: no Unicode normalisation (NFC/NFKC), no trimming, tabs and other
 * control characters are kept. Pure; linear time.
 */
export function normaliseText(text: string): string {
  let out = text;
  if (out.includes('\r')) out = out.replace(/\r\n?/g, '\n');
  if (out.includes('\u0000')) out = out.replaceAll('\u0000', '');
  loneSurrogate.lastIndex = 0;
  if (loneSurrogate.test(out)) {
    loneSurrogate.lastIndex = 0;
    out = out.replace(loneSurrogate, '\uFFFD');
  }
  longWhitespace.lastIndex = 0;
  if (longWhitespace.test(out)) {
    longWhitespace.lastIndex = 0;
    out = out.replace(longWhitespace, (run) => run.slice(0, half) + run.slice(-half));
  }
  return out;
}

/** True when the text has nothing but whitespace (JavaScript `\s`, as `String#trim`). */
export function isBlank(text: string): boolean {
  return !/\S/.test(text);
}
