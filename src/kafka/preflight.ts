/**
 * A TLS handshake with the first reachable broker before any Kafka client starts, so a TLS
 * misconfiguration fails at once with the fix in the message, instead of after kafkajs' retries
 * (≈ 30 s) with "self-signed certificate in certificate chain" deep in a stack trace.
 * A broker that cannot be reached is not judged here: the clients retry it as usual.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:tls';
import type { Config } from '../config/schema.ts';
import { ConfigError } from '../errors/pipeline-error.ts';

type TlsSettings = Pick<Config, 'kafkaBrokers' | 'kafkaSsl' | 'kafkaSslCa'>;

/** Node/OpenSSL codes of a certificate the client does not accept. */
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE',
]);

type Outcome = { ok: true } | { ok: false; error: NodeJS.ErrnoException };

function handshake(host: string, port: number, ca: string | undefined, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, ...(ca ? { ca } : {}), servername: /^[\d.]+$|:/.test(host) ? undefined : host, timeout: timeoutMs });
    const done = (outcome: Outcome): void => {
      socket.destroy();
      resolve(outcome);
    };
    socket.once('secureConnect', () => done({ ok: true }));
    socket.once('error', (error: NodeJS.ErrnoException) => done({ ok: false, error }));
    socket.once('timeout', () => done({ ok: false, error: Object.assign(new Error('TLS handshake timed out'), { code: 'ETIMEDOUT' }) }));
  });
}

/**
 * With KAFKA_SSL=true, checks the TLS handshake with the brokers until one answers.
 * @throws ConfigError when the broker's certificate is not trusted, does not name the host,
 *   has expired, or the port does not speak TLS.
 */
export async function checkKafkaTls(config: TlsSettings, timeoutMs = 5_000): Promise<void> {
  if (!config.kafkaSsl) return;
  let ca: string | undefined;
  if (config.kafkaSslCa) {
    try {
      ca = readFileSync(config.kafkaSslCa, 'utf8');
    } catch (error) {
      throw new ConfigError(`KAFKA_SSL_CA_FILE=${config.kafkaSslCa} cannot be read (${(error as Error).message}): give the PEM file of the CA that signed the brokers' certificates`);
    }
  }
  for (const broker of config.kafkaBrokers) {
    const at = broker.lastIndexOf(':');
    const host = broker.slice(0, at).replace(/^\[|\]$/g, '');
    const outcome = await handshake(host, Number(broker.slice(at + 1)), ca, timeoutMs);
    if (outcome.ok) return;
    const { code, message } = outcome.error;
    if (code && UNTRUSTED.has(code)) {
      throw new ConfigError(`Kafka broker ${broker} presented a TLS certificate this client does not trust (${message}): ` +
        (ca ? `KAFKA_SSL_CA_FILE=${config.kafkaSslCa} is not the CA that signed it` : 'set KAFKA_SSL_CA_FILE to the PEM file of the CA that signed it'));
    }
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') throw new ConfigError(`Kafka broker ${broker}: its TLS certificate does not name this host (${message}): use the host name the certificate was issued for in KAFKA_BROKERS`);
    if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') throw new ConfigError(`Kafka broker ${broker}: its TLS certificate is not valid now (${message})`);
    if (code === 'EPROTO' || /wrong version number|packet length too long|disconnected before secure TLS/i.test(message)) {
      throw new ConfigError(`Kafka broker ${broker} does not speak TLS on that port (${message}): give its SSL listener in KAFKA_BROKERS, or set KAFKA_SSL=false for a plaintext listener`);
    }
    // Unreachable or timed out: try the next broker; the clients will retry as usual.
  }
}
