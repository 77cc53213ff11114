import { resolve } from 'node:path';

/**
 * The repository root. Bench programs also run as esbuild bundles from a
 * temporary directory (scripts/bench.mjs), so the runner passes it in BENCH_ROOT.
 */
export const ROOT = process.env.BENCH_ROOT ?? resolve(__dirname, '..', '..');
