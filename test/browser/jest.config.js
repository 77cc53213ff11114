/**
 * The browser suite and the local-stack tests: `npx jest -c test/browser/jest.config.js`.
 * Needs the built bundles (npm run build), Chromium (CHROMIUM_PATH, default
 * /usr/bin/chromium) and moto (installed by scripts/lib/moto.ts when missing).
 */
const transform = { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2023' } }] };

module.exports = {
  rootDir: '../..',
  displayName: 'browser',
  testMatch: ['<rootDir>/test/browser/**/*.test.ts'],
  transform,
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  // Starting moto, a stack and Chromium takes seconds, more on a busy 2-core machine.
  testTimeout: 150_000,
  maxWorkers: 2,
};
