/**
 * Test projects mirror the source layout. `unit` needs nothing but Node;
 * `integration` needs moto (started once by test/support/global-setup) and
 * the built bundles in dist/ (built by `npm test` before jest runs).
 */
// .mjs too: tests import the build's own modules (scripts/lib/*.mjs) to check them.
const transform = { '^.+\\.(m?js|tsx?)$': ['@swc/jest', { jsc: { target: 'es2023' }, module: { type: 'commonjs' } }] };
const common = { transform, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'mjs', 'json'] };
// Per-test limits are sized for a loaded 2-core machine (test/support/*-timeout.ts):
// a test fails because the code is wrong, never because the machine is busy.

module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['\\.int\\.test\\.ts$', '/test/browser/'],
      setupFiles: ['<rootDir>/test/support/unit-env.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/unit-timeout.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.int.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/integration-timeout.ts'],
    },
  ],
};
