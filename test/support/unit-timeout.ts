// The unit project's per-test limit (jest reads `testTimeout` only from the
// root config, not per project). Sized for a loaded 2-core machine: a test
// fails because the code is wrong, never because the machine is busy.
jest.setTimeout(30_000);
