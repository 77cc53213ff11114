#!/usr/bin/env node
// `npm run bench`: builds every artefact with the one build definition, then
// runs bench/run.ts (cold starts, warm path, memory, Parameter Store cost)
// against a local moto server, then bench/edit-to-effect.ts on the local stack. Prints the tables and writes
// bench/results/latest.json (quick or partial runs: partial.tmp.json, ignored
// by git). Not part of `npm test`.
//
//   npm run bench                     everything (about 3 minutes here)
//   npm run bench -- --quick          fewer rounds, for a smoke run
//   npm run bench -- --only cold,ssm  some parts (cold, warm, memory, ssm)
//   npm run bench -- --compare DIR/preflight/index.mjs  another build: one more cold-start variant, and
//                                                       its warm path alone in its own processes
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNode } from './lib/node-runtime.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// The runner's own SDK (it seeds moto) runs on this machine's Node; its notice
// about the SDK's future Node 22 floor is noise here.
const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

/**
 * @param {string} title
 * @param {string[]} args
 */
function run(title, args) {
  process.stderr.write(`=== ${title}\n`);
  const r = spawnSync(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`${title} failed (exit ${r.status ?? r.signal})\n`);
    process.exit(r.status || 1);
  }
}

run('build', [join(root, 'scripts', 'build.mjs')]);
// Cold starts run on Node 22 (Lambda's nodejs22.x) and on this machine's Node
// when it differs; the warm and memory programs on Node 22.
const node22 = ensureNode(22);
if (node22) Object.assign(env, { BENCH_NODE22: node22 });
else process.stderr.write("Node 22 is not available here: every figure is on this machine's Node only\n");
run('bench', ['--import', 'tsx', join(root, 'bench', 'run.ts'), ...process.argv.slice(2)]);
// Edit-to-effect on the local stack (snapshot and direct mode), in a full run or a --quick one.
const args = process.argv.slice(2);
if (!args.includes('--only') && !args.includes('--compare')) {
  run('edit-to-effect', ['--import', 'tsx', join(root, 'bench', 'edit-to-effect.ts'), '--rounds', args.includes('--quick') ? '4' : '12']);
}
