import { join } from 'node:path';
import { compilePolicySet } from '../../core/policy-set';
import type { PolicyProblem, PolicyProblemCode } from '../../core/problems';
import { EXIT } from '../errors';
import { deepEqual } from '../field-diff';
import { problemJson, problemLine } from '../output';
import { remoteDocument } from '../plan';
import {
  deletePolicyFile,
  isDirectory,
  readPolicyFile,
  relativeNameProblem,
  renderPolicyFile,
  scanPolicyDir,
  writePolicyFile,
  type PolicyFileRef,
  type PolicyFormat,
} from '../policy-files';
import { createClient, listParameters } from '../ssm';
import { syncCommand } from './shared';

type FileAction = 'create' | 'update' | 'unchanged' | 'delete';

const PAST: Record<FileAction, string> = { create: 'created', update: 'updated', unchanged: 'unchanged', delete: 'deleted' };

interface FilePlan {
  readonly action: FileAction;
  readonly file: string;
  readonly parameter: string | null;
  readonly text?: string;
}

export const pull = syncCommand({
  name: 'pull',
  summary:
    'Writes the parameters under the path back as files, the inverse of push: <path>/<name> becomes <dir>/<name>.json (2-space JSON and a newline), <path>/team/x becomes <dir>/team/x.json. A file already describing the parameter is rewritten in place (YAML stays YAML) only when its content differs, so pulling right after a push changes nothing. --prune deletes files no parameter describes.',
  prunes: 'policy files that no parameter describes',
  details:
    'Parameters that cannot become a file (not String, not JSON, a name segment starting with ".", names differing only in case) are refused and nothing is written.\nPolicies the Lambda would reject are still written, with a warning, so they can be fixed and pushed.\nexit codes: 0 done, 1 refused (nothing written), 2 AWS or file error',
  async run({ path, dir, prune, dryRun }, out, values) {
    const remote = await listParameters(createClient(values), path);
    const prefix = path === '/' ? '/' : `${path}/`;

    const problems: PolicyProblem[] = [];
    const refuse = (source: string, value: unknown, code: PolicyProblemCode, reason: string): void => {
      problems.push({ source, field: '', value, code, reason });
    };
    const existing: PolicyFileRef[] = (await isDirectory(dir)) ? await scanPolicyDir(dir) : [];
    const localByName = new Map<string, PolicyFileRef>();
    for (const ref of existing) {
      const other = localByName.get(ref.name);
      if (other) refuse(ref.file, ref.name, 'same_parameter', `describes the same parameter as ${other.file}; keep one of them before pulling`);
      else localByName.set(ref.name, ref);
    }
    const folded = new Map<string, string>();
    const wanted: Array<{ parameter: string; name: string; document: unknown }> = [];
    for (const p of remote) {
      const name = p.name.startsWith(prefix) ? p.name.slice(prefix.length) : '';
      const nameProblem = relativeNameProblem(name);
      if (nameProblem) {
        refuse(p.name, name, 'not_writable', `cannot be a file under ${dir}: the name ${nameProblem}`);
        continue;
      }
      const clash = folded.get(name.toLowerCase());
      if (clash)
        refuse(
          p.name,
          name,
          'case_collision',
          `differs from ${clash} only in letter case; the two files would overwrite each other on a case-insensitive file system`,
        );
      folded.set(name.toLowerCase(), p.name);
      const stored = remoteDocument(p);
      if (!stored.ok) {
        refuse(p.name, undefined, 'not_writable', `cannot be written as a policy file: ${stored.note}`);
        continue;
      }
      wanted.push({ parameter: p.name, name, document: stored.document });
    }
    if (problems.length > 0) {
      for (const p of problems) out.warn(problemLine(p));
      const message = 'parameters or files that cannot be mapped one to one; nothing was written';
      out.warn(`cors-policy pull: ${message}`);
      out.document({
        command: 'pull',
        ok: false,
        path,
        dir,
        dryRun,
        prune,
        files: [],
        problems: problems.map(problemJson),
        warnings: [],
        error: { code: 'Unmappable', message },
      });
      return EXIT.problems;
    }

    const plans: FilePlan[] = [];
    for (const w of wanted) {
      const ref = localByName.get(w.name);
      const format: PolicyFormat = ref?.format ?? 'json';
      const file = ref?.file ?? join(dir, `${w.name}.json`);
      if (ref) {
        const current = await readPolicyFile(ref);
        if (current.ok && deepEqual(current.value, w.document)) {
          plans.push({ action: 'unchanged', file, parameter: w.parameter });
          continue;
        }
      }
      plans.push({ action: ref ? 'update' : 'create', file, parameter: w.parameter, text: renderPolicyFile(w.document, format) });
    }
    if (prune) {
      const names = new Set(wanted.map((w) => w.name));
      for (const ref of existing) if (!names.has(ref.name)) plans.push({ action: 'delete', file: ref.file, parameter: null });
    }

    // The Lambda's view of what was pulled: warn about what it would reject.
    const warnings = compilePolicySet(remote.map((p) => ({ source: p.name, value: p.value, type: p.type }))).problems;

    out.line(`pull ${path} -> ${dir}${dryRun ? ' (dry run: nothing is written)' : ''}`);
    for (const plan of plans) {
      if (!dryRun && plan.action === 'delete') await deletePolicyFile(plan.file);
      else if (!dryRun && plan.text !== undefined) await writePolicyFile(plan.file, plan.text);
      if (plan.action !== 'unchanged')
        out.line(`${(dryRun ? `would ${plan.action}` : PAST[plan.action]).padEnd(15)} ${plan.file}${plan.parameter ? ` <- ${plan.parameter}` : ''}`);
    }
    for (const w of warnings) out.warn(`warning: ${problemLine(w)}`);
    if (warnings.length > 0)
      out.warn(
        `warning: the Lambda rejects ${new Set(warnings.map((w) => w.source)).size === 1 ? 'this policy' : 'these policies'} (it serves the newest stored version that validates, if there is one); fix the files and push`,
      );
    const count = (a: FileAction): number => plans.filter((p) => p.action === a).length;
    out.line(
      dryRun
        ? `would create ${count('create')}, update ${count('update')}, delete ${count('delete')}; ${count('unchanged')} unchanged`
        : `${count('create')} created, ${count('update')} updated, ${count('delete')} deleted, ${count('unchanged')} unchanged`,
    );
    out.document({
      command: 'pull',
      ok: true,
      path,
      dir,
      dryRun,
      prune,
      files: plans.map(({ action, file, parameter }) => ({ action, file, parameter })),
      problems: [],
      warnings: warnings.map(problemJson),
    });
    return EXIT.ok;
  },
});
