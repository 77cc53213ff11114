import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataFileDigest } from './data-file-digest';
import { rulesDigest, rulesSize } from './public-suffixes.json';

/*
 * public-suffix-text.ts as the Lambda bundles have it (scripts/build.mjs,
 * public-suffixes-in-file): the encoded rules are not compiled in but read
 * from `public-suffixes.txt`, which the build writes next to the bundle, on
 * the first wildcard check. Only the rules' size and digest are compiled in (the
 * build keeps the rules themselves out of the bundle); a missing, truncated,
 * damaged or foreign file makes every wildcard origin fail validation (fail
 * closed) instead of letting a public suffix the damaged list no longer names
 * through.
 */

type State = { text: string; error?: undefined } | { error: Error };
let state: State | undefined;

function load(): State {
  // The file the build writes next to the bundle (scripts/build.mjs, PUBLIC_SUFFIX_FILE).
  const file = join(__dirname, 'public-suffixes.txt');
  const name = `the Public Suffix List data file ${file}`;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (cause) {
    return { error: new Error(`${name} cannot be read; it ships next to the bundle (scripts/build.mjs)`, { cause }) };
  }
  const damage =
    bytes.length !== rulesSize
      ? `${bytes.length} bytes, the build wrote ${rulesSize}`
      : dataFileDigest(bytes) !== rulesDigest
        ? 'its digest differs'
        : undefined;
  if (damage) return { error: new Error(`${name} is damaged or not the one this build wrote: ${damage}`) };
  // ASCII (public-suffix-data.ts checks): latin1 is one character per byte, the cheapest decoding.
  return { text: bytes.toString('latin1') };
}

/** The encoded rules; throws when the data file is unusable. */
export function suffixText(): string {
  state ??= load();
  if (state.error) throw state.error;
  return state.text;
}

/** Why the data file cannot be used, or undefined. */
export function suffixTextProblem(): string | undefined {
  state ??= load();
  return state.error?.message;
}
