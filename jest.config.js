/**
 * Test projects mirror the source layout. `unit` needs nothing but Node;
 * `integration` needs moto (started once by test/support/global-setup) and
 * the built bundles in dist/ (built by `npm test` before jest runs).
 */
// .mjs too: tests import the build's own modules (scripts/lib/*.mjs) to check them.
const transform = { '^.+\\.(m?js|tsx?)$': ['@swc/jest', { jsc: { target: 'es2023' }, module: { type: 'commonjs' } }] };
const common = { transform, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'mjs', 'json'] };
// Timeouts are sized for a loaded 2-core machine: a test fails because the
// code is wrong, never because the machine is busy (speed is the bench's job).
// A test that waits on purpose sets its own, longer, limit.

module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['\\.int\\.test\\.ts$', '/test/browser/'],
      setupFiles: ['<rootDir>/test/support/unit-env.ts'],
      testTimeout: 30_000,
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.int.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      // Integration tests start processes, moto calls and bundles.
      testTimeout: 120_000,
    },
  ],
};
