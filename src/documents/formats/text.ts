/** `.md`, `.markdown`, `.txt`: UTF-8 text as it is. */
import { extname } from 'node:path';
import { contentTypeOfExtension } from '../../topics/content-type.ts';
import { decodeUtf8 } from '../../topics/raw-document.ts';
import { FileProblem } from '../problems.ts';
import type { Extracted } from './types.ts';

/** Bytes looked at for a NUL: a text file has none, nearly every binary format has one early. */
const SNIFF_BYTES = 8192;

/** Strict UTF-8 text with no NUL byte. @throws FileProblem BINARY otherwise. */
export function textOf(bytes: Buffer): string {
  if (bytes.subarray(0, SNIFF_BYTES).includes(0)) throw new FileProblem('BINARY', 'binary file (contains NUL bytes)');
  try {
    return decodeUtf8(bytes, 'file');
  } catch (error) {
    throw new FileProblem('BINARY', (error as Error).message, { cause: error });
  }
}

/** A text file's content type comes from its extension (`.txt` is plain, the others Markdown). */
export const readText = async (bytes: Buffer, file: string): Promise<Extracted> => ({ text: textOf(bytes), contentType: contentTypeOfExtension(extname(file)) });
