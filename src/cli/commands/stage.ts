import { Argument, type Command } from 'commander';
import { PIPELINE } from '../../dataflow/pipeline.ts';
import { configFrom } from '../context.ts';

export function registerStage(program: Command): void {
  program
    .command('stage')
    .description('run one stage service: a Kafka consumer-producer with /metrics, /healthz, /readyz')
    .addArgument(new Argument('<name>', `stage to run: ${PIPELINE.stages.map((s) => `${s.name} (${s.summary})`).join('; ')}`).choices(PIPELINE.stageNames))
    .option('--metrics-port <port>', 'HTTP port for /metrics, /healthz, /readyz (METRICS_PORT)')
    .option('--profile <name>', 'preset: local, standard, high-throughput (PROFILE)')
    .addHelpText('after', '\nConfiguration comes from the environment (KAFKA_BROKERS, TOPIC_PREFIX, DATABASE_URL, EMBEDDER, OLLAMA_HOST, …);\nsee docs/configuration.md. SIGTERM drains in-flight work, commits and exits 0; a halted stage exits 1.')
    .action(async (name: string, options: { metricsPort?: string; profile?: string }) => {
      const config = configFrom({ metricsPort: options.metricsPort, profile: options.profile });
      const { runStageService } = await import('../../service/run-stage-service.ts');
      process.exitCode = await runStageService({ name, config });
    });
}
