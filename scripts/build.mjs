#!/usr/bin/env node
// The one build definition for every deployable artefact. `npm run build`
// builds them all into dist/; the SAM Makefile calls the same script with
// `--only <target> --outdir $(ARTIFACTS_DIR)` so that `sam build` and
// `npm run build` can never drift apart.
//
//   node scripts/build.mjs [--only preflight,layer,cli,redeploy] [--outdir DIR]
//
// --outdir is only valid together with a single --only target; the target's
// files are then written directly under DIR (the layout SAM expects).
import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const LAYER_PACKAGE = 'apigw-cors';

/** Settings shared by every Lambda artefact: one CommonJS file for the Lambda Node.js runtime. */
const lambdaDefaults = {
  bundle: true,
  platform: 'node',
  target: 'node20', // runs on the Node 20 used here and the nodejs22.x/24.x runtimes
  format: 'cjs',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  // Prefer the SDK's ES module builds: they tree-shake to the commands we use.
  mainFields: ['module', 'main'],
  logLevel: 'warning',
};

const targets = {
  preflight: {
    defaultDir: 'dist/preflight',
    async build(outDir) {
      await build({ ...lambdaDefaults, entryPoints: [join(root, 'functions/preflight/handler.ts')], outfile: join(outDir, 'index.js'), metafile: false });
    },
  },
  layer: {
    defaultDir: 'dist/layer',
    async build(outDir) {
      const pkgDir = join(outDir, 'nodejs', 'node_modules', LAYER_PACKAGE);
      await build({ ...lambdaDefaults, entryPoints: [join(root, 'functions/layer/index.ts')], outfile: join(pkgDir, 'index.js') });
      // ESM entry re-exports the CommonJS one, so `import` and `require` share one
      // module instance (one policy cache per process, not two).
      await writeFile(join(pkgDir, 'index.mjs'), "import cjs from './index.js';\nexport const { withCors, corsHeaders } = cjs;\nexport default cjs;\n");
      // Declarations come from the sources themselves, so they cannot drift.
      const tsc = spawnSync(
        process.execPath,
        [join(root, 'node_modules/typescript/bin/tsc'), '--ignoreConfig', '--declaration', '--emitDeclarationOnly', '--outDir', join(pkgDir, 'types'), '--rootDir', join(root, 'functions'),
          join(root, 'functions/layer/index.ts'), '--skipLibCheck', '--strict', '--target', 'es2023', '--module', 'preserve', '--moduleResolution', 'bundler', '--types', 'node'],
        { stdio: 'inherit' },
      );
      if (tsc.status !== 0) throw new Error('declarations for the layer failed to build');
      await writeFile(
        join(pkgDir, 'package.json'),
        JSON.stringify(
          {
            name: LAYER_PACKAGE,
            version: JSON.parse(await readFile(join(root, 'package.json'), 'utf8')).version,
            description: 'CORS headers for API Gateway actual responses, from the same Parameter Store policies as the preflight function.',
            main: 'index.js',
            types: 'types/layer/index.d.ts',
            exports: { '.': { types: './types/layer/index.d.ts', import: './index.mjs', require: './index.js' } },
          },
          null,
          2,
        ) + '\n',
      );
    },
  },
  cli: {
    defaultDir: 'dist/cli',
    async build(outDir) {
      await build({
        ...lambdaDefaults,
        minify: false,
        sourcemap: 'inline',
        entryPoints: [join(root, 'functions/cli/main.ts')],
        outfile: join(outDir, 'index.js'),
        banner: { js: '#!/usr/bin/env node' },
      });
    },
  },
  redeploy: {
    defaultDir: 'dist/redeploy',
    async build(outDir) {
      await build({ ...lambdaDefaults, entryPoints: [join(root, 'functions/redeploy/handler.ts')], outfile: join(outDir, 'index.js') });
    },
  },
};

function parseArgs(argv) {
  const args = { only: Object.keys(targets), outdir: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--only') args.only = String(argv[++i] ?? '').split(',').filter(Boolean);
    else if (a === '--outdir') args.outdir = argv[++i];
    else throw new Error(`unknown argument "${a}" (usage: build.mjs [--only ${Object.keys(targets).join(',')}] [--outdir DIR])`);
  }
  for (const t of args.only) if (!targets[t]) throw new Error(`unknown build target "${t}"; known: ${Object.keys(targets).join(', ')}`);
  if (args.outdir && args.only.length !== 1) throw new Error('--outdir needs exactly one --only target');
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  for (const name of args.only) {
    const target = targets[name];
    const entryMissing = name === 'redeploy' && !existsSync(join(root, 'functions/redeploy/handler.ts'));
    if (entryMissing) continue;
    const outDir = args.outdir ? resolve(args.outdir) : join(root, target.defaultDir);
    if (!args.outdir) await rm(outDir, { recursive: true, force: true });
    await mkdir(outDir, { recursive: true });
    await target.build(outDir);
  }
}

main().catch((err) => {
  process.stderr.write(`build failed: ${err.message}\n`);
  process.exit(1);
});
