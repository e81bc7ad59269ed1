/** Public API of the storage layer (DESIGN.md §4). */
export type { SqlClient, SqlResult } from './sql-client.ts';
export { SqlError, classifyDbError } from './errors.ts';
export { createPgClient, type PgClient, type PgClientOptions } from './pg-client.ts';
export { createPgliteClient, type PgliteClient, type PgliteClientOptions } from './pglite-client.ts';
export { migrate, readDimension, ensureVectorIndex, hasVectorIndex, type MigrateOptions, type MigrateResult } from './migrate.ts';
export { writeBatch, type WriteBatchOptions } from './store.ts';
export { lookupEmbeddings } from './embedding-cache.ts';
export { search, documentCount, chunkCount, documentChunks, type SearchHit, type SearchOptions, type CurrentChunk } from './search.ts';
export { upsertMinisterProfiles, readMinisterAggregates, type MinisterProfile, type MinisterAggregate } from './ministers.ts';
export { toVectorText, fromVectorText } from './vector-text.ts';
