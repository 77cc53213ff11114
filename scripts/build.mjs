#!/usr/bin/env node
// The one build definition for every deployable artefact. `npm run build`
// builds them all into dist/; the SAM Makefile calls the same script with
// `--only <target> --outdir $(ARTIFACTS_DIR)` so that `sam build` and
// `npm run build` can never drift apart.
//
//   node scripts/build.mjs [--only preflight,layer,cli,redeploy,compiler] [--outdir DIR]
//
// --outdir is only valid together with a single --only target; the target's
// files are then written directly under DIR (the layout SAM expects). Code
// lives in the repository, never in this file: entries are files under
// functions/ (copied as they are), the package's declarations come from
// tsconfig.types.json.
import { build } from 'esbuild';
import { chmod, copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SDK_SIDE_FILE, nodeCryptoOnFirstUse, sdkInSideFile } from './lib/sdk-trim.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const LAYER_PACKAGE = 'apigw-cors';

/**
 * Settings shared by every Lambda artefact: one CommonJS file for the Lambda Node.js runtime.
 * @type {import('esbuild').BuildOptions}
 */
const lambdaDefaults = {
  bundle: true,
  platform: 'node',
  target: 'node22', // the oldest runtime the template allows (nodejs22.x; nodejs24.x is the default); Node 20 here runs it too
  format: 'cjs',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  // Prefer the SDK's ES module builds: they tree-shake to the commands we use.
  mainFields: ['module', 'main'],
  logLevel: 'warning',
};

/*
 * Cold start of the functions that load policies from Parameter Store (the
 * preflight function and the layer): the entry bundle holds the engine and a
 * light signed GetParametersByPath client (functions/aws/ssm-light-client.ts);
 * the full @aws-sdk/client-ssm client, for every other environment, is a side
 * file loaded only when needed (the plugins in scripts/lib/sdk-trim.mjs say
 * what each keeps out of the entry and why, and fail the build when they no
 * longer apply). `import()` of Node built-ins becomes `require()`: in a CommonJS
 * bundle a dynamic import starts Node's ES module loader just to load node:http.
 */
/**
 * Settings for the entry bundle of a function that loads policies: no SDK client inside.
 * @type {import('esbuild').BuildOptions}
 */
const ssmLoaderDefaults = {
  ...lambdaDefaults,
  supported: { 'dynamic-import': false },
  plugins: [sdkInSideFile(), nodeCryptoOnFirstUse()],
};

/** The Public Suffix List data file next to a bundle built with {@link publicSuffixesInFile} (functions/core/public-suffix-file.ts reads it). */
export const PUBLIC_SUFFIX_FILE = 'public-suffixes.txt';
/** The generated list (`npm run generate:psl`): the encoded rules with their size and digest. */
const PUBLIC_SUFFIX_DATA = join(root, 'functions/core/public-suffixes.json');

/**
 * Moves the Public Suffix List's encoded rules (77 KB) out of a Lambda bundle
 * into PUBLIC_SUFFIX_FILE next to it, read on the first wildcard check: V8
 * scans every string literal of a bundle on each cold start (~0.6 ms for this
 * one), a file read costs a tenth of that and happens while Parameter Store
 * answers (the init phase's warm-up checks a wildcard). The bundle gets
 * functions/core/public-suffix-file.ts in place of public-suffix-text.ts:
 * it carries only the rules' size and digest and checks the file against
 * both on the first read, so that a missing, truncated, damaged or foreign
 * file fails closed. Fails the build when nothing imports public-suffix-text.
 * @param {string} outDir  where the bundle, and so the data file, goes
 * @returns {import('esbuild').Plugin}
 */
