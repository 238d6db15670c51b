// Lint and module boundaries for the Tollgate monorepo. docs/development.md explains the rules.
//
// Boundaries use eslint-plugin-import-x `no-restricted-paths` (on resolved file paths, so the
// @tollgate/* aliases count too) plus `no-restricted-imports` (on the import text), not Nx's
// @nx/enforce-module-boundaries: that rule reads Nx's cached project graph and silently skips
// itself in a fresh clone where `.nx/` does not exist yet, and it would flag every relative
// import from apps/ and e2e/ into services/ (services have no path alias).
import { readdirSync } from 'node:fs';
import path from 'node:path';

import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const root = import.meta.dirname;

/** Folder names under `dir`, merged with the ones the architecture declares, so a zone covers a service before its folder exists. */
function projectsIn(dir, declared) {
  let found = [];
  try {
    found = readdirSync(path.join(root, dir), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch {
    // the folder does not exist yet
  }
  return [...new Set([...declared, ...found])].sort();
}

const services = projectsIn('services', ['gateway', 'guardrails', 'cost-ledger', 'similarity', 'trace-api', 'recovery']);

/** Files that may use libs/testing: tests, test folders, e2e and bench. */
const testFiles = [
  '**/*.spec.ts',
  '**/*.integration-spec.ts',
  '**/*.e2e-spec.ts',
  'services/*/test/**',
  'libs/*/test/**',
  'apps/*/test/**',
  'libs/testing/**',
  'e2e/**',
  'bench/**',
];

const zones = [
  ...services.map((name) => ({
    target: `./services/${name}`,
    from: './services',
    except: [`./${name}`],
    message: `A service imports libs only (@tollgate/<lib>), never another service: services/${name} may not import from another service.`,
  })),
  {
    target: './services',
    from: ['./apps', './e2e', './bench'],
    message: 'A service imports libs only, never apps/, e2e/ or bench/.',
  },
  {
    target: './libs',
    from: ['./services', './apps', './e2e', './bench'],
    message: 'A lib imports other libs only, never a service, an app, e2e/ or bench/.',
  },
];

// Import text rules. `@tollgate/telemetry/register` is the one sanctioned second entry (loaded before the app).
const deepImport = {
  regex: '^@tollgate/(?!telemetry/register$)[^/]+/',
  message: "Import a lib only through its public entry '@tollgate/<name>' (libs/<name>/src/index.ts); export what you need from there.",
};
const testingOnlyInTests = {
  name: '@tollgate/testing',
  message: '@tollgate/testing is for tests only (*.spec.ts, *.integration-spec.ts, *.e2e-spec.ts, test/, e2e/, bench/).',
};

/** The project a repo-relative path belongs to: 'libs/x', 'services/x', 'apps/x', 'e2e', 'bench', or null. */
function projectOf(relativePath) {
  const [top, name] = relativePath.split(path.sep);
  if (top === 'libs' || top === 'services' || top === 'apps') return name ? `${top}/${name}` : null;
  if (top === 'e2e' || top === 'bench') return top;
  return null;
}

// A relative import can reach another lib's index.ts, which no-restricted-paths cannot tell apart from the alias
// (both resolve to the same file); this rule closes that gap without resolving anything.
const tollgatePlugin = {
  rules: {
    'lib-public-entry': {
      meta: {
        type: 'problem',
        docs: { description: "Another lib is imported only through '@tollgate/<name>'." },
        schema: [],
        messages: { relative: "Import libs/{{lib}} through '@tollgate/{{lib}}', not by the relative path '{{source}}'." },
      },
      create(context) {
        const file = path.relative(root, context.physicalFilename);
        const own = projectOf(file);
        function check(node) {
          const source = node.source?.value;
          if (typeof source !== 'string' || !source.startsWith('.')) return;
          const target = path.relative(root, path.resolve(path.dirname(context.physicalFilename), source));
          const project = projectOf(target);
          if (project?.startsWith('libs/') && project !== own) {
            context.report({ node: node.source, messageId: 'relative', data: { lib: project.slice(5), source } });
          }
        }
        return {
          ImportDeclaration: check,
          ExportNamedDeclaration: check,
          ExportAllDeclaration: check,
          ImportExpression: check,
        };
      },
    },
  },
};

export default defineConfig(
  {
    ignores: ['**/dist/', '**/node_modules/', '.tollgate/', 'coverage/', 'helm/**/*.yaml', 'helm/**/*.tpl', 'helm/**/*.txt', '.tools/', '.nx/'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      globals: globals.node,
      parserOptions: {
        // Lets consistent-type-imports know about Nest's decorator metadata without type-aware linting:
        // files with decorators keep value imports that the metadata needs.
        emitDecoratorMetadata: true,
        experimentalDecorators: true,
      },
    },
    plugins: { 'import-x': importX, tollgate: tollgatePlugin },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: path.join(root, 'tsconfig.json') })],
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      // `typeof import('x')` stays allowed: it types the deliberate late `require` that loads an app after telemetry.
      '@typescript-eslint/consistent-type-imports': ['error', { disallowTypeAnnotations: false }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      'import-x/no-restricted-paths': ['error', { basePath: root, zones }],
      'tollgate/lib-public-entry': 'error',
      'no-restricted-imports': ['error', { paths: [testingOnlyInTests], patterns: [deepImport] }],
    },
  },
  {
    files: testFiles,
    languageOptions: { globals: { ...globals.node, ...globals.jest } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [deepImport] }],
    },
  },
  {
    // Jest loads globalSetup/globalTeardown without moduleNameMapper (jestjs/jest#11644), so the
    // @tollgate/* aliases do not resolve there: these files reach other libs by relative path.
    files: ['libs/testing/src/jest/**'],
    rules: { 'tollgate/lib-public-entry': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
);
