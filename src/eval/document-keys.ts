/**
 * Stored document ids → keys of a question set. `era-ingest run` gives a file the id of its
 * path relative to the working directory (src/documents/files.ts), while the set names it
 * relative to the corpus folder; a document read from .json/.jsonl keeps its own `id`, which is
 * its key as it is. Pure: the working directory is an argument.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';

/**
 * A function from a stored document id to its key in `keys`, or undefined when it has none.
 * A path inside `corpusDir` is tried first (so a file's id maps whatever the working directory),
 * then the id as it is.
 */
export function documentKeyMapper(keys: ReadonlySet<string> | ReadonlyMap<string, unknown>, corpusDir: string, cwd: string): (docId: string) => string | undefined {
  const corpus = resolve(cwd, corpusDir);
  return (docId) => {
    const inCorpus = relative(corpus, resolve(cwd, docId));
    if (inCorpus && inCorpus !== '..' && !inCorpus.startsWith(`..${sep}`) && !isAbsolute(inCorpus)) {
      const key = inCorpus.split(sep).join('/');
      if (keys.has(key)) return key;
    }
    return keys.has(docId) ? docId : undefined;
  };
}
