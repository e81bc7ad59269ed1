/** A codec whose work may need I/O (the Avro codec fetches unknown writer schemas by id). */
export interface AsyncCodec<T> {
  encode(value: T): Promise<Buffer>;
  /** Rejects with DecodeError / ValidationError (poison: DLQ) or DependencyError (retriable). */
  decode(bytes: Buffer): Promise<T>;
}
