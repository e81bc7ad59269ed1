/**
 * Record headers between kafkajs and the pipeline: kafkajs gives Buffers (or arrays of them),
 * the pipeline keeps strings; outputs carry their input's headers (DESIGN.md §3).
 */
import type { IHeaders } from 'kafkajs';
import { carriedHeaders, HEADERS, type Headers } from '../topics/headers.ts';
import type { InputMessage } from './records.ts';

/** kafkajs headers as strings (the first value of a repeated header). */
export function headersToStrings(headers: IHeaders | undefined): Headers {
  const out: Headers = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return out;
}

/**
 * Headers for the outputs of `message`: the carried headers (era.job, era.published.at,
 * era.trace) copied, and filled in where an outside producer left them out: publish time from
 * the record timestamp, a trace id from the record's coordinates, the job from the output.
 */
export function outputHeaders(message: InputMessage, jobId?: string): Headers {
  const headers = carriedHeaders(message.headers);
  headers[HEADERS.publishedAt] ??= message.timestamp;
  headers[HEADERS.trace] ??= `${message.topic}/${message.partition}/${message.offset}`;
  if (jobId !== undefined) headers[HEADERS.job] ??= jobId;
  return headers;
}
