/**
 * The deployment files' stage lists, rendered from the dataflow declaration
 * (src/dataflow/pipeline.ts), so that a stage is declared once: one Kubernetes manifest per
 * stage (Deployment, KEDA ScaledObject with one trigger per input topic, PodDisruptionBudget),
 * the kustomization's resources, the docker-compose stage services, the Prometheus scrape
 * targets and the "a stage is missing" alert. Hand-written files keep their own parts; the
 * generated parts sit between the markers below. `npm run gen:deploy` writes them and
 * test/unit/deploy-generated.test.ts fails when a file is out of step with the declaration.
 */
import type { Dataflow, StageSpec } from '../../src/dataflow/declare.ts';
import { stageGroupId } from '../../src/kafka/groups.ts';
import { streamTopics } from '../../src/topics/names.ts';

export const BEGIN = 'BEGIN generated from src/dataflow/pipeline.ts by `npm run gen:deploy`';
export const END = 'END generated';

/** The prefixes the manifests name topics and groups with (infra/k8s/base/config.env). */
export interface Prefixes {
  topicPrefix: string;
  groupPrefix: string;
}

const component = (stage: StageSpec) => [
  '    app.kubernetes.io/name: era-ingest',
  `    app.kubernetes.io/component: ${stage.name}`,
  '    app.kubernetes.io/part-of: era-ingest',
];

/** The input topics of a stage with the name of their KEDA trigger. */
function triggers(stage: StageSpec, prefix: string): Array<{ name: string; topic: string }> {
  const topics = streamTopics(prefix, stage.input);
  return topics.map((topic, i) => ({ name: topics.length > 1 && i === 0 ? 'priority-lane' : stage.input.name, topic }));
}

function inputsText(stage: StageSpec, prefix: string): string {
  const topics = streamTopics(prefix, stage.input);
  return topics.length > 1 ? `${topics[0]} (served first) and ${topics.slice(1).join(', ')}` : topics[0]!;
}

