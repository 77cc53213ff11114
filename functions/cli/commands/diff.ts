import { AWS_OPTIONS, policyPath } from '../args';
import { defineCommand } from '../command';
import { EXIT } from '../errors';
import { fieldChangeLine, type Output } from '../output';
import type { ChangeJson, ConflictJson } from '../json';
import type { ConflictChange, ParameterChange } from '../plan';
import { DIR_OPTION, PATH_OPTION, dirOf, planPush } from './shared';

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

export const diff = defineCommand({
  name: 'diff',
  usage: 'cors-policy diff --path /cors/my-api [--dir policies] [--exit-code] [--json]',
  summary:
    'Shows what push would change in Parameter Store, parameter by parameter and field by field: added (+), changed (~) and parameters no file describes (-, deleted only by push --prune). Documents are compared as parsed values, so formatting and key order never show up as changes.',
  options: {
    ...PATH_OPTION,
    ...DIR_OPTION,
    'exit-code': { type: 'boolean', help: 'exit 3 when there are differences (for CI drift checks)' },
    ...AWS_OPTIONS,
  },
  details: 'exit codes: 0 compared (or no differences with --exit-code), 1 invalid policy files, 2 AWS or file error, 3 differences with --exit-code',
  // Parameter values come from Parameter Store.
  remoteText: true,
  async run({ values }, out) {
    const path = policyPath(values.path, true);
    const dir = dirOf(values);
    const plan = await planPush('diff', { path, dir }, values, out, {}, false);
    if (typeof plan === 'number') return plan;
    const { changes, conflicts, counts } = plan;
    const differs = counts.add + counts.change + counts.remove > 0;
    out.document({ command: 'diff', ok: true, path, dir, changes: changes.map(changeJson), conflicts: conflicts.map(conflictJson), summary: counts });
    out.line(`diff ${dir} -> ${path}`);
    printChanges(out, changes, false);
    printConflicts(out, conflicts);
    out.line(`${counts.add} to add, ${counts.change} to change, ${counts.remove} not described by any file, ${counts.unchanged} unchanged`);
    return differs && values['exit-code'] === true ? EXIT.negative : EXIT.ok;
  },
});
