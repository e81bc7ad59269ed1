/**
 * The only changes the chunker makes to a document's text. Chunks are exact slices of the
 * normalised text, so removing overlaps and joining them gives this text back, unchanged.
 */

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Normalises a document's text before chunking:
 * 1. CRLF and lone CR become LF (so line and paragraph rules see one kind of line break);
 * 2. NUL (U+0000) is removed (PostgreSQL `text` cannot hold it; the raw validator already
 *    strips it — this is defence in depth for in-process callers);
 * 3. a lone surrogate (possible through a JSON `\ud800` escape) becomes U+FFFD, which is what
 *    UTF-8 encoding on the way to Kafka or PostgreSQL would make of it anyway.
 * Nothing else changes: no Unicode normalisation (NFC/NFKC), no trimming, no collapsing of
 * whitespace, tabs and other control characters are kept. Pure; linear time.
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
  return out;
}

/** True when the text has nothing but whitespace (JavaScript `\s`, as `String#trim`). */
export function isBlank(text: string): boolean {
  return !/\S/.test(text);
}
