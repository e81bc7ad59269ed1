import { randomBytes } from 'node:crypto';

/** A name unique to this test run, for topics, groups, schemas and tables. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}
