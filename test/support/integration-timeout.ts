// The integration project's per-test limit (jest reads `testTimeout` only from
// the root config, not per project): these tests start processes, bundles and
// moto calls, so the limit is sized for a loaded 2-core machine. A test that
// waits on purpose may set a longer one.
jest.setTimeout(120_000);
