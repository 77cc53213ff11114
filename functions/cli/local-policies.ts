import { parameterNameProblem } from '../core/parameter-name';
import { compilePolicySet, conflictProblems, type PolicySet } from '../core/policy-set';
import type { PolicyProblem, PolicyProblemCode } from '../core/problems';
import { FileError } from './errors';
import {
  STANDARD_TIER_MAX_BYTES,
  compactJson,
  isDirectory,
  readPolicyFile,
  refForFile,
  relativeNameProblem,
  scanPolicyDir,
  utf8Bytes,
  type PolicyFileRef,
  type PolicyFormat,
} from './policy-files';

/** One policy file, read and mapped to its parameter. */
export interface LocalPolicy {
  readonly file: string;
  readonly name: string;
  /** Full parameter name under `--path` (or under a placeholder path when validating without one). */
  readonly parameter: string;
  readonly format: PolicyFormat;
  /** The parsed document. */
  readonly document: unknown;
  /** Exactly what push stores. */
  readonly value: string;
  readonly bytes: number;
}

export interface LocalPolicies {
  /** Files that could be parsed (valid or not). */
  readonly policies: readonly LocalPolicy[];
  /** Every problem, each naming its file; empty means push would accept the set. */
  readonly problems: readonly PolicyProblem[];
  /** The engine's view of the files, for explain. Sources are file paths. */
  readonly set: PolicySet;
  /** The problems (also in `problems`) that say two files claim one route. */
  readonly conflicts: readonly PolicyProblem[];
}

/** Placeholder used to check names when no --path is given: one level, like the shortest real path. */
const PLACEHOLDER_PATH = '/path';

/** The files named on the command line: directories are scanned, files taken as they are. */
export async function resolveTargets(targets: readonly string[]): Promise<PolicyFileRef[]> {
  const refs: PolicyFileRef[] = [];
  for (const target of targets) {
    if (await isDirectory(target)) refs.push(...(await scanPolicyDir(target)));
    else {
      const ref = refForFile(target);
      if (!ref) throw new FileError(`${target} is neither a directory nor a .json, .yaml or .yml file`);
      refs.push(ref);
    }
  }
  return refs;
}

/**
 * Reads and validates policy files exactly as push would: names, collisions,
 * size, and the engine's own `parsePolicy` + `compilePolicySet` on the very
 * string that would be stored (so route conflicts between files are problems too).
 */
export async function loadLocalPolicies(refs: readonly PolicyFileRef[], path: string | undefined): Promise<LocalPolicies> {
  const problems: PolicyProblem[] = [];
  const problem = (source: string, value: unknown, code: PolicyProblemCode, reason: string, field = ''): void => {
    problems.push({ source, field, value, code, reason });
  };
  const base = path ?? PLACEHOLDER_PATH;
  const parameterOf = (name: string): string => (base === '/' ? `/${name}` : `${base}/${name}`);

  // Two files for one parameter (a.json + a.yaml), or names that differ only in
  // case (they would overwrite each other when pulled on macOS or Windows).
  const byFolded = new Map<string, PolicyFileRef[]>();
  for (const ref of refs) {
    const key = ref.name.toLowerCase();
    byFolded.set(key, [...(byFolded.get(key) ?? []), ref]);
  }

  const policies: LocalPolicy[] = [];
  for (const ref of refs) {
    const parameter = parameterOf(ref.name);
    const nameProblem = relativeNameProblem(ref.name) ?? parameterNameProblem(parameter, 'name');
    if (nameProblem) problem(ref.file, parameter, 'parameter_name_invalid', `is not a valid parameter name: ${nameProblem}`);
    const others = (byFolded.get(ref.name.toLowerCase()) ?? []).filter((o) => o !== ref);
    for (const other of others) {
      if (other.name === ref.name) problem(ref.file, parameter, 'same_parameter', `maps to the same parameter as ${other.file}; keep one of them`);
      else
        problem(
          ref.file,
          parameter,
          'case_collision',
          `differs from ${other.file} only in letter case; the two would overwrite each other on a case-insensitive file system`,
        );
    }

    const parsed = await readPolicyFile(ref);
    if (!parsed.ok) {
      problem(ref.file, undefined, parsed.code, parsed.reason);
      continue;
    }
    const value = compactJson(parsed.value);
    const bytes = utf8Bytes(value);
    if (bytes > STANDARD_TIER_MAX_BYTES) {
      problem(
        ref.file,
        undefined,
        'too_large',
        `is ${bytes} bytes as compact JSON; a Standard tier parameter holds at most ${STANDARD_TIER_MAX_BYTES} bytes: shorten it or split its routes over several policy files`,
      );
    }
    policies.push({ file: ref.file, name: ref.name, parameter, format: ref.format, document: parsed.value, value, bytes });
  }

  const set = compilePolicySet(policies.map((p) => ({ source: p.file, value: p.value })));
  // A route claimed by two files is denied by the Lambda: push must never create that.
  const conflicts = conflictProblems(set);
  problems.push(...set.problems, ...conflicts);
  // Group by file, keeping each file's problems in the order they were found.
  const order = new Map(refs.map((r, i) => [r.file, i]));
  const sorted = problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (order.get(a.p.source) ?? 0) - (order.get(b.p.source) ?? 0) || a.i - b.i)
    .map(({ p }) => p);
  return { policies, problems: sorted, set, conflicts };
}
