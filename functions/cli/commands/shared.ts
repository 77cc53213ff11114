import { join } from 'node:path';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { PolicyEntry } from '../../core/policy-set';
import type { PolicyProblem } from '../../core/problems';
import { policyPath, stringOption, type OptionSpecs, type Parsed } from '../args';
import { DEFAULT_DIR } from '../command';
import { EXIT, FileError, UsageError } from '../errors';
import { loadLocalPolicies, type LocalPolicies } from '../local-policies';
import { plural, problemJson, problemLine, type Output } from '../output';
import { isDirectory, scanPolicyDir } from '../policy-files';
import { createClient, listParameters, policyEntries } from '../ssm';

export const PATH_OPTION: OptionSpecs = {
  path: { type: 'string', value: 'PATH', help: 'Parameter Store path holding the policies, e.g. /cors/my-api (required)' },
};

export const DIR_OPTION: OptionSpecs = {
  dir: { type: 'string', value: 'DIR', help: `directory of policy files (default: ./${DEFAULT_DIR})` },
};

export function dirOf(parsed: Parsed): string {
  return stringOption(parsed, 'dir') ?? DEFAULT_DIR;
}

export function clientOf(parsed: Parsed): SSMClient {
  const region = stringOption(parsed, 'region');
  const profile = stringOption(parsed, 'profile');
  return createClient({ ...(region ? { region } : {}), ...(profile ? { profile } : {}) });
}

/**
 * Reads and validates every file under `dir` for push and diff. Problems are
 * printed (stderr, or inside the JSON document) and turned into exit code 1:
 * nothing may be written from a set that push would refuse.
 */
export async function loadValidSet(command: string, dir: string, path: string, out: Output, extra: Record<string, unknown>): Promise<LocalPolicies | number> {
  if (!(await isDirectory(dir))) throw new FileError(`${dir} is not a directory (pass --dir DIR)`);
  const refs = await scanPolicyDir(dir);
  const local = await loadLocalPolicies(refs, path);
  if (refs.length === 0 || local.problems.length > 0) {
    const message =
      refs.length === 0
        ? `no policy files (.json, .yaml, .yml) in ${dir}; refusing to ${command} an empty set`
        : `${plural(local.problems.length, 'problem')} in ${dir}; nothing was ${command === 'push' ? 'written' : 'compared'}`;
    out.document({
      command,
      ok: false,
      path,
      dir,
      ...extra,
      problems: local.problems.map(problemJson),
      error: { code: refs.length === 0 ? 'NoPolicyFiles' : 'InvalidPolicies', message },
    });
    for (const p of local.problems) out.warn(problemLine(p));
    out.warn(`cors-policy ${command}: ${message}`);
    return EXIT.problems;
  }
  return local;
}

/** Policies for explain, verify and denials: from Parameter Store (--path) or from files (--dir), exactly one. */
export interface Source {
  readonly kind: 'ssm' | 'dir';
  readonly describe: Record<string, string>;
  readonly entries: PolicyEntry[];
  readonly fileProblems: PolicyProblem[];
  readonly newSource: (name: string) => string;
}

export async function loadEntries(parsed: Parsed): Promise<Source> {
  const rawPath = stringOption(parsed, 'path');
  const dir = stringOption(parsed, 'dir');
  if ((rawPath === undefined) === (dir === undefined)) throw new UsageError('give exactly one of --path (policies in Parameter Store) or --dir (policy files)');
  if (dir !== undefined) {
    if (!(await isDirectory(dir))) throw new FileError(`${dir} is not a directory`);
    const local = await loadLocalPolicies(await scanPolicyDir(dir), undefined);
    // Engine problems and conflicts come back from compilePolicySet below; keep only the file-level ones here.
    const engine = new Set([...local.set.problems, ...local.conflicts]);
    return {
      kind: 'dir',
      describe: { dir },
      entries: local.policies.map((p) => ({ source: p.file, value: p.value })),
      fileProblems: local.problems.filter((p) => !engine.has(p)),
      newSource: (name) => join(dir, `${name}.json`),
    };
  }
  const path = policyPath(rawPath, true);
  const client = clientOf(parsed);
  return {
    kind: 'ssm',
    describe: { path },
    entries: await policyEntries(client, await listParameters(client, path)),
    fileProblems: [],
    newSource: (name) => (path === '/' ? `/${name}` : `${path}/${name}`),
  };
}
