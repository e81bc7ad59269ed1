/** Loads the SQL of this folder once (files next to the code, read relative to this module). */
import { readFileSync } from 'node:fs';

const cache = new Map<string, string>();

/** Text of `src/storage/sql/<name>.sql`. Throws (ENOENT) at first use if the file is missing. */
export function sql(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(new URL(`./sql/${name}.sql`, import.meta.url), 'utf8');
    cache.set(name, text);
  }
  return text;
}