/** infra/k8s/base/stage-<name>.yaml */
export function stageManifest(flow: Dataflow, stage: StageSpec, { topicPrefix, groupPrefix }: Prefixes): string {
  const output = flow.outputTopic(stage, topicPrefix);
  const labels = component(stage);
  const d = stage.deploy;
  const lines = [
    `# The ${stage.name} stage: ${inputsText(stage, topicPrefix)} → ${output}: ${stage.summary}.`,
    `# ${BEGIN}; edit the declaration, not this file.`,
    '# Deployment (no `replicas`: KEDA owns it), KEDA ScaledObject on the group\'s lag, PodDisruptionBudget.',
    ...(d.notes.length ? ['#', ...d.notes.map((n) => `# ${n}`)] : []),
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    `  name: era-ingest-${stage.name}`,
    '  labels:',
    ...labels,
    'spec:',
    '  revisionHistoryLimit: 5',
    '  selector:',
    '    matchLabels:',
    ...labels.slice(0, 2).map((l) => `  ${l}`),
    '  strategy:',
    '    type: RollingUpdate',
    '    rollingUpdate:',
    '      # One member at a time: every join or leave rebalances the consumer group.',
    '      maxSurge: 1',
    '      maxUnavailable: 0',
    '  template:',
    '    metadata:',
    '      labels:',
    ...labels.map((l) => `    ${l}`),
    '      annotations:',
    '        # For Prometheus setups that discover pods by annotation; infra/prometheus/prometheus-kubernetes.yml',
    '        # selects by label and port name instead.',
    '        prometheus.io/scrape: "true"',
    '        prometheus.io/port: "9464"',
    '        prometheus.io/path: /metrics',
    '    spec:',
    '      # SIGTERM drains for SHUTDOWN_TIMEOUT_MS (20 s), then commits, leaves the group and',
    '      # disconnects; the kubelet\'s SIGKILL must come later than all of that.',
    '      terminationGracePeriodSeconds: 45',
    '      automountServiceAccountToken: false',
    '      # A Service named "kafka" would otherwise inject KAFKA_PORT, KAFKA_SERVICE_HOST, … into the env.',
    '      enableServiceLinks: false',
    '      securityContext:',
    '        # The image\'s user is `node` (uid 1000); runAsNonRoot needs it numeric to verify it.',
    '        runAsNonRoot: true',
    '        runAsUser: 1000',
    '        runAsGroup: 1000',
    '        fsGroup: 1000',
    '        seccompProfile:',
    '          type: RuntimeDefault',
    '      topologySpreadConstraints:',
    '        - maxSkew: 1',
    '          topologyKey: kubernetes.io/hostname',
    '          whenUnsatisfiable: ScheduleAnyway',
    '          labelSelector:',
    '            matchLabels:',
    ...labels.slice(0, 2).map((l) => `          ${l}`),
    '      containers:',
    `        - name: ${stage.name}`,
    '          image: era-ingest:0.1.0',
    '          imagePullPolicy: IfNotPresent',
    `          args: ["stage", "${stage.name}"]`,
    '          envFrom:',
    '            - configMapRef:',
    '                name: era-ingest-config',
    '            - secretRef:',
    '                name: era-ingest-secrets',
    '          ports:',
    '            - name: metrics',
    '              containerPort: 9464',
    '              protocol: TCP',
    '          # /healthz is 200 from the moment the HTTP server listens until the stage halts.',
    '          startupProbe:',
    '            httpGet:',
    '              path: /healthz',
    '              port: metrics',
    '            periodSeconds: 2',
    '            failureThreshold: 30',
    '          livenessProbe:',
    '            httpGet:',
    '              path: /healthz',
    '              port: metrics',
    '            periodSeconds: 10',
    '            timeoutSeconds: 3',
    '            failureThreshold: 3',
    '          # /readyz is 200 once the consumer joined its group (503 while draining or halted).',
    '          readinessProbe:',
    '            httpGet:',
    '              path: /readyz',
    '              port: metrics',
    '            periodSeconds: 5',
    '            timeoutSeconds: 3',
    '            failureThreshold: 2',
    '          resources:',
    '            requests:',
    `              cpu: ${yamlScalar(d.requests.cpu)}`,
    `              memory: ${d.requests.memory}`,
    '            limits:',
    `              cpu: ${yamlScalar(d.limits.cpu)}`,
    `              memory: ${d.limits.memory}`,
    '          securityContext:',
    '            allowPrivilegeEscalation: false',
    '            readOnlyRootFilesystem: true',
    '            capabilities:',
    '              drop: ["ALL"]',
    '          volumeMounts:',
    '            # A writable os.tmpdir(); the root filesystem is read-only.',
    '            - name: tmp',
    '              mountPath: /tmp',
    '      volumes:',
    '        - name: tmp',
    '          emptyDir:',
    '            sizeLimit: 64Mi',
    '---',
    'apiVersion: keda.sh/v1alpha1',
    'kind: ScaledObject',
    'metadata:',
    `  name: era-ingest-${stage.name}`,
    '  labels:',
    ...labels,
    'spec:',
    '  scaleTargetRef:',
    `    name: era-ingest-${stage.name}`,
    '  # Desired replicas = ceil(lag / lagThreshold), capped by maxReplicaCount and by the topic\'s',
    '  # partitions (a consumer beyond the partition count would sit idle). Keep maxReplicaCount at',
    '  # or below TOPIC_PARTITIONS (6).',
    '  minReplicaCount: 1',
    '  maxReplicaCount: 6',
    '  pollingInterval: 15',
    '  advanced:',
    '    horizontalPodAutoscalerConfig:',
    '      behavior:',
    '        # Every replica change rebalances the group: add at most 2 pods per 30 s, remove 1 per',
    '        # minute after 5 minutes of lower demand.',
    '        scaleUp:',
    '          stabilizationWindowSeconds: 0',
    '          policies:',
    '            - type: Pods',
    '              value: 2',
    '              periodSeconds: 30',
    '        scaleDown:',
    '          stabilizationWindowSeconds: 300',
    '          policies:',
    '            - type: Pods',
    '              value: 1',
    '              periodSeconds: 60',
    '  triggers:',
    ...triggers(stage, topicPrefix).flatMap((t) => [
      '    - type: kafka',
      `      name: ${t.name}`,
      '      metadata:',
      '        # KAFKA_BROKERS of the scale target\'s environment (the ConfigMap), so it cannot drift.',
      '        bootstrapServersFromEnv: KAFKA_BROKERS',
      `        consumerGroup: ${stageGroupId(groupPrefix, stage.name)}`,
      `        topic: ${t.topic}`,
      `        lagThreshold: "${d.lagThreshold}"`,
      '        # The stages start a partition without a committed offset from the beginning.',
      '        offsetResetPolicy: earliest',
      '        allowIdleConsumers: "false"',
    ]),
    '---',
    'apiVersion: policy/v1',
    'kind: PodDisruptionBudget',
    'metadata:',
    `  name: era-ingest-${stage.name}`,
    '  labels:',
    ...labels,
    'spec:',
    '  # Voluntary evictions (node drains, upgrades) take one pod of this stage at a time, so the',
    '  # group rebalances once per eviction; with a single replica the drain still proceeds (the',
    '  # backlog waits in Kafka) instead of blocking forever as minAvailable: 1 would.',
    '  maxUnavailable: 1',
    '  selector:',
    '    matchLabels:',
    ...labels.slice(0, 2).map((l) => `  ${l}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** A CPU quantity: whole cores quoted (YAML would read `1` as a number), millicores as they are. */
const yamlScalar = (value: string): string => (/^\d+$/.test(value) ? `"${value}"` : value);

/** The kustomization's stage resources. */
export function kustomizationResources(flow: Dataflow): string[] {
  return flow.stages.map((s) => `  - stage-${s.name}.yaml`);
}

/** docker-compose.yml: one service per stage, on the shared `x-stage` settings. */
export function composeStages(flow: Dataflow): string[] {
  return flow.stages.flatMap((stage) => [
    `  # ${stage.name}: ${stage.summary}.`,
    `  stage-${stage.name}:`,
    '    <<: *stage',
    `    command: ["stage", "${stage.name}"]`,
    '    depends_on:',
    '      init:',
    '        condition: service_completed_successfully',
    ...(stage.needs.embedder ? ['      ollama-pull:', '        condition: service_completed_successfully'] : []),
    ...(stage.needs.database === 'required' ? ['      postgres:', '        condition: service_healthy'] : []),
    '',
  ]);
}

/** infra/prometheus/prometheus.yml: the compose services to discover by DNS. */
export function prometheusNames(flow: Dataflow): string[] {
  return [`      - names: [${flow.stages.map((s) => `stage-${s.name}`).join(', ')}]`];
}

/** The alert expression that fires when a stage has no scrape target at all. */
export function absentStages(flow: Dataflow): string[] {
  return ['        expr: |', ...flow.stages.map((s, i) => `          ${i === 0 ? '' : 'or '}absent(up{job="era-ingest", stage="${s.name}"})`)];
}

/**
 * Replaces the lines between the markers in `text` (markers kept, `comment` is the line comment
 * of the file's language) with `lines`.
 * @throws Error naming the file when a marker is missing.
 */
export function replaceRegion(text: string, lines: readonly string[], file: string): string {
  const all = text.split('\n');
  const begin = all.findIndex((l) => l.includes(BEGIN));
  const end = all.findIndex((l, i) => i > begin && l.includes(END));
  if (begin < 0 || end < 0) throw new Error(`${file}: the markers "${BEGIN}" … "${END}" are missing`);
  return [...all.slice(0, begin + 1), ...lines, ...all.slice(end)].join('\n');
}
