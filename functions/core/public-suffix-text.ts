import { SUFFIXES } from './public-suffixes';

/**
 * The encoded rules of public-suffixes.ts (see public-suffix.ts), read through
 * a function: the Lambda bundles replace this module with one that reads them
 * from `public-suffixes.txt` next to the bundle on first use (scripts/build.mjs,
 * public-suffixes-in-file), so that a cold start does not make V8 scan 77 KB
 * of string literal before the first request is even sent.
 */
export function suffixText(): string {
  return SUFFIXES;
}

/**
 * Why the rules cannot be used, or undefined. Here, compiled into the module,
 * never; in a Lambda bundle, when the data file is missing, or its size or
 * digest is not what the build wrote (then {@link suffixText} throws).
 */
export function suffixTextProblem(): string | undefined {
  return undefined;
}
