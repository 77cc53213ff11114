#!/usr/bin/env node
// The one build definition for every deployable artefact. `npm run build`
// builds them all into dist/; the SAM Makefile calls the same script with
// `--only <target> --outdir $(ARTIFACTS_DIR)` so that `sam build` and
// `npm run build` can never drift apart.
//
//   node scripts/build.mjs [--only preflight,layer,cli,redeploy,compiler] [--outdir DIR]
//
// --outdir is only valid together with a single --only target; the target's
// files are then written directly under DIR (the layout SAM expects).
import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CREDENTIAL_CHAIN_FILE,
  SDK_SIDE_FILE,
  credentialsFromEnvFirst,
  noEventStreams,
  nodeCryptoOnFirstUse,
  sdkInSideFile,
  ssmErrorSchemas,
} from './lib/sdk-trim.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const LAYER_PACKAGE = 'apigw-cors';

/**
 * Settings shared by every Lambda artefact: one CommonJS file for the Lambda Node.js runtime.
 * @type {import('esbuild').BuildOptions}
 */
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

/*
 * Cold start of the functions that load policies from Parameter Store (the
 * preflight function and the layer): the entry bundle holds the engine and a
 * light signed GetParametersByPath client (functions/aws/ssm-light-client.ts);
 * the full @aws-sdk/client-ssm client, for every other environment, is a side
 * file loaded only when needed, trimmed by the plugins in scripts/lib/sdk-trim.mjs
 * (each says what it removes and why, and fails the build when it no longer
 * applies). `import()` of Node built-ins becomes `require()`: in a CommonJS
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

/** The Public Suffix List data file next to a bundle built with {@link publicSuffixesInFile}. */
export const PUBLIC_SUFFIX_FILE = 'public-suffixes.txt';

/**
 * Moves the Public Suffix List's encoded rules (77 KB) out of a Lambda bundle
 * into PUBLIC_SUFFIX_FILE next to it, read on the first wildcard check: V8
 * scans every string literal of a bundle on each cold start (~0.6 ms for this
 * one), a file read costs a tenth of that and happens while Parameter Store
 * answers (the init phase's warm-up checks a wildcard). Replaces
 * functions/core/public-suffix-text.ts; fails the build when nothing imports it.
 * @param {string} outDir  where the bundle, and so the data file, goes
 * @returns {import('esbuild').Plugin}
 */
function publicSuffixesInFile(outDir) {
  return {
    name: 'public-suffixes-in-file',
    setup(b) {
      let replaced = 0;
      b.onResolve({ filter: /^\.\/public-suffix-text$/ }, () => {
        replaced++;
        return { path: 'public-suffix-text', namespace: 'public-suffixes-in-file' };
      });
      b.onLoad({ filter: /.*/, namespace: 'public-suffixes-in-file' }, () => ({
        loader: 'js',
        contents: [
          "const { readFileSync } = require('node:fs');",
          "const { join } = require('node:path');",
          'let text;',
          'export function suffixText() {',
          `  const file = join(__dirname, ${JSON.stringify(PUBLIC_SUFFIX_FILE)});`,
          '  try {',
          "    return (text ??= readFileSync(file, 'utf8'));",
          '  } catch (cause) {',
          "    throw new Error('the Public Suffix List data file ' + file + ' cannot be read; it ships next to the bundle (scripts/build.mjs)', { cause });",
          '  }',
          '}',
          '',
        ].join('\n'),
      }));
      b.onEnd(async (result) => {
        if (result.errors.length > 0) return undefined;
        if (replaced === 0) return { errors: [{ text: 'public-suffixes-in-file: nothing imports ./public-suffix-text (functions/core/public-suffix.ts)' }] };
        // The generated module holds the rules as one JSON string literal.
        const source = await readFile(join(root, 'functions/core/public-suffixes.ts'), 'utf8');
        const literal = /^export const SUFFIXES = (".*");$/m.exec(source);
        if (!literal)
          return {
            errors: [{ text: 'public-suffixes-in-file: no SUFFIXES string in functions/core/public-suffixes.ts (regenerate it: npm run generate:psl)' }],
          };
        await writeFile(join(outDir, PUBLIC_SUFFIX_FILE), JSON.parse(/** @type {string} */ (literal[1])));
        return undefined;
      });
    },
  };
}

