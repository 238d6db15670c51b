import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Node flags of `docker/Dockerfile`'s CMD, i.e. how a service runs in its pod. The bench starts
 * the gateway service with the same flags, so that it measures the gateway as deployed.
 */
export function deployedNodeFlags(dockerfile: string): string[] {
  const cmd = dockerfile.split('\n').find((line) => line.startsWith('CMD '));
  const match = cmd?.match(/exec node((?: --[\w-]+(?:=[\w.-]+)?)*) /);
  if (!match) throw new Error(`docker/Dockerfile: no CMD of the form "exec node --flag ... <main>" (${cmd ?? 'no CMD'})`);
  return match[1]!.trim().split(' ').filter(Boolean);
}

export function readDeployedNodeFlags(repoRoot: string): string[] {
  return deployedNodeFlags(readFileSync(join(repoRoot, 'docker', 'Dockerfile'), 'utf8'));
}
