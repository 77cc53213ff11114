#!/usr/bin/env node
// `npm start`: builds the artefacts (the stack runs the BUILT preflight bundle
// and layer package, as Lambda would), then runs scripts/local/start.ts in this
// same process through tsx, so Ctrl-C reaches one process that shuts down
// cleanly. Arguments after `--` go to start.ts (`npm start -- --help`).
//
//   npm start -- [--payload v2] [--port 3000] [--page-port 3001] [--no-build]
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const noBuild = args.includes('--no-build');
const rest = args.filter((a) => a !== '--no-build');

if (!noBuild && !rest.includes('--help')) {
  const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit', cwd: root });
  if (build.status !== 0) {
    process.stderr.write('npm start: the build failed; fix it or run with --no-build to use the existing dist/\n');
    process.exit(build.status ?? 1);
  }
}

// start.ts reads its own arguments from process.argv.
process.argv = [process.execPath, join(root, 'scripts', 'local', 'start.ts'), ...rest];
const require = createRequire(import.meta.url);
const { register } = require('tsx/cjs/api');
register();
require(join(root, 'scripts', 'local', 'start.ts'));
