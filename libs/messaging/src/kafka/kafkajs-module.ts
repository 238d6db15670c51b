import Module from 'node:module';

export type KafkajsModuleInstall = 'installed' | 'already' | 'too-late';

/**
 * Puts `exports` in Node's require cache as kafkajs' module `id` (a path inside the package), for
 * the kafkajs modules that other kafkajs modules take when they are first required and that
 * kafkajs offers no setting for. `too-late` when `id` or one of `requiredBy` (the modules that
 * take it) is loaded already: kafkajs then keeps its own. kafkajs' module itself is never loaded,
 * so no require hook has seen it: OpenTelemetry's (require-in-the-middle, hooking every module)
 * keeps the exports of each module it saw and hands those out whatever the cache says.
 * `cache` and `resolve` are Node's require cache and resolver: parameters so that a test can hand
 * in its own.
 */
export function replaceKafkajsModule(
  id: string,
  exports: unknown,
  requiredBy: readonly string[],
  cache: NodeJS.Dict<NodeJS.Module> = require.cache,
  resolve: (id: string) => string = require.resolve,
): KafkajsModuleInstall {
  const path = resolve(id);
  if (cache[path] !== undefined && cache[path].exports === exports) return 'already';
  if (cache[path] !== undefined || requiredBy.some((dependent) => cache[resolve(dependent)] !== undefined)) return 'too-late';
  const replacement = new Module(path);
  replacement.filename = path;
  replacement.loaded = true;
  replacement.exports = exports;
  cache[path] = replacement;
  return 'installed';
}
