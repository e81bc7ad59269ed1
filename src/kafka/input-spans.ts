/**
 * The spans of the inputs a stage has in flight (../tracing/spans.ts): one per consumed record,
 * opened when the record is taken for processing and ended once — durable, dead-lettered
 * (marked failed), abandoned because its priority-lane partition was revoked, dropped after a
 * partition was taken over, or abandoned at shutdown. With tracing off every span is the API's
 * no-op one.
 */
import type { Span } from '@opentelemetry/api';
import { endSpan, startStageSpan } from '../tracing/spans.ts';
import type { InputMessage } from './records.ts';

export class InputSpans {
  private readonly spans = new Map<InputMessage, Span>();

  constructor(private readonly stage: string) {}

  /** Opens a span for each input, a child of the span that produced it. */
  start(inputs: readonly InputMessage[]): void {
    for (const input of inputs) this.spans.set(input, startStageSpan(this.stage, input));
  }

  get(input: InputMessage): Span | undefined {
    return this.spans.get(input);
  }

  /** Ends the input's span (failed with `error` when given); a second call does nothing. */
  end(input: InputMessage, error?: { code?: string; message: string }): void {
    const span = this.spans.get(input);
    if (!span) return;
    this.spans.delete(input);
    endSpan(span, error);
  }

  /** Ends every span still open, failed with `message`. */
  endAll(message: string): void {
    for (const input of [...this.spans.keys()]) this.end(input, { message });
  }
}