function publicSuffixesInFile(outDir) {
  const importer = join(root, 'functions/core/public-suffix.ts');
  return {
    name: 'public-suffixes-in-file',
    setup(b) {
      let replaced = 0;
      b.onResolve({ filter: /^\.\/public-suffix-text$/ }, (args) => {
        if (args.importer !== importer) return undefined;
        replaced++;
        return { path: join(root, 'functions/core/public-suffix-file.ts') };
      });
      b.onEnd(async (result) => {
        if (result.errors.length > 0) return undefined;
        if (replaced === 0) return { errors: [{ text: 'public-suffixes-in-file: nothing imports ./public-suffix-text (functions/core/public-suffix.ts)' }] };
        /** @type {{ rules: string, rulesSize: number }} */
        const data = JSON.parse(await readFile(PUBLIC_SUFFIX_DATA, 'utf8'));
        // The rules are ASCII (the generator checks): as latin1, one byte per character, as the bundle reads them.
        const bytes = Buffer.from(data.rules, 'latin1');
        if (bytes.length !== data.rulesSize || /[^\x00-\x7f]/.test(data.rules))
          return {
            errors: [
              { text: `public-suffixes-in-file: ${PUBLIC_SUFFIX_DATA} was edited by hand (its rules do not match their size); run npm run generate:psl` },
            ],
          };
        await writeFile(join(outDir, PUBLIC_SUFFIX_FILE), bytes);
        return undefined;
      });
    },
  };
}

/**
 * Writes the full SDK client, its default credential chain included, as the SDK ships it, into
 * SDK_SIDE_FILE next to an entry built with ssmLoaderDefaults: one file, since the client loads
 * the chain at once and a second file would carry a second copy of the SDK's shared core.
 * @param {string} dir
 */
async function buildSdkSideFile(dir) {
  await build({
    ...lambdaDefaults,
    supported: { 'dynamic-import': false },
    entryPoints: [join(root, 'functions/aws/ssm-sdk.ts')],
    outfile: join(dir, SDK_SIDE_FILE),
  });
}

/** The preflight function's CommonJS bundle, next to its ES module entry (index.mjs). */
export const PREFLIGHT_BUNDLE = 'preflight.cjs';

/**
 * The `apigw-cors` package: CommonJS index.js, an ES module entry, the SDK side file, types, package.json.
 * @param {string} pkgDir
 * @param {boolean} suffixesInFile  the Public Suffix List as a data file beside index.js (the layer) or inside it (npm)
 */
async function buildHelperPackage(pkgDir, suffixesInFile) {
  await mkdir(pkgDir, { recursive: true });
  await build({
    ...ssmLoaderDefaults,
    plugins: [...(ssmLoaderDefaults.plugins ?? []), ...(suffixesInFile ? [publicSuffixesInFile(pkgDir)] : [])],
    entryPoints: [join(root, 'functions/layer/index.ts')],
    outfile: join(pkgDir, 'index.js'),
  });
  await buildSdkSideFile(pkgDir);
  // The ES module entry (functions/layer/index.mjs) re-exports the CommonJS one, so `import`
  // and `require` share one module instance (one policy cache per process, not two).
  await copyFile(join(root, 'functions/layer/index.mjs'), join(pkgDir, 'index.mjs'));
  // Declarations come from the sources themselves, so they cannot drift.
  const tsc = spawnSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.types.json'), '--outDir', join(pkgDir, 'types')],
    {
      stdio: 'inherit',
    },
  );
  if (tsc.status !== 0) throw new Error('declarations for the layer failed to build (tsconfig.types.json)');
  await writeFile(
    join(pkgDir, 'package.json'),
    `${JSON.stringify(
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
    )}\n`,
  );
}

