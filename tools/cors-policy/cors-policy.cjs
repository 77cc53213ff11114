#!/usr/bin/env node
// `npx cors-policy` inside the repository. npm links the bins of workspaces,
// never the root package's own, so this workspace carries the bin; it loads
// the CLI that `npm run build` writes to dist/cli/index.js, building it first
// when it is missing (a fresh clone), and never depends on that file's mode
// (a rebuild rewrites it).
'use strict';
const { existsSync } = require('node:fs');
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..', '..');
const cli = join(root, 'dist', 'cli', 'index.js');

if (!existsSync(cli)) {
  process.stderr.write('cors-policy: dist/cli/index.js is missing; building it (node scripts/build.mjs --only cli)\n');
  const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--only', 'cli'], { cwd: root, stdio: ['ignore', 2, 2] });
  if (build.status !== 0 || !existsSync(cli)) {
    process.stderr.write('cors-policy: the build failed; run `npm run build` and read its errors\n');
    process.exit(2);
  }
}

const { main } = require(cli);
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`cors-policy: unexpected error: ${String(err)}\n`);
    process.exitCode = 2;
  },
);
