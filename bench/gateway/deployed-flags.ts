import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * The Node/V8 flags the Helm chart gives the gateway (`gateway.nodeFlags` in values.yaml, passed
 * as TOLLGATE_NODE_FLAGS to the image's CMD). bench:gateway starts the gateway service with them,
 * so that it measures the gateway as deployed.
 */
export function chartGatewayNodeFlags(valuesYaml: string): string[] {
  const values = parse(valuesYaml) as { gateway?: { nodeFlags?: unknown } } | null;
  const flags = values?.gateway?.nodeFlags;
  if (typeof flags !== 'string') throw new Error('helm/tollgate/values.yaml: gateway.nodeFlags is missing or not a string');
  const words = flags.split(' ').filter(Boolean);
  const bad = words.filter((word) => !/^--[a-z0-9-]+(=[A-Za-z0-9._-]+)?$/.test(word));
  if (bad.length > 0) throw new Error(`helm/tollgate/values.yaml: gateway.nodeFlags has words that are not --flag or --flag=value: ${bad.join(', ')}`);
  return words;
}

export function readChartGatewayNodeFlags(repoRoot: string): string[] {
  return chartGatewayNodeFlags(readChartValues(repoRoot));
}

/**
 * The trace sampling ratio the Helm chart gives the gateway: `gateway.otel.samplerArg`, or
 * `global.otel.samplerArg` where that is null (the chart's own precedence, helm/tollgate
 * templates/_helpers.tpl). bench:gateway samples at it unless told otherwise (`--sampling`).
 */
export function chartGatewaySamplingRatio(valuesYaml: string): number {
  const values = parse(valuesYaml) as { global?: { otel?: { samplerArg?: unknown } }; gateway?: { otel?: { samplerArg?: unknown } } } | null;
  const own = values?.gateway?.otel?.samplerArg;
  const ratio = own ?? values?.global?.otel?.samplerArg;
  if (typeof ratio !== 'number' || !(ratio >= 0 && ratio <= 1)) throw new Error(`helm/tollgate/values.yaml: the gateway's sampling ratio (gateway.otel.samplerArg, else global.otel.samplerArg) is not a number from 0 to 1: ${String(ratio)}`);
  return ratio;
}

export function readChartGatewaySamplingRatio(repoRoot: string): number {
  return chartGatewaySamplingRatio(readChartValues(repoRoot));
}

function readChartValues(repoRoot: string): string {
  return readFileSync(join(repoRoot, 'helm', 'tollgate', 'values.yaml'), 'utf8');
}
