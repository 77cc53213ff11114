#!/usr/bin/env node
// `npm run pack`: installable npm tarballs in dist/packages/, nothing published.
//
//   node scripts/pack.mjs [--no-build]
//
// It first builds the two targets it packs (scripts/build.mjs --only helper,cli).
// --no-build packs dist/helper and dist/cli as they are, failing when either is
// missing: for a caller that has built them already and must not have dist/cli
// emptied and rewritten under processes running it (test/build/packages.int.test.ts).
//
//   apigw-cors-<version>.tgz   the response helper (withCors, corsHeaders): CommonJS
//                              and ES module entries, .d.ts types; the same code as the
//                              layer, with the Public Suffix List inside index.js so a
//                              function that bundles it keeps it (scripts/build.mjs `helper`)
//   cors-policy-<version>.tgz  the CLI: one self-contained file as its `bin`, the source
//                              map beside it
//
// Both carry LICENSE, a README and the repository's version. docs/release.md says how
// to check and publish them.
import { spawnSync } from 'node:child_process';
import { chmod, copyFile, cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'packages');
const stage = join(out, '.stage');
const repo = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));

/** @param {string} command @param {string[]} args @param {string} cwd */
function run(command, args, cwd) {
  const r = spawnSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${r.status})`);
  return r.stdout;
}

/** @param {string} dir @param {Record<string, unknown>} manifest @param {string} readme */
async function finish(dir, manifest, readme) {
  await writeFile(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await writeFile(join(dir, 'README.md'), readme);
  await copyFile(join(root, 'LICENSE'), join(dir, 'LICENSE'));
  const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', out], dir));
  process.stdout.write(`${join('dist/packages', packed.filename)}  ${packed.entryCount} files, ${packed.size} bytes packed, ${packed.unpackedSize} unpacked\n`);
}

const common = {
  version: repo.version,
  license: repo.license,
  engines: { node: '>=20' },
  keywords: ['cors', 'preflight', 'api-gateway', 'aws-lambda', 'ssm'],
};

/** @type {{ 'no-build'?: boolean }} */
let options;
try {
  ({ values: options } = parseArgs({ options: { 'no-build': { type: 'boolean' } }, strict: true, allowPositionals: false }));
} catch (err) {
  process.stderr.write(`${/** @type {Error} */ (err).message} (usage: pack.mjs [--no-build])\n`);
  process.exit(2);
}
/** The files each packed target's build writes and this script copies. */
const built = {
  helper: [join('dist', 'helper', 'apigw-cors', 'package.json'), join('dist', 'helper', 'apigw-cors', 'index.js')],
  cli: [join('dist', 'cli', 'index.js'), join('dist', 'cli', 'index.js.map')],
};
if (options['no-build']) {
  const missing = Object.entries(built).flatMap(([target, files]) => files.filter((f) => !existsSync(join(root, f))).map((file) => ({ target, file })));
  if (missing.length > 0) {
    const targets = [...new Set(missing.map((m) => m.target))].join(',');
    process.stderr.write(`pack --no-build: ${missing.map((m) => m.file).join(', ')} missing; run node scripts/build.mjs --only ${targets} first\n`);
    process.exit(1);
  }
} else run(process.execPath, [join(root, 'scripts', 'build.mjs'), '--only', 'helper,cli'], root);
await rm(out, { recursive: true, force: true });
await mkdir(stage, { recursive: true });

// The helper: the build's own package.json (entries, types) plus what npm needs.
const helper = join(stage, 'apigw-cors');
await cp(join(root, 'dist', 'helper', 'apigw-cors'), helper, { recursive: true });
const helperManifest = JSON.parse(await readFile(join(helper, 'package.json'), 'utf8'));
await finish(
  helper,
  {
    ...helperManifest,
    ...common,
    // Its types name aws-lambda's event and result types; a TypeScript user has @types/aws-lambda already.
    peerDependencies: { '@types/aws-lambda': '^8.10.0' },
    peerDependenciesMeta: { '@types/aws-lambda': { optional: true } },
    files: ['*.js', '*.mjs', 'types/', 'LICENSE', 'README.md'],
  },
  [
    '# apigw-cors',
    '',
    'CORS headers for the actual responses of API Gateway (REST and HTTP API) Lambda functions, from the',
    'per-route policies in SSM Parameter Store that the apigw-cors-preflight function serves preflights from.',
    '',
    '```js',
    "import { withCors } from 'apigw-cors'; // or: const { withCors } = require('apigw-cors');",
    '',
    'export const handler = withCors(async (event) => ({ statusCode: 200, body: "ok" }));',
    '```',
    '',
    'Set `CORS_POLICY_PATH` (e.g. `/cors/shop-api`) and allow `ssm:GetParametersByPath` on it and',
    '`ssm:GetParameterHistory` on the parameters under it. Bundling the package into the function',
    "(esbuild, webpack) works; the same code ships as the stack's Lambda layer. TypeScript types are",
    'included; they name the event types of `@types/aws-lambda`, which a TypeScript project installs. Every option, header',
    'and IAM statement: docs/layer.md in the apigw-cors-preflight repository.',
    '',
  ].join('\n'),
);

// The CLI: one file, executable, and its source map.
const cli = join(stage, 'cors-policy');
await mkdir(cli, { recursive: true });
await copyFile(join(root, 'dist', 'cli', 'index.js'), join(cli, 'index.js'));
await copyFile(join(root, 'dist', 'cli', 'index.js.map'), join(cli, 'index.js.map'));
await chmod(join(cli, 'index.js'), 0o755);
await finish(
  cli,
  {
    name: 'cors-policy',
    ...common,
    description: 'Validate, diff, push, pull, explain and verify the per-route CORS policies that apigw-cors-preflight serves from SSM Parameter Store.',
    bin: { 'cors-policy': 'index.js' },
    files: ['index.js', 'index.js.map', 'LICENSE', 'README.md'],
  },
  [
    '# cors-policy',
    '',
    'The command line of apigw-cors-preflight: validates, diffs, pushes, pulls and explains the per-route',
    'CORS policies in SSM Parameter Store, and verifies a deployed API Gateway API against them.',
    'Self-contained: one file, no dependencies.',
    '',
    '```sh',
    'npx cors-policy --help',
    'npx cors-policy validate policies',
    'npx cors-policy push --path /cors/shop-api --dir policies',
    '```',
    '',
    'Every command, exit code and `--json` shape: docs/cli.md in the apigw-cors-preflight repository.',
    '',
  ].join('\n'),
);
await rm(stage, { recursive: true, force: true });
