import { rules } from './public-suffixes.json';

/**
 * The encoded rules of public-suffixes.json (see public-suffix.ts), read through
 * a function: the Lambda bundles replace this module with public-suffix-file.ts,
 * which reads them from `public-suffixes.txt` next to the bundle on first use
 * (scripts/build.mjs, public-suffixes-in-file), so that a cold start does not
 * make V8 scan 77 KB of string literal before the first request is even sent.
 * Everywhere else (tests, tsx, the CLI and npm bundles) they are compiled in.
 */
export function suffixText(): string {
  return rules;
}

/**
 * Why the rules cannot be used, or undefined. Here, compiled into the module,
 * never; in a Lambda bundle, when the data file is missing, or its size or
 * digest is not the generated one (then {@link suffixText} throws).
 */
export function suffixTextProblem(): string | undefined {
  return undefined;
}
