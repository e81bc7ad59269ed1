import { carriedHeaders, HEADERS, type Headers } from '../topics/headers.ts';
import type { InputMessage } from './stage.ts';

/**
 * Headers for the outputs of `message`: the carried headers (era.job, era.published.at,
 * era.trace) copied, and filled in where an outside producer left them out: publish time from
 * the record timestamp, a trace id from the record's coordinates, the job from the document.
 */
export function outputHeaders(message: InputMessage, jobId?: string): Headers {
  const headers = carriedHeaders(message.headers);
  headers[HEADERS.publishedAt] ??= message.timestamp;
  headers[HEADERS.trace] ??= `${message.topic}/${message.partition}/${message.offset}`;
  if (jobId !== undefined) headers[HEADERS.job] ??= jobId;
  return headers;
}
