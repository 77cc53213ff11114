import { AWS_OPTIONS, COMMON_OPTIONS, flag, policyPath, stringOption } from '../args';
import type { Command } from '../command';
import { EXIT } from '../errors';
import { fieldChangeLine, type Output } from '../output';
import type { ChangeJson, ConflictJson } from '../json';
import { conflictChanges, countActions, planChanges, type ConflictChange, type ParameterChange } from '../plan';
import { listParameters, policyEntries } from '../ssm';
import { DIR_OPTION, PATH_OPTION, clientOf, dirOf, loadValidSet } from './shared';
import { escapingOutput } from '../terminal-text';

const SIGN = { add: '+', change: '~', remove: '-', unchanged: '=' } as const;

/** Human rendering of a plan, shared with push --dry-run. */
export function printChanges(out: Output, changes: readonly ParameterChange[], prune: boolean): void {
  for (const c of changes) {
    if (c.action === 'unchanged') continue;
    const where = c.file ? ` (${c.file})` : prune ? ' (no file describes it: deleted by --prune)' : ' (no file describes it: push --prune would delete it)';
    out.line(`${SIGN[c.action]} ${c.parameter}${where}`);
    if (c.note) out.line(`    ! ${c.note}`);
    for (const f of c.fields) out.line(`    ${fieldChangeLine(f)}`);
  }
}

/** Route conflicts push would create, leave or end: the Lambda denies a route two policies claim. */
export function printConflicts(out: Output, conflicts: readonly ConflictChange[]): void {
  for (const c of conflicts)
    (c.state === 'resolved' ? out.line.bind(out) : out.warn.bind(out))(`${c.state === 'new' ? '! ' : c.state === 'kept' ? 'warning: ' : ''}${c.text}`);
}

/** The documented JSON shape of one conflict. */
export function conflictJson(c: ConflictChange): ConflictJson {
  return { state: c.state, route: c.route, claims: c.claims };
}

/** The documented JSON shape of one change. */
export function changeJson(c: ParameterChange): ChangeJson {
  return { action: c.action, parameter: c.parameter, file: c.file ?? null, note: c.note ?? null, fields: c.fields };
}

export const diff: Command = {
  name: 'diff',
  usage: 'cors-policy diff --path /cors/my-api [--dir policies] [--exit-code] [--json]',
  summary:
    'Shows what push would change in Parameter Store, parameter by parameter and field by field: added (+), changed (~) and parameters no file describes (-, deleted only by push --prune). Documents are compared as parsed values, so formatting and key order never show up as changes.',
  options: {
    ...PATH_OPTION,
    ...DIR_OPTION,
    'exit-code': { type: 'boolean', help: 'exit 3 when there are differences (for CI drift checks)' },
    ...AWS_OPTIONS,
    ...COMMON_OPTIONS,
  },
  positionals: false,
  details: 'exit codes: 0 compared (or no differences with --exit-code), 1 invalid policy files, 2 AWS or file error, 3 differences with --exit-code',
  async run(parsed, output) {
    // Parameter values come from Parameter Store: no control or bidi character reaches the terminal.
    const out = escapingOutput(output);
    const path = policyPath(stringOption(parsed, 'path'), true);
    const dir = dirOf(parsed);
    const local = await loadValidSet('diff', dir, path, out, {});
    if (typeof local === 'number') return local;
    const client = clientOf(parsed);
    const remote = await listParameters(client, path);
    const changes = planChanges(local.policies, remote);
    const conflicts = conflictChanges(local.policies, await policyEntries(client, remote), false);
    const counts = countActions(changes);
    const differs = counts.add + counts.change + counts.remove > 0;
    out.document({ command: 'diff', ok: true, path, dir, changes: changes.map(changeJson), conflicts: conflicts.map(conflictJson), summary: counts });
    out.line(`diff ${dir} -> ${path}`);
    printChanges(out, changes, false);
    printConflicts(out, conflicts);
    out.line(`${counts.add} to add, ${counts.change} to change, ${counts.remove} not described by any file, ${counts.unchanged} unchanged`);
    return differs && flag(parsed, 'exit-code') ? EXIT.negative : EXIT.ok;
  },
};
