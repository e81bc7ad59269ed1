/**
 * The one configuration schema (DESIGN.md §8). Every setting has an environment variable; the
 * CLI flags map onto the same keys. Invalid configuration fails at start with a message naming
 * the variable, the value and the fix (see ./load.ts). docs/configuration.md is generated from
 * this file (`npm run docs:config`), so it cannot drift.
 */
import { z } from 'zod';
import { databaseUrlProblem } from './database-url.ts';
import { parseOllamaHost } from './ollama-host.ts';
import { RUN_RETRY_DEADLINE_MS } from './retry-policy.ts';

const csv = z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const httpUrl = (example: string) => z.string().url(`expected an http(s) URL, e.g. ${example}`).refine((s) => /^https?:\/\//i.test(s), `expected an http(s) URL, e.g. ${example}`);
/** A URL `pg` can read (./database-url.ts): a bad port is a configuration error at start, not a TypeError at the first query. */
const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, 'expected postgres://user:pass@host:port/db').superRefine((url, ctx) => {
  const problem = databaseUrlProblem(url);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
/** An OLLAMA_HOST entry in any form Ollama accepts (./ollama-host.ts), as a URL. */
const ollamaHostUrl = z.string().transform((entry, ctx) => {
  const parsed = parseOllamaHost(entry);
  if ('url' in parsed) return parsed.url;
  ctx.addIssue({ code: 'custom', message: `${JSON.stringify(entry)}: ${parsed.problem}` });
  return z.NEVER;
});
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((s) => ['true', '1', 'yes'].includes(s));

/** One entry per setting: env name, schema, default (as the env string), help. */
export const SETTINGS = {
  kafkaBrokers: { env: 'KAFKA_BROKERS', schema: csv.pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'expected host:port')).min(1)), default: '127.0.0.1:19092', help: 'Kafka bootstrap brokers, comma-separated host:port.' },
  kafkaClientId: { env: 'KAFKA_CLIENT_ID', schema: z.string().min(1), default: 'era-ingest', help: 'Kafka client id prefix.' },
  kafkaSsl: { env: 'KAFKA_SSL', schema: bool, default: 'false', help: 'Connect to Kafka over TLS.' },
  kafkaSslCa: { env: 'KAFKA_SSL_CA_FILE', schema: z.string().optional(), default: undefined, help: 'PEM file of the CA that signed the brokers\' certificates.' },
  kafkaSaslMechanism: { env: 'KAFKA_SASL_MECHANISM', schema: z.enum(['none', 'plain', 'scram-sha-256', 'scram-sha-512']), default: 'none', help: 'SASL mechanism.' },
  kafkaSaslUsername: { env: 'KAFKA_SASL_USERNAME', schema: z.string().optional(), default: undefined, help: 'SASL user name.' },
  kafkaSaslPassword: { env: 'KAFKA_SASL_PASSWORD', schema: z.string().optional(), default: undefined, help: 'SASL password (never logged).', secret: true },
  topicPrefix: { env: 'TOPIC_PREFIX', schema: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'letters, digits, ".", "_" or "-"'), default: 'era', help: 'Prefix of every topic name: `${TOPIC_PREFIX}.raw` …' },
  topicPartitions: { env: 'TOPIC_PARTITIONS', schema: int(1, 10_000), default: '6', help: 'Partitions of topics created by `topics create` and at stage start.' },
  topicReplicationFactor: { env: 'TOPIC_REPLICATION_FACTOR', schema: int(1, 10), default: '1', help: 'Replication factor of created topics.' },
  codec: { env: 'CODEC', schema: z.enum(['json', 'avro']), default: 'json', help: 'Value codec of the internal topics. `json`: JSON v1, no registry. `avro`: Avro through SCHEMA_REGISTRY_URL (schemas registered as `<topic>-value`, BACKWARD); JSON values are still read, and era.raw always accepts JSON.' },
  schemaRegistryUrl: { env: 'SCHEMA_REGISTRY_URL', schema: z.string().url('expected http://host:port[/path], e.g. http://127.0.0.1:18081/apis/ccompat/v7').optional(), default: undefined, help: 'Confluent-compatible schema registry (Confluent, or Apicurio at `/apis/ccompat/v7`); required with CODEC=avro.' },
  groupPrefix: { env: 'GROUP_PREFIX', schema: z.string().min(1), default: 'era', help: 'Consumer groups are `${GROUP_PREFIX}.<stage>`.' },
  databaseUrl: { env: 'DATABASE_URL', schema: postgresUrl.optional(), default: undefined, help: 'PostgreSQL with pgvector. Unset in embedded mode: PGlite in --data-dir.' },
  dbPoolSize: { env: 'DB_POOL_SIZE', schema: int(1, 100), default: '4', help: 'PostgreSQL connections per process.' },
  storeWriters: { env: 'STORE_WRITERS', schema: int(1, 64), default: '2', help: 'Store stage: batches written at once, each in its own transaction on its own connection (at most DB_POOL_SIZE). With the HNSW index two writers store 1.5-1.9× the chunks/s of one on 2 cores (bench/tools/store-variants.ts): index upkeep is CPU-bound per backend.' },
  embedder: { env: 'EMBEDDER', schema: z.enum(['hash', 'ollama', 'openai']), default: 'hash', help: '`hash`: built-in lexical feature hashing (no model server). `ollama`: semantic embeddings from OLLAMA_HOST (`/api/embed`). `openai`: semantic embeddings from any OpenAI-compatible `/v1/embeddings` server at OPENAI_BASE_URL (OpenAI, vLLM, TEI, LiteLLM, Ollama\'s `/v1`).' },
  ollamaHost: { env: 'OLLAMA_HOST', schema: csv.pipe(z.array(ollamaHostUrl).min(1, 'expected at least one host')), default: 'http://127.0.0.1:11434', help: 'Ollama servers, comma-separated; requests are spread over them. Each in any form Ollama accepts: `host`, `host:port`, `:port`, `http(s)://host:port[/path]` (no scheme: http and port 11434; a scheme without a port: 80 or 443; `0.0.0.0`: this machine).' },
  openaiBaseUrl: { env: 'OPENAI_BASE_URL', schema: httpUrl('https://api.openai.com/v1'), default: 'https://api.openai.com/v1', help: 'EMBEDDER=openai: base URL of the OpenAI-compatible API, including its version; requests go to `${OPENAI_BASE_URL}/embeddings`. Ollama: `http://host:11434/v1`.' },
  openaiApiKey: { env: 'OPENAI_API_KEY', schema: z.string().min(1).optional(), default: undefined, help: 'EMBEDDER=openai: API key, sent as `Authorization: Bearer <key>`; unset = no Authorization header (Ollama, a local vLLM or TEI). Never logged or shown in errors.', secret: true },
  openaiSendDimensions: { env: 'OPENAI_SEND_DIMENSIONS', schema: bool, default: 'false', help: 'EMBEDDER=openai: ask for `dimensions: EMBED_DIM`, for models that can shorten their vectors (text-embedding-3-*). A server that refuses it stops the stage naming this setting; one that ignores it (Ollama) returns the model\'s own length, reported as an EMBED_DIM error.' },
  embedModel: { env: 'EMBED_MODEL', schema: z.string().min(1), default: 'all-minilm', help: 'Embedding model name (Ollama, OpenAI-compatible server) or label (hash).' },
  embedDim: { env: 'EMBED_DIM', schema: int(2, 16_000).optional(), default: undefined, help: 'Embedding dimension, the size of the chunks.embedding column. Unset: the model\'s (its answer to one request at start), or with EMBEDDER=hash the store\'s, else 384. When set, a model that answers another size stops the process at start.' },
  hnswM: { env: 'HNSW_M', schema: int(2, 100), default: '12', help: 'HNSW `m` of the vector indexes a new database gets (links per node; pgvector\'s default is 16). Fewer links insert faster and find a little less. PostgreSQL 18.4 + pgvector 0.8.5, 384 dimensions: recall@10 against exact search on 20,000 bench chunks (bench/tools/hnsw-recall.ts) 0.980 for m=16/ef_construction=64, 0.974 for 12/48, 0.958 for 8/32; one writer stores 1,093, 1,361 and 2,032 chunks/s (bench/tools/store-variants.ts), two writers 2,030 (16/64) and 3,025 (12/48). 12/48 keeps recall@10 above 0.95 with a margin at 1.25-1.5× the insert rate. Existing databases: `era-ingest db reindex`.' },
  hnswEfConstruction: { env: 'HNSW_EF_CONSTRUCTION', schema: int(4, 1000), default: '48', help: 'HNSW `ef_construction` of new vector indexes (candidate list while inserting; at least 2 × HNSW_M). See HNSW_M.' },
  embedBatchSize: { env: 'EMBED_BATCH_SIZE', schema: int(1, 1024), default: '16', help: 'Chunks per embedding request (`/api/embed`, `/v1/embeddings`).' },
  embedConcurrency: { env: 'EMBED_CONCURRENCY', schema: int(1, 256), default: '2', help: 'Concurrent embedding requests (upper bound of the adaptive limit).' },
  embedTimeoutMs: { env: 'EMBED_TIMEOUT_MS', schema: int(100, 2 ** 31 - 1), default: '30000', help: 'Timeout of one embedding request, ms.' },
  embedKeepAlive: { env: 'EMBED_KEEP_ALIVE', schema: z.string().min(1), default: '5m', help: 'Ollama keep_alive for the model.' },
  chunkTokens: { env: 'CHUNK_TOKENS', schema: int(16, 8192), default: '256', help: 'Chunk size limit in (approximate) tokens.' },
  chunkOverlap: { env: 'CHUNK_OVERLAP', schema: int(0, 4096), default: '32', help: 'Overlap between consecutive chunks in tokens.' },
  maxDocumentBytes: { env: 'MAX_DOCUMENT_BYTES', schema: int(1024), default: String(10 * 1024 * 1024), help: 'Largest accepted raw document; larger ones go to the DLQ (MESSAGE_TOO_LARGE).' },
  maxFileBytes: { env: 'MAX_FILE_BYTES', schema: int(1024).optional(), default: undefined, help: 'Largest PDF, DOCX or HTML file `run` and `publish` read (the text it gives must still fit MAX_DOCUMENT_BYTES; a text or JSON file must fit MAX_DOCUMENT_BYTES itself); a larger one is reported (TOO_LARGE) without being read. Default: 4 × MAX_DOCUMENT_BYTES.' },
  ministersFile: { env: 'MINISTERS_FILE', schema: z.string().optional(), default: undefined, help: 'Ministers file (JSON or YAML); default: the bundled config/ministers.yaml.' },
  profile: { env: 'PROFILE', schema: z.enum(['local', 'standard', 'high-throughput']), default: 'standard', help: 'Preset of concurrency, batch sizes, rates and retry policy.' },
  flowRate: { env: 'FLOW_RATE', schema: z.union([z.literal('unlimited'), z.coerce.number().positive()]).optional(), default: undefined, help: 'Base admission rate of a stage, messages/s, or `unlimited`; the adaptive controller moves it within [rate/3, rate×3]. Default: the PROFILE preset.' },
  flowBurst: { env: 'FLOW_BURST', schema: int(1).optional(), default: undefined, help: 'Token bucket capacity, messages. Default: the PROFILE preset.' },
  downstreamLagLimit: { env: 'DOWNSTREAM_LAG_LIMIT', schema: int(1).optional(), default: undefined, help: 'Lag of the next stage on this stage\'s output topic that counts as full: above 80 % the rate halves, at 100 % the stage pauses. Default: the PROFILE preset.' },
  flowSampleMs: { env: 'FLOW_SAMPLE_MS', schema: int(100), default: '5000', help: 'How often lag is measured (admin API) and the adaptive controller decides, ms.' },
  priorityMinNormalShare: { env: 'PRIORITY_MIN_NORMAL_SHARE', schema: z.coerce.number().min(0).max(1), default: '0.1', help: 'Starvation guard: least share of admissions kept for era.raw while era.raw.priority has lag.' },
  maxInFlight: { env: 'MAX_IN_FLIGHT', schema: int(1), default: '2000', help: 'Messages a stage holds in flight before pausing its partitions.' },
  maxInFlightBytes: { env: 'MAX_IN_FLIGHT_BYTES', schema: int(1024), default: String(64 * 1024 * 1024), help: 'Bytes a stage holds in flight before pausing its partitions.' },
  delivery: { env: 'DELIVERY', schema: z.enum(['at-least-once', 'exactly-once']), default: 'at-least-once', help: 'Delivery of the chunk, embed and minister stages\' outputs. `at-least-once`: outputs are produced, then input offsets committed (a crash in between repeats outputs; the store absorbs them). `exactly-once`: outputs and input offsets in one Kafka transaction per input partition, zombies fenced; readers must read committed (the stages do). Costs throughput and latency: README "Exactly-once". The store stage is idempotent either way.' },
  commitIntervalMs: { env: 'COMMIT_INTERVAL_MS', schema: int(10), default: '1000', help: 'How often completed offsets are committed, ms.' },
  dlqMaxRatio: { env: 'DLQ_MAX_RATIO', schema: z.coerce.number().min(0).max(1), default: '0.5', help: 'Halt the stage when more than this share of a window goes to the DLQ.' },
  dlqWindow: { env: 'DLQ_WINDOW', schema: int(1), default: '200', help: 'Messages in the DLQ-ratio window; the limit applies once the window is full.' },
  retryDeadlineMs: { env: 'RETRY_DEADLINE_MS', schema: int(1).optional(), default: undefined, help: 'How long one failure of a dependency (broker, database, embedder) is retried with backoff before giving up, ms; then the stage halts (exit 1), or `run` stops and prints what it stored. Never a reason to dead-letter. Default: stage services retry until the dependency is back (their partitions stay paused); `era-ingest run` gives up after ' + `${RUN_RETRY_DEADLINE_MS} (${RUN_RETRY_DEADLINE_MS / 60_000} minutes).` },
  shutdownTimeoutMs: { env: 'SHUTDOWN_TIMEOUT_MS', schema: int(100), default: '20000', help: 'Drain deadline on SIGTERM, ms.' },
  metricsPort: { env: 'METRICS_PORT', schema: int(0, 65535), default: '9464', help: 'HTTP port for /metrics, /healthz, /readyz (0 = any free port).' },
  apiPort: { env: 'API_PORT', schema: int(0, 65535), default: '8080', help: 'HTTP port of `era-ingest serve` (0 = any free port).' },
  apiHost: { env: 'API_HOST', schema: z.string().min(1), default: '127.0.0.1', help: 'Interface `era-ingest serve` listens on. The default, `127.0.0.1`, is this machine only; any other address (e.g. `0.0.0.0` in a container) needs API_TOKEN, or API_AUTH=none to serve without authentication on purpose.' },
  apiAuth: { env: 'API_AUTH', schema: z.enum(['token', 'none']), default: 'token', help: '`token`: every route but /healthz and /readyz needs API_TOKEN as a bearer token once one is set, and `serve` refuses to listen beyond loopback without one. `none`: serve without authentication on any address (behind a gateway that authenticates).' },
  apiMaxSearches: { env: 'API_MAX_SEARCHES', schema: int(1, 1000), default: '8', help: '`GET /search` requests `serve` runs at once; more get 503 BUSY with Retry-After (each embeds the query, unless mode=text, and runs a vector and/or a text search).' },
  apiStatementTimeoutMs: { env: 'API_STATEMENT_TIMEOUT_MS', schema: int(0), default: '10000', help: 'PostgreSQL `statement_timeout` of `serve`\'s connections, ms (0 = none): a search or status query that takes longer is cancelled and answered 503.' },
  consoleMetricsUrls: { env: 'CONSOLE_METRICS_URLS', schema: csv.pipe(z.array(httpUrl('http://era-chunk:9464/metrics'))), default: '', help: 'Stage /metrics addresses the console\'s flow page samples every 5 s (comma-separated http(s) URLs, e.g. http://era-chunk:9464/metrics,http://era-embed:9464/metrics). Empty: the flow page shows what `serve` itself runs (the in-process stages on an embedded store).' },
  apiToken: { env: 'API_TOKEN', schema: z.string().regex(/^[A-Za-z0-9._~+/-]{16,512}=*$/, 'at least 16 token characters (A-Z a-z 0-9 . _ ~ + / -), e.g. the output of `openssl rand -hex 32`').optional(), default: undefined, help: 'Bearer token of the HTTP API: when set, every route but /healthz and /readyz needs `Authorization: Bearer <token>` (never logged).', secret: true },
  apiMaxBodyBytes: { env: 'API_MAX_BODY_BYTES', schema: int(1024).optional(), default: undefined, help: 'Largest request body `POST /documents` accepts (413 beyond; checked while reading). Default: MAX_DOCUMENT_BYTES + 1 MiB.' },
  logLevel: { env: 'LOG_LEVEL', schema: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']), default: 'info', help: 'Log level (JSON lines on stdout).' },
} as const;

export type SettingKey = keyof typeof SETTINGS;
export type Config = { [K in SettingKey]: z.output<(typeof SETTINGS)[K]['schema']> };

/** A configuration whose embedding dimension is settled (src/embedding/dimension.ts): what creates embedders and schemas. */
export type Settled<C extends { embedDim?: number | undefined }> = Omit<C, 'embedDim'> & { embedDim: number };
export type SettledConfig = Settled<Config>;
