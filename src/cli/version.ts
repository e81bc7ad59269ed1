/**
 * The package's version, read once from its package.json: the one place it is written. The
 * file is two levels above this module both in the sources (src/cli/) and in the build
 * (dist/cli/), and ships in the package and the image beside dist/.
 */
import { readFileSync } from 'node:fs';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
