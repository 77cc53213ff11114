/** Runs a bench program's `main`: a failure prints its stack (after `prefix`) and exits 1, so bench/run.ts and npm run bench see it. */
export function runMain(main: () => Promise<void>, prefix = ''): void {
  main().catch((err) => {
    process.stderr.write(`${prefix}${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
