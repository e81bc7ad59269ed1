import { destination as pinoDestination, pino, stdTimeFunctions, type Logger } from 'pino';

export type { Logger };

/** JSON lines on stdout (or the given destination). Secrets are redacted wherever they appear. */
export function createLogger(level: string = 'info', bindings: Record<string, unknown> = {}, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'era-ingest', ...bindings },
      timestamp: stdTimeFunctions.isoTime,
      redact: { paths: ['password', '*.password', 'sasl.password', '*.sasl.password', 'kafkaSaslPassword', '*.kafkaSaslPassword', 'databaseUrl', '*.databaseUrl', 'openaiApiKey', '*.openaiApiKey'], censor: '***' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pinoDestination({ fd: 1, sync: false }),
  );
}
