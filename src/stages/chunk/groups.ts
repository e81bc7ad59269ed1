/**
 * Merging of small Markdown sections: which consecutive sections the packer (./plan.ts)
 * fills into chunks together. A section under {@link smallSectionTokens} (a heading with a
 * line or two, a one-paragraph note) is not worth a chunk of its own: as a chunk it is
 * mostly heading, and a page of them (a changelog, a configuration file written as Markdown)
 * makes hundreds of chunks a reader cannot use.
 *
 * Rules, left to right, for the next section `t` and the group `G` being built:
 * 1. `G` is small: `t` joins it, whatever its size (`G` leads into `t`'s first chunk);
 * 2. `t` is small and the two fit one chunk (`size(G) + size(t) <= maxTokens`): `t` joins;
 * 3. `t` is small and the last section of the text: `t` joins (there is nothing to lead into);
 * otherwise `t` starts a new group (a small `t` then leads into the section after it).
 *
 * Sections are only ever merged whole and in order; inside a group the packer still prefers
 * to end chunks at section ends, and each chunk takes the heading path of the section its new
 * text starts in (so a merged chunk keeps the heading path of its first section). Pure; the
 * caller measures the sections.
 */

/** Sections under a quarter of a chunk (64 tokens, ~250 characters at the default 256) are small. */
export function smallSectionTokens(maxTokens: number): number {
  return Math.ceil(maxTokens / 4);
}

/**
 * Start indexes of the groups of sections whose token counts are `sizes` (a count over
 * `maxTokens` may be given as `maxTokens + 1`: only comparisons with it matter). The first
 * group starts at 0; group k runs from `starts[k]` to `starts[k + 1]` (or the end).
 */
export function groupSections(sizes: readonly number[], maxTokens: number): number[] {
  if (sizes.length === 0) return [];
  const small = smallSectionTokens(maxTokens);
  const starts = [0];
  let group = sizes[0]!;
  for (let t = 1; t < sizes.length; t++) {
    const size = sizes[t]!;
    const joins = group < small || (size < small && (group + size <= maxTokens || t === sizes.length - 1));
    if (joins) {
      group += size;
    } else {
      starts.push(t);
      group = size;
    }
  }
  return starts;
}