/** Writes the full SDK client (SDK_SIDE_FILE) and its complete credential chain next to an entry built with ssmLoaderDefaults. */
/** @param {string} dir */
async function buildSdkSideFiles(dir) {
  await build({
    ...lambdaDefaults,
    supported: { 'dynamic-import': false },
    plugins: [credentialsFromEnvFirst(), noEventStreams(), ssmErrorSchemas()],
    entryPoints: [join(root, 'functions/aws/ssm-sdk.ts')],
    outfile: join(dir, SDK_SIDE_FILE),
  });
  await build({
    ...lambdaDefaults,
    supported: { 'dynamic-import': false },
    plugins: [noEventStreams()],
    stdin: { contents: "export { defaultProvider } from '@aws-sdk/credential-provider-node';\n", resolveDir: root, loader: 'js' },
    outfile: join(dir, CREDENTIAL_CHAIN_FILE),
  });
}

/** The preflight function's CommonJS bundle, next to its ES module entry (index.mjs). */
export const PREFLIGHT_BUNDLE = 'preflight.cjs';

/*
 * The preflight function's entry is an ES module so that it can await the
 * policy load at top level: Lambda then runs that load in the init phase
 * (before any request, with provisioned concurrency or when it initialises
 * ahead of demand) and the first request only answers. `init()` never rejects
 * and is bounded (functions/preflight/handler.ts). Handler: index.handler
 * (Lambda looks for index.js, then index.mjs: there is no index.js).
 */
// createRequire, not `import ... from './preflight.cjs'`: importing CommonJS
// from ESM runs cjs-module-lexer over the whole bundle to find its exports
// (~9 ms on Node 22 for 190 KB), a cost require does not have.
const PREFLIGHT_ENTRY = [
  "import { createRequire } from 'node:module';",
  '',
  `const preflight = createRequire(import.meta.url)('./${PREFLIGHT_BUNDLE}');`,
  'await preflight.init();',
  '',
  'export const handler = preflight.handler;',
  '',
].join('\n');

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
      await writeFile(join(outDir, 'index.mjs'), PREFLIGHT_ENTRY);
      await buildSdkSideFiles(outDir);
    },
  },
  layer: {
    defaultDir: 'dist/layer',
    /** @param {string} outDir */
    async build(outDir) {
      const pkgDir = join(outDir, 'nodejs', 'node_modules', LAYER_PACKAGE);
      await mkdir(pkgDir, { recursive: true });
      await build({
        ...ssmLoaderDefaults,
        plugins: [...(ssmLoaderDefaults.plugins ?? []), publicSuffixesInFile(pkgDir)],
        entryPoints: [join(root, 'functions/layer/index.ts')],
        outfile: join(pkgDir, 'index.js'),
      });
      await buildSdkSideFiles(pkgDir);
      // ESM entry re-exports the CommonJS one, so `import` and `require` share one
      // module instance (one policy cache per process, not two).
      await writeFile(join(pkgDir, 'index.mjs'), "import cjs from './index.js';\nexport const { withCors, corsHeaders } = cjs;\nexport default cjs;\n");
      // Declarations come from the sources themselves, so they cannot drift.
      const tsc = spawnSync(
        process.execPath,
        [
          join(root, 'node_modules/typescript/bin/tsc'),
          '--ignoreConfig',
          '--declaration',
          '--emitDeclarationOnly',
          '--outDir',
          join(pkgDir, 'types'),
          '--rootDir',
          join(root, 'functions'),
          join(root, 'functions/layer/index.ts'),
          '--skipLibCheck',
          '--strict',
          '--target',
          'es2023',
          '--module',
          'preserve',
          '--moduleResolution',
          'bundler',
          '--types',
          'node',
        ],
        { stdio: 'inherit' },
      );
      if (tsc.status !== 0) throw new Error('declarations for the layer failed to build');
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
    },
  },
  cli: {
    defaultDir: 'dist/cli',
    /** @param {string} outDir */
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

/**
 * @param {string[]} argv
 * @returns {{ only: string[], outdir: string | undefined }}
 */
function parseArgs(argv) {
  /** @type {{ only: string[], outdir: string | undefined }} */
  const args = { only: Object.keys(targets), outdir: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--only')
      args.only = String(argv[++i] ?? '')
        .split(',')
        .filter(Boolean);
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
