/**
 * The OpenTelemetry SDK of one process, configured only through the standard `OTEL_*`
 * variables (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/):
 * OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) turns it on and says where
 * spans go (OTLP over HTTP, protobuf); OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES name the
 * process; OTEL_TRACES_SAMPLER(_ARG) sample (default parentbased_always_on); OTEL_SDK_DISABLED=true
 * or OTEL_TRACES_EXPORTER=none turn it off; OTEL_BSP_* tune the batch processor. The SDK and
 * the exporter read these themselves: nothing here re-implements them.
 *
 * Off (no endpoint): no SDK is loaded or started, the API stays the no-op one, so every span
 * call elsewhere costs one no-op call and no header is written (an incoming `traceparent` is
 * still carried unchanged, ../topics/headers.ts).
 *
 * Contract: `startTracing` is called once per process, before any span is made (the CLI's
 * main); `shutdown()` flushes the spans not exported yet and may take up to the exporter's
 * timeout (OTEL_EXPORTER_OTLP_TIMEOUT, default 10 s); it never throws and is idempotent.
 */

export interface Tracing {
  readonly enabled: boolean;
  shutdown(): Promise<void>;
}

const OFF: Tracing = { enabled: false, shutdown: async () => undefined };

type Env = Readonly<Record<string, string | undefined>>;

/** True when the environment asks for traces: an OTLP endpoint is set and the SDK is not disabled. */
export function tracingWanted(env: Env = process.env): boolean {
  const endpoint = (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '').trim();
  if (!endpoint) return false;
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((s) => s.trim().toLowerCase());
  return !exporters.includes('none');
}

let started: Tracing | undefined;

/**
 * Starts the SDK when the environment asks for it (see `tracingWanted`), registering it as the
 * global tracer provider with the W3C trace-context propagator; otherwise returns a handle
 * that does nothing. `service.name` is used when OTEL_SERVICE_NAME does not say; `service.version`
 * is the package's version (the caller reads it: this folder knows no package layout).
 * A second call returns the first call's handle.
 */
export async function startTracing(service: { name: string; version: string }, env: Env = process.env): Promise<Tracing> {
  if (started) return started;
  if (!tracingWanted(env)) return (started = OFF);
  // Loaded only when on: tracing off costs no SDK import either.
  const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { defaultResource, detectResources, envDetector, resourceFromAttributes }, { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/exporter-trace-otlp-proto'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/semantic-conventions'),
  ]);
  // The environment's attributes (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES) win over ours.
  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: service.name, [ATTR_SERVICE_VERSION]: service.version }))
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] });
  provider.register();
  let down: Promise<void> | undefined;
  started = {
    enabled: true,
    shutdown: () => (down ??= provider.shutdown().catch((error: unknown) => {
      process.stderr.write(`${JSON.stringify({ level: 'warn', time: Date.now(), msg: 'tracing: spans could not be flushed at exit', err: (error as Error).message })}\n`);
    })),
  };
  return started;
}
