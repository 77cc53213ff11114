import type { PolicyEntry } from '../core/policy-set';
import type { PolicyProblem } from '../core/problems';

/**
 * The policies explain, verify and denials answer from, loaded by
 * `loadEntries` (commands/shared.ts) from Parameter Store (--path) or from
 * files (--dir), exactly one.
 */
export interface LoadedPolicies {
  readonly kind: 'ssm' | 'dir';
  /** Where they came from, as the `--json` document's `source`. */
  readonly describe: Readonly<Record<string, string>>;
  readonly entries: readonly PolicyEntry[];
  /** Problems found reading the files, before the engine saw them. */
  readonly fileProblems: readonly PolicyProblem[];
  /** The name a new policy would be stored under (parameter name or file). */
  readonly newSource: (name: string) => string;
}
