import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/**
 * Where a V8 .cpuprofile (node --cpu-prof) spent its busy samples: by owner and by function. A
 * sample's owner is the nearest package or repo folder on its stack, so a socket write that pg
 * asked for counts for pg, not for Node's core.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

const NOT_AN_OWNER = new Set(['(native)', 'node core']);

export interface ProfileShare {
  name: string;
  /** Share of the busy (non-idle) samples, 0..1. */
  share: number;
}

export interface ProfileSummary {
  busySamples: number;
  /** Every sample, idle ones included. */
  allSamples: number;
  owners: ProfileShare[];
  functions: ProfileShare[];
}

function areaOf(url: string, functionName: string, repoRoot: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node core';
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [scope, name] = path.slice(modules + '/node_modules/'.length).split('/');
    return scope?.startsWith('@') ? `${scope}/${name}` : (scope ?? path);
  }
  const [top, name] = relative(repoRoot, path).split('/');
  return top === 'dist' ? `${name}/${relative(repoRoot, path).split('/')[2] ?? ''}` : `${top}/${name}`;
}

export function summarizeCpuProfile(file: string, repoRoot: string, top = 15): ProfileSummary {
  return summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] }, repoRoot, top);
}

export function summarizeProfile({ nodes }: { nodes: ProfileNode[] }, repoRoot: string, top = 15): ProfileSummary {
  const parents = new Map<number, ProfileNode>();
  for (const node of nodes) for (const child of node.children ?? []) parents.set(child, node);
  const owners = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  let all = 0;
  for (const node of nodes) {
    const { callFrame, hitCount = 0 } = node;
    all += hitCount;
    if (hitCount === 0 || callFrame.functionName === '(idle)') continue;
    busy += hitCount;
    const area = areaOf(callFrame.url, callFrame.functionName, repoRoot);
    let owner = area;
    for (let up = parents.get(node.id); NOT_AN_OWNER.has(owner) && up; up = parents.get(up.id)) {
      owner = areaOf(up.callFrame.url, up.callFrame.functionName, repoRoot);
    }
    owners.set(owner, (owners.get(owner) ?? 0) + hitCount);
    const name = `${callFrame.functionName || '(anonymous)'} (${area}${callFrame.url ? `:${callFrame.lineNumber + 1}` : ''})`;
    functions.set(name, (functions.get(name) ?? 0) + hitCount);
  }
  const ranked = (counts: Map<string, number>): ProfileShare[] =>
    [...counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, hits]) => ({ name, share: hits / Math.max(1, busy) }));
  return { busySamples: busy, allSamples: all, owners: ranked(owners), functions: ranked(functions) };
}
