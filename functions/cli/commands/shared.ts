import { join } from 'node:path';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { LoadedPolicies } from '../loaded-policies';
import { AWS_OPTIONS, policyPath, type AwsValues, type OptionSpecs, type OptionValues } from '../args';
import { defineCommand, type Command, type WithCommonOptions } from '../command';
import { EXIT, FileError, UsageError } from '../errors';
import type { SummaryJson } from '../json';
import { loadLocalPolicies, type LocalPolicies } from '../local-policies';
import { plural, problemJson, problemLine, type Output } from '../output';
import { conflictChanges, countActions, planChanges, type ConflictChange, type ParameterChange } from '../plan';
import { isDirectory, scanPolicyDir } from '../policy-files';
import { createClient, listParameters, policyEntries } from '../ssm';

/** Where policy files live unless --dir says otherwise. */
export const DEFAULT_DIR = 'policies';

export const PATH_OPTION = {
  path: { type: 'string', value: 'PATH', help: 'Parameter Store path holding the policies, e.g. /cors/my-api (required)' },
} as const satisfies OptionSpecs;

export const DIR_OPTION = {
  dir: { type: 'string', value: 'DIR', help: `directory of policy files (default: ./${DEFAULT_DIR})` },
} as const satisfies OptionSpecs;

/** The flags of push and pull, which copy policies between files and Parameter Store; `pruneHelp` says what --prune deletes on that side. */
function syncOptions(pruneHelp: string) {
  return {
    ...PATH_OPTION,
    ...DIR_OPTION,
    prune: { type: 'boolean', help: pruneHelp },
    'dry-run': { type: 'boolean', help: 'print what would be done and write nothing' },
    ...AWS_OPTIONS,
  } as const satisfies OptionSpecs;
}

type SyncOptions = WithCommonOptions<ReturnType<typeof syncOptions>>;

/** What a push or pull acts on, from its flags. */
export interface SyncSettings {
  readonly path: string;
  readonly dir: string;
  readonly prune: boolean;
  readonly dryRun: boolean;
}

/**
 * push or pull: the same flags and usage (only what --prune deletes differs),
 * the same settings, and values read from Parameter Store shown escaped.
 */
export function syncCommand(definition: {
  readonly name: 'push' | 'pull';
  readonly summary: string;
  /** What --prune deletes. */
  readonly prunes: string;
  readonly details: string;
  run(settings: SyncSettings, out: Output, values: OptionValues<SyncOptions>): Promise<number>;
}): Command<SyncOptions> {
  const { name, summary, details } = definition;
  return defineCommand({
    name,
    usage: `cors-policy ${name} --path /cors/my-api [--dir policies] [--prune] [--dry-run] [--json]`,
    summary,
    options: syncOptions(`delete ${definition.prunes}`),
    details,
    remoteText: true,
    run({ values }, out) {
      const settings = { path: policyPath(values.path, true), dir: dirOf(values), prune: values.prune === true, dryRun: values['dry-run'] === true };
      return definition.run(settings, out, values);
    },
  });
}

/**
 * --path and --dir of the commands that read policies from either (explain,
 * verify, denials: see {@link loadEntries}); the help says what each command
 * does with them.
 */
export function sourceOptions(help: { readonly path: string; readonly dir: string }) {
  return {
    path: { type: 'string', value: 'PATH', help: help.path },
    dir: { type: 'string', value: 'DIR', help: help.dir },
  } as const satisfies OptionSpecs;
}

export function dirOf(values: { readonly dir?: string }): string {
  return values.dir ?? DEFAULT_DIR;
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

/** What `loadEntries` reads: exactly one of --path and --dir, and where AWS is. */
export type SourceValues = AwsValues & { readonly path?: string; readonly dir?: string };

/** The policies for explain, verify and denials: from Parameter Store (--path) or from files (--dir), exactly one. */
export async function loadEntries(values: SourceValues): Promise<LoadedPolicies> {
  const { path: rawPath, dir } = values;
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
  const client = createClient(values);
  return {
    kind: 'ssm',
    describe: { path },
    entries: await policyEntries(client, await listParameters(client, path)),
    fileProblems: [],
    newSource: (name) => (path === '/' ? `/${name}` : `${path}/${name}`),
  };
}

/** What push would change, parameter by parameter, and the route conflicts it would create, leave or end. */
export interface PushPlan {
  readonly local: LocalPolicies;
  readonly client: SSMClient;
  readonly changes: ParameterChange[];
  readonly conflicts: ConflictChange[];
  readonly counts: SummaryJson;
}

/**
 * The plan diff shows and push carries out: the validated files of `dir`
 * against the parameters under `path`; an exit code when the files are not
 * a set push would write (printed by {@link loadValidSet}). `prune`: push
 * deletes the parameters no file describes, so they no longer claim routes.
 */
export async function planPush(
  command: 'push' | 'diff',
  where: { readonly path: string; readonly dir: string },
  aws: AwsValues,
  out: Output,
  extra: Record<string, unknown>,
  prune: boolean,
): Promise<PushPlan | number> {
  const local = await loadValidSet(command, where.dir, where.path, out, extra);
  if (typeof local === 'number') return local;
  const client = createClient(aws);
  const remote = await listParameters(client, where.path);
  const changes = planChanges(local.policies, remote);
  const conflicts = conflictChanges(local.policies, await policyEntries(client, remote), prune);
  return { local, client, changes, conflicts, counts: countActions(changes) };
}
