import { AwsError, EXIT } from '../errors';
import type { JsonError, PushJson, SummaryJson } from '../json';
import type { ConflictChange, ParameterChange } from '../plan';
import { deleteParameters, putParameter } from '../ssm';
import { changeJson, conflictJson, printChanges, printConflicts } from './diff';
import { planPush, syncCommand } from './shared';
import { plural, type Output } from '../output';

type Done = { action: 'added' | 'updated' | 'deleted'; parameter: string; file: string | null; version: number | null };

export const push = syncCommand({
  name: 'push',
  summary:
    'Validates every file first and writes nothing if anything is invalid; then puts only the parameters that are new or changed (String, overwrite), each as the compact JSON of its file. --prune also deletes parameters under the path that no file describes. --dry-run prints the plan and writes nothing.',
  prunes: 'parameters under the path that no file describes',
  details:
    'A push that would leave a route claimed by two policies (a file and a parameter no file describes) is refused: the Lambda would deny that route.\nexit codes: 0 done, 1 invalid policy files or a route conflict the push would create (nothing written), 2 AWS or file error (what was already written is printed)',
  async run({ path, dir, prune, dryRun }, out, values) {
    const plan = await planPush('push', { path, dir }, values, out, { dryRun, prune }, prune);
    if (typeof plan === 'number') return plan;
    const { client, changes, conflicts, counts } = plan;
    const created = conflicts.filter((c) => c.state === 'new');
    if (created.length > 0) {
      // Files cannot conflict among themselves (validated above): a parameter no file describes claims the route too.
      const message = `the push would leave ${created.length === 1 ? 'a route' : `${created.length} routes`} claimed by two policies, which the Lambda denies (route_conflict); remove the route from one of them, or delete the other parameter with --prune; nothing was written`;
      printConflicts(out, conflicts);
      out.warn(`cors-policy push: ${message}`);
      out.document(result(path, dir, dryRun, prune, changes, conflicts, [], counts, { code: 'RouteConflict', message }));
      return EXIT.problems;
    }
    const toPut = changes.filter((c) => c.action === 'add' || c.action === 'change');
    const toDelete = prune ? changes.filter((c) => c.action === 'remove') : [];
    const kept = prune ? [] : changes.filter((c) => c.action === 'remove');

    if (dryRun) {
      out.document(result(path, dir, dryRun, prune, changes, conflicts, [], counts));
      out.line(`push ${dir} -> ${path} (dry run: nothing is written)`);
      printChanges(out, prune ? changes : changes.filter((c) => c.action !== 'remove'), prune);
      printConflicts(out, conflicts);
      for (const c of kept) out.line(`  kept ${c.parameter} (no file describes it; --prune would delete it)`);
      out.line(`would add ${counts.add}, update ${counts.change}, delete ${toDelete.length}; ${counts.unchanged} unchanged`);
      return EXIT.ok;
    }

    const done: Done[] = [];
    const report = (d: Done): void => {
      done.push(d);
      out.line(`${d.action.padEnd(9)} ${d.parameter}${d.file ? ` from ${d.file}` : ''}${d.version !== null ? ` (version ${d.version})` : ''}`);
    };
    out.line(`push ${dir} -> ${path}`);
    announce(out, dir, path, toPut, toDelete);
    try {
      for (const c of toPut) {
        const version = await putParameter(client, c.parameter, c.value as string);
        report({ action: c.action === 'add' ? 'added' : 'updated', parameter: c.parameter, file: c.file ?? null, version: version ?? null });
      }
      if (toDelete.length > 0) {
        const { missing } = await deleteParameters(
          client,
          toDelete.map((c) => c.parameter),
          (names) => {
            for (const parameter of names) report({ action: 'deleted', parameter, file: null, version: null });
          },
        );
        for (const name of missing) out.warn(`warning: ${name} was already gone`);
      }
    } catch (err) {
      if (!(err instanceof AwsError)) throw err;
      out.warn(`cors-policy push: error: ${err.message}`);
      out.warn(`cors-policy push: stopped after ${done.length} of ${toPut.length + toDelete.length} writes; run push again to finish`);
      out.document(result(path, dir, false, prune, changes, conflicts, done, counts, { code: err.code, message: err.message }));
      return EXIT.error;
    }
    for (const c of kept) out.line(`kept      ${c.parameter} (no file describes it; --prune deletes it)`);
    printConflicts(out, conflicts);
    out.line(
      `${done.filter((d) => d.action === 'added').length} added, ${done.filter((d) => d.action === 'updated').length} updated, ${done.filter((d) => d.action === 'deleted').length} deleted, ${counts.unchanged} unchanged`,
    );
    out.document(result(path, dir, false, prune, changes, conflicts, done, counts));
    return EXIT.ok;
  },
});

/** A document's field as a list of short strings, for the announcement. */
function listOf(document: unknown, field: string): string[] {
  const v = (document as Record<string, unknown> | null)?.[field];
  const items = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return items.map((x) => clip(String(x), 80));
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Says what is about to be published before the first write: which files go
 * to which parameters under which path, with the routes and origins each one
 * opens, so that a push of the wrong folder or to the wrong path is seen for
 * what it is. Values come from the validated files.
 */
function announce(out: Output, dir: string, path: string, toPut: readonly ParameterChange[], toDelete: readonly ParameterChange[]): void {
  if (toPut.length + toDelete.length === 0) return;
  const parts = [toPut.length > 0 ? `${plural(toPut.length, 'policy', 'policies')} from ${dir}` : '', toDelete.length > 0 ? `deleting ${toDelete.length}` : '']
    .filter(Boolean)
    .join(', ');
  out.line(`about to publish ${parts} to ${path}:`);
  for (const c of toPut) {
    const document = c.value === undefined ? undefined : (JSON.parse(c.value) as unknown);
    out.line(`  ${c.file ?? '?'} -> ${c.parameter}`);
    out.line(`      routes:  ${listOf(document, 'route').join(', ')}`);
    out.line(`      origins: ${listOf(document, 'allowOrigins').join(', ')}`);
  }
  for (const c of toDelete) out.line(`  delete ${c.parameter} (no file describes it; --prune)`);
}

/** The one `--json` document of a push run, whichever way it ends. */
function result(
  path: string,
  dir: string,
  dryRun: boolean,
  prune: boolean,
  changes: readonly ParameterChange[],
  conflicts: readonly ConflictChange[],
  done: readonly Done[],
  summary: SummaryJson,
  error?: JsonError,
): PushJson {
  return {
    command: 'push',
    ok: error === undefined,
    path,
    dir,
    dryRun,
    prune,
    changes: changes.map(changeJson),
    conflicts: conflicts.map(conflictJson),
    done,
    summary,
    ...(error ? { error } : {}),
  };
}
