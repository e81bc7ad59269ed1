/**
 * Small object-mode stream steps used between the source and the sink. Each keeps Node's
 * backpressure: it accepts a new item only when it has room, so a slow sink fills the buffers
 * and, in the end, makes the Kafka source pause its partitions.
 */
import { Transform, type TransformCallback } from 'node:stream';

/** Groups items into arrays of at most `size`, flushing a partial batch after `lingerMs`. */
export function batchStep<T>(size: number, lingerMs: number): Transform {
  let batch: T[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = (stream: Transform): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (batch.length) stream.push(batch);
    batch = [];
  };
  return new Transform({
    objectMode: true,
    highWaterMark: 4,
    transform(item: T, _encoding, callback: TransformCallback) {
      batch.push(item);
      if (batch.length >= size) flush(this);
      else if (!timer && lingerMs > 0) timer = setTimeout(() => flush(this), lingerMs);
      else if (lingerMs <= 0) flush(this);
      callback();
    },
    flush(callback) {
      flush(this);
      callback();
    },
    destroy(error, callback) {
      if (timer) clearTimeout(timer);
      callback(error);
    },
  });
}

/**
 * Applies `fn` to items with up to `concurrency` calls running, emitting results in input
 * order (so per-partition and per-key order is kept). A rejected `fn` destroys the stream:
 * callers turn expected failures into values first.
 */
export function orderedParallelStep<I, O>(fn: (item: I) => Promise<O>, concurrency: number): Transform {
  const pending: Promise<O>[] = [];
  let draining: Promise<void> | undefined;
  const drainHead = async (stream: Transform): Promise<void> => {
    while (pending.length) {
      const value = await pending[0]!;
      pending.shift();
      stream.push(value);
    }
  };
  return new Transform({
    objectMode: true,
    readableHighWaterMark: concurrency,
    writableHighWaterMark: 1,
    transform(item: I, _encoding, callback: TransformCallback) {
      const promise = fn(item);
      promise.catch(() => undefined); // handled when it reaches the head
      pending.push(promise);
      if (!draining) {
        draining = drainHead(this).then(
          () => { draining = undefined; },
          (error: unknown) => { draining = undefined; this.destroy(error as Error); },
        );
      }
      if (pending.length < concurrency) callback();
      else pending[0]!.then(() => callback(), () => callback());
    },
    flush(callback) {
      const finish = async (): Promise<void> => {
        while (draining) await draining;
        await drainHead(this);
      };
      finish().then(() => callback(), (error: unknown) => callback(error as Error));
    },
  });
}
