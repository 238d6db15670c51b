// Three tiers, as in STYLE.md: unit (beside the code), integration (real Postgres, per service),
// e2e (the built all-in-one app over real HTTP). ts-jest only transpiles; `npm run typecheck` type-checks.
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.base.json');

const shared = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }),
  rootDir: __dirname,
};

module.exports = {
  // Per-project testTimeout is ignored by Jest 30; one generous global limit for the slow tiers.
  testTimeout: 60000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/libs/*/src/**/*.spec.ts', '<rootDir>/services/*/src/**/*.spec.ts', '<rootDir>/apps/*/src/**/*.spec.ts', '<rootDir>/helm/tollgate/tests/*.spec.ts', '<rootDir>/bench/*/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/libs/*/test/**/*.integration-spec.ts', '<rootDir>/services/*/test/**/*.integration-spec.ts'],
      globalSetup: '<rootDir>/libs/testing/src/jest/postgres.global-setup.ts',
      globalTeardown: '<rootDir>/libs/testing/src/jest/postgres.global-teardown.ts',
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/e2e/**/*.e2e-spec.ts'],
    },
  ],
};