/** @type {Record<string, { defaultDir: string, build(outDir: string): Promise<void> }>} */
const targets = {
  preflight: {
    defaultDir: 'dist/preflight',
    /** @param {string} outDir */
    async build(outDir) {
      await build({
        ...ssmLoaderDefaults,
        plugins: [...(ssmLoaderDefaults.plugins ?? []), publicSuffixesInFile(outDir)],
        entryPoints: [join(root, 'functions/preflight/handler.ts')],
        outfile: join(outDir, PREFLIGHT_BUNDLE),
      });
      // The entry, functions/preflight/index.mjs, as it is. An ES module so that it can await the
      // policy load at top level: Lambda then runs that load in the init phase (before any request,
      // with provisioned concurrency or when it initialises ahead of demand) and the first request
      // only answers. `init()` never rejects and is bounded (functions/preflight/handler.ts).
      // Handler: index.handler (Lambda looks for index.js, then index.mjs: there is no index.js).
      // It loads the bundle with createRequire, not `import ... from './preflight.cjs'`: importing
      // CommonJS from ESM runs cjs-module-lexer over the whole bundle to find its exports (~9 ms on
      // Node 22 for 190 KB), a cost require does not have.
      await copyFile(join(root, 'functions/preflight/index.mjs'), join(outDir, 'index.mjs'));
      await buildSdkSideFile(outDir);
    },
  },
  layer: {
    defaultDir: 'dist/layer',
    /** @param {string} outDir */
    async build(outDir) {
      await buildHelperPackage(join(outDir, 'nodejs', 'node_modules', LAYER_PACKAGE), true);
    },
  },
  // The same package for npm (scripts/pack.mjs): the Public Suffix List stays
  // inside index.js, so that a function that bundles the package (esbuild,
  // webpack) keeps it; a data file beside it would be left behind.
  helper: {
    defaultDir: 'dist/helper',
    /** @param {string} outDir */
    async build(outDir) {
      await buildHelperPackage(join(outDir, LAYER_PACKAGE), false);
    },
  },

  cli: {
    defaultDir: 'dist/cli',
    /** @param {string} outDir */
    async build(outDir) {
      await build({
        ...lambdaDefaults,
        minify: false,
        // Beside the bundle (index.js.map), not inline: half the size to load and to ship.
        sourcemap: 'linked',
        entryPoints: [join(root, 'functions/cli/main.ts')],
        outfile: join(outDir, 'index.js'),
        banner: { js: '#!/usr/bin/env node' },
      });
      // A bin: every rebuild keeps it executable (`node dist/cli/index.js` and a packed bin both work).
      await chmod(join(outDir, 'index.js'), 0o755);
    },
  },
  redeploy: {
    defaultDir: 'dist/redeploy',
    /** @param {string} outDir */
    async build(outDir) {
      await build({ ...lambdaDefaults, entryPoints: [join(root, 'functions/redeploy/handler.ts')], outfile: join(outDir, 'index.js') });
    },
  },
  // The policy compiler (functions/compiler): full SSM and S3 clients bundled in, one run per event, so no cold-start trimming.
  compiler: {
    defaultDir: 'dist/compiler',
    /** @param {string} outDir */
    async build(outDir) {
      await build({
        ...lambdaDefaults,
        plugins: [publicSuffixesInFile(outDir)],
        entryPoints: [join(root, 'functions/compiler/handler.ts')],
        outfile: join(outDir, 'index.js'),
      });
    },
  },
};

/** The command line: `--only` targets (default: all but helper, the npm package's variant of the layer, which scripts/pack.mjs asks for) and `--outdir`. */
function readArgs() {
  const usage = `usage: build.mjs [--only ${Object.keys(targets).join(',')}] [--outdir DIR]`;
  /** @type {{ only?: string, outdir?: string }} */
  let values;
  try {
    ({ values } = parseArgs({ options: { only: { type: 'string' }, outdir: { type: 'string' } }, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new Error(`${/** @type {Error} */ (err).message} (${usage})`);
  }
  const only = values.only === undefined ? Object.keys(targets).filter((t) => t !== 'helper') : values.only.split(',').filter(Boolean);
  for (const t of only) if (!targets[t]) throw new Error(`unknown build target "${t}"; known: ${Object.keys(targets).join(', ')}`);
  if (values.outdir !== undefined && only.length !== 1) throw new Error('--outdir needs exactly one --only target');
  return { only, outdir: values.outdir };
}

async function main() {
  const args = readArgs();
  for (const name of args.only) {
    const target = targets[name];
    if (!target) continue;
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
