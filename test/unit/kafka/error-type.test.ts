import { KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaErrorType } from '../../../src/kafka/client.ts';

/** A broker's error as kafkajs makes it (createErrorFromCode: message, type, code, retriable). */
const protocolError = (type: string, retriable: boolean): KafkaJSProtocolError =>
  new KafkaJSProtocolError({ message: type.toLowerCase(), type, code: 0, retriable } as unknown as Error);

describe('the Kafka error type of a failure', () => {
  it('is the protocol error\'s own type', () => {
    expect(kafkaErrorType(protocolError('PRODUCER_FENCED', false))).toBe('PRODUCER_FENCED');
  });

  it('is the wrapped error\'s type when kafkajs\' retrier gave up on it', () => {
    const cause = protocolError('LEADER_NOT_AVAILABLE', true);
    // As kafkajs' retrier rejects once its retries are spent.
    expect(kafkaErrorType(new KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 5, retryTime: 100 }))).toBe('LEADER_NOT_AVAILABLE');
  });

  it('is undefined for anything else', () => {
    expect(kafkaErrorType(new Error('boom'))).toBeUndefined();
    expect(kafkaErrorType(undefined)).toBeUndefined();
  });
});
