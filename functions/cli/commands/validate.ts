import { policyPath } from '../args';
import { defineCommand } from '../command';
import { EXIT } from '../errors';
import { loadLocalPolicies, resolveTargets } from '../local-policies';
import { isDirectory } from '../policy-files';
import { plural, problemJson, problemLine } from '../output';
import { DEFAULT_DIR } from './shared';

export const validate = defineCommand({
  name: 'validate',
  usage: 'cors-policy validate [FILE|DIR ...] [--path /cors/my-api] [--json]',
  summary: `Checks policy files with the Lambda's own validation: every field of every file, route conflicts between files, parameter names and the 4096-byte Standard tier limit. Directories are read recursively; the default is ./${DEFAULT_DIR}. Prints every problem as file: field: value: reason.`,
  options: {
    path: { type: 'string', value: 'PATH', help: 'also check the full parameter names under this Parameter Store path' },
  },
  positionals: true,
  details: 'exit codes: 0 every file is valid, 1 problems found (or no policy files), 2 a file or directory cannot be read',
  async run(parsed, out) {
    const path = policyPath(parsed.values.path, false);
    const targets = parsed.positionals.length > 0 ? parsed.positionals : [DEFAULT_DIR];
    const refs = await resolveTargets(targets);
    const local = await loadLocalPolicies(refs, path);
    const bad = new Set(local.problems.map((p) => p.source));
    const empty = refs.length === 0;
    out.document({
      command: 'validate',
      ok: !empty && local.problems.length === 0,
      path: path ?? null,
      files: refs.map((r) => {
        const p = local.policies.find((x) => x.file === r.file);
        return { file: r.file, parameter: path ? (p?.parameter ?? null) : null, bytes: p?.bytes ?? null, valid: !bad.has(r.file) };
      }),
      problems: local.problems.map(problemJson),
    });
    if (empty) {
      // In a fresh clone policies/ holds only its README: point at the demo policies.
      const hint =
        parsed.positionals.length === 0 && (await isDirectory('examples')) ? ' (the demo policies are in examples/: cors-policy validate examples)' : '';
      out.warn(`no policy files (.json, .yaml, .yml) found in ${targets.join(', ')}${hint}`);
      return EXIT.problems;
    }
    for (const p of local.policies) if (!bad.has(p.file)) out.line(`ok   ${p.file}${path ? ` -> ${p.parameter}` : ''} (${p.bytes} bytes)`);
    for (const problem of local.problems) out.line(problemLine(problem));
    out.line(
      `${plural(refs.length, 'file')} checked: ${local.problems.length === 0 ? 'all valid' : `${plural(local.problems.length, 'problem')} in ${plural(bad.size, 'file')}`}`,
    );
    return local.problems.length === 0 ? EXIT.ok : EXIT.problems;
  },
});
