import { join } from 'node:path';
import { compilePolicySet } from '../../core/policy-set';
import { AWS_OPTIONS, policyPath } from '../args';
import { defineCommand } from '../command';
import { createApiGatewayClients, destroyClients, findApi, restResources } from '../api-gateway';
import { fromCorsConfiguration, fromRestOptions, policyNameFor, type Imported } from '../cors-import';
import { EXIT } from '../errors';
import { problemJson, problemLine } from '../output';
import { isDirectory, prettyJson, scanPolicyDir, writePolicyFile } from '../policy-files';
import { API_ENDPOINT_DETAILS, API_ID_OPTION, apiIdOf } from './api-options';
import { shellQuote } from '../shell';
import { DIR_OPTION, dirOf } from './shared';

interface PlannedFile {
  readonly file: string;
  readonly name: string;
  readonly imported: Imported;
  readonly text: string;
}

export const importCommand = defineCommand({
  name: 'import',
  usage: 'cors-policy import --api-id ID [--dir policies] [--path /cors/my-api] [--dry-run] [--json]',
  summary:
    "Turns an API's current CORS setup into policy files that reproduce it, so that switching to the preflight function changes nothing a browser sees: an HTTP API's CorsConfiguration becomes one policy for $default and /; each REST OPTIONS method with a MOCK integration (the console's \"Enable CORS\", SAM's Cors) becomes one policy for its path, from the static Access-Control-* values of its integration response. Then diff and push as usual.",
  options: {
    ...API_ID_OPTION,
    ...DIR_OPTION,
    path: { type: 'string', value: 'PATH', help: 'the Parameter Store path the policies will be pushed to; only named in the next steps printed' },
    'dry-run': { type: 'boolean', help: 'print the policies and write nothing' },
    ...AWS_OPTIONS,
  },
  details: `Never widened: a value the policy engine refuses (a "*" origin with credentials, a bad token, an origin with a path) is reported and left out of its list; a policy left without origins or methods, a non-MOCK OPTIONS method and an origin mapped from the request are reported and not imported. Every written file passes validate. Existing files are never overwritten.\n${API_ENDPOINT_DETAILS}\nexit codes: 0 written (or shown with --dry-run), 1 a file exists already or the policies would conflict (nothing written), 2 the API does not exist, or an AWS, file or usage error`,
  // Everything shown comes from the API's configuration.
  remoteText: true,
  async run({ values }, out) {
    const apiId = apiIdOf(values);
    const dir = dirOf(values);
    const path = policyPath(values.path, false);
    const dryRun = values['dry-run'] === true;
    const clients = createApiGatewayClients(values);
    let apiType: 'REST' | 'HTTP';
    const results: Imported[] = [];
    try {
      const found = await findApi(clients, apiId);
      apiType = found.type;
      if (found.type === 'HTTP') {
        if (found.api.CorsConfiguration) results.push(fromCorsConfiguration(apiId, found.api.CorsConfiguration));
      } else {
        for (const r of await restResources(clients, apiId)) {
          const options = r.resourceMethods?.OPTIONS;
          if (options) results.push(fromRestOptions(apiId, r.path ?? '', options));
        }
      }
    } finally {
      destroyClients(clients);
    }

    // One file per policy, named after its route; never two with the same name.
    const taken = new Set<string>();
    const planned: PlannedFile[] = [];
    for (const imported of results) {
      if (!imported.document) continue;
      const base = apiType === 'HTTP' ? 'default' : policyNameFor(imported.source.replace(/^OPTIONS /, ''));
      let name = base;
      for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${base}-${n}`;
      taken.add(name.toLowerCase());
      planned.push({ file: join(dir, `${name}.json`), name, imported, text: prettyJson(imported.document) });
    }

    // The same checks validate runs: each policy, and routes across them.
    const check = compilePolicySet(planned.map((p) => ({ source: p.file, value: JSON.stringify(p.imported.document) })));
    const existing = (await isDirectory(dir)) ? new Set((await scanPolicyDir(dir)).map((r) => r.name.toLowerCase())) : new Set<string>();
    const clashes = planned.filter((p) => existing.has(p.name.toLowerCase())).map((p) => p.file);
    const refusedToWrite = check.problems.length > 0 || clashes.length > 0;

    out.line(`import from ${apiType} API ${apiId} -> ${dir}${dryRun ? ' (dry run: nothing is written)' : ''}`);
    for (const r of results) {
      if (r.refused) out.line(`left out   ${r.source}: ${r.refused}`);
      for (const d of r.dropped) out.line(`  dropped  ${problemLine(d)} (left out, never widened)`);
      for (const n of r.notes) out.line(`  note     ${r.source}: ${n}`);
    }
    if (results.length === 0)
      out.line(apiType === 'HTTP' ? 'the API has no CorsConfiguration: nothing to import' : 'no resource has an OPTIONS method: nothing to import');
    for (const p of check.problems) out.warn(problemLine(p));
    for (const file of clashes) out.warn(`${file} describes a policy of the same name already; nothing was written (import into an empty --dir, then merge)`);
    if (!refusedToWrite) {
      for (const p of planned) {
        if (!dryRun) await writePolicyFile(p.file, p.text);
        out.line(`${dryRun ? 'would write' : 'wrote'}  ${p.file} <- ${p.imported.source}`);
        // Line by line: the escaping output shows a new line inside one line as \x0a.
        if (dryRun) for (const l of p.text.trimEnd().split('\n')) out.line(`    ${l}`);
      }
      // The user's own path and folder, quoted for a shell; a placeholder when no --path was given.
      const [d, target] = [shellQuote(dir), path ? shellQuote(path) : '/cors/<your-api>'];
      if (planned.length > 0)
        out.line(`next: cors-policy validate ${d} && cors-policy diff --path ${target} --dir ${d}, then cors-policy push --path ${target} --dir ${d}`);
    }
    out.document({
      command: 'import',
      ok: !refusedToWrite,
      apiId,
      apiType,
      dir,
      dryRun,
      files: planned.map((p) => ({
        file: p.file,
        name: p.name,
        source: p.imported.source,
        written: !dryRun && !refusedToWrite,
        document: p.imported.document,
      })),
      leftOut: results.filter((r) => r.refused).map((r) => ({ source: r.source, reason: r.refused })),
      dropped: results.flatMap((r) => r.dropped.map(problemJson)),
      notes: results.flatMap((r) => r.notes.map((note) => ({ source: r.source, note }))),
      problems: check.problems.map(problemJson),
      existing: clashes,
    });
    return refusedToWrite ? EXIT.problems : EXIT.ok;
  },
});
