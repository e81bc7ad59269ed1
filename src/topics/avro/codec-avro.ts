/**
 * Avro codec through a Confluent-compatible schema registry. Wire format (Confluent):
 * magic byte 0, schema id (int32 big-endian), Avro binary of the value.
 *
 * Producers encode with the id their schema got at registration. Consumers decode by the id in
 * each message: the writer schema is fetched once per id (cached) and resolved into the
 * reader's own schema, so old and new schema versions coexist during a rolling upgrade.
 * A message whose first byte is not 0 is handed to the fallback codec (JSON): the two codecs
 * can be switched without draining topics, and era.raw keeps accepting JSON from outside.
 *
 * Errors: an unknown schema id or bytes that do not decode = DecodeError (poison: DLQ); the
 * registry unreachable or failing = DependencyError (retriable: the partition waits).
 */
import { DecodeError, DependencyError, PipelineError, ValidationError } from '../../errors/pipeline-error.ts';
import type { AvroSchema } from '@kafkajs/confluent-schema-registry/dist/@types.js';
import type { AsyncCodec } from '../async-codec.ts';
import type { AvroMapping } from './mappings.ts';
import { isUnreachable, registerValueSchema, registryStatus, REGISTRY_DEPENDENCY, type RegistryClient } from './registry.ts';
import { valueSubject, type AvroRecordSchema } from './schemas.ts';

export const MAGIC_BYTE = 0;
const HEADER_BYTES = 5;

export type { AvroMapping } from './mappings.ts';

type Resolver = Parameters<AvroSchema['fromBuffer']>[1];

export class AvroCodec<T> implements AsyncCodec<T> {
  private readonly writers = new Map<number, Promise<Resolver>>();

  private constructor(
    private readonly client: RegistryClient,
    readonly subject: string,
    readonly schemaId: number,
    readonly schema: AvroRecordSchema,
    private readonly type: AvroSchema,
    private readonly mapping: AvroMapping<T>,
    private readonly fallback: AsyncCodec<T> | undefined,
  ) {}

  /** Registers `schema` under `<topic>-value` (BACKWARD) and returns a codec that writes it. */
  static async create<T>(client: RegistryClient, topic: string, schema: AvroRecordSchema, mapping: AvroMapping<T>, fallback?: AsyncCodec<T>): Promise<AvroCodec<T>> {
    const id = await registerValueSchema(client, topic, schema);
    const type = (await client.registry.getSchema(id)) as AvroSchema;
    return new AvroCodec(client, valueSubject(topic), id, schema, type, mapping, fallback);
  }

  async encode(value: T): Promise<Buffer> {
    const record = this.mapping.toAvro(value, this.schema);
    let body: Buffer;
    try {
      body = this.type.toBuffer(record);
    } catch (error) {
      throw new ValidationError('value does not fit the Avro schema', [`${this.subject}: ${(error as Error).message}`]);
    }
    const out = Buffer.allocUnsafe(HEADER_BYTES + body.byteLength);
    out.writeUInt8(MAGIC_BYTE, 0);
    out.writeUInt32BE(this.schemaId, 1);
    body.copy(out, HEADER_BYTES);
    return out;
  }

  async decode(bytes: Buffer): Promise<T> {
    if (bytes.byteLength === 0) throw new DecodeError('value is empty');
    if (bytes[0] !== MAGIC_BYTE) {
      if (this.fallback) return this.fallback.decode(bytes);
      throw new DecodeError(`value does not start with the Avro magic byte 0 (got 0x${bytes[0]!.toString(16).padStart(2, '0')})`);
    }
    if (bytes.byteLength < HEADER_BYTES) throw new DecodeError(`Avro value is ${bytes.byteLength} bytes, shorter than its 5-byte header`);
    const id = bytes.readUInt32BE(1);
    const resolver = await this.resolverFor(id);
    let record: Record<string, unknown>;
    try {
      record = this.type.fromBuffer(bytes.subarray(HEADER_BYTES), resolver) as Record<string, unknown>;
    } catch (error) {
      throw new DecodeError(`value does not decode with schema id ${id} (${this.subject}): ${(error as Error).message}`, error);
    }
    return this.mapping.fromAvro(record);
  }

  /** Resolver from the writer schema `id` into this codec's schema; failures are not cached. */
  private resolverFor(id: number): Promise<Resolver> {
    let pending = this.writers.get(id);
    if (!pending) {
      pending = this.loadResolver(id);
      this.writers.set(id, pending);
      pending.catch(() => this.writers.delete(id));
    }
    return pending;
  }

  private async loadResolver(id: number): Promise<Resolver> {
    let writer: AvroSchema;
    try {
      writer = (await this.client.registry.getSchema(id)) as AvroSchema;
    } catch (error) {
      if (error instanceof PipelineError) throw error;
      const status = registryStatus(error);
      if (status === 404) throw new DecodeError(`unknown schema id ${id}: the schema registry ${this.client.url} has no such schema`, error);
      if (isUnreachable(error)) throw new DependencyError(REGISTRY_DEPENDENCY, `cannot fetch schema id ${id} from ${this.client.url}: ${(error as Error).message}`, error);
      throw new DecodeError(`schema id ${id} cannot be used: ${(error as Error).message}`, error);
    }
    if (typeof writer?.createResolver !== 'function') throw new DecodeError(`schema id ${id} is not an Avro schema`);
    try {
      return this.type.createResolver(writer as never) as Resolver;
    } catch (error) {
      throw new DecodeError(`schema id ${id} cannot be read as ${this.subject} (${this.schema.name}): ${(error as Error).message}`, error);
    }
  }
}
