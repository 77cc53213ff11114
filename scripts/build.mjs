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

/*
 * Cold start of the functions that load policies from Parameter Store (the
 * preflight function and the layer). They keep @aws-sdk/client-ssm, bundled
 * without code a Lambda function never runs on that path; bench/ measures
 * each setting (docs/performance.md):
 * - credentials: the SDK's default chain (SSO, ini files, process, web
 *   identity, IMDS/ECS, with the STS/SSO clients they embed) is replaced by its
 *   first link, the environment variables Lambda sets. Whenever that link
 *   would not answer (AWS_PROFILE set, or no key in the environment), the
 *   complete default chain is loaded from a file next to the bundle, so every
 *   environment resolves credentials exactly as before.
 * - event streams: only event-stream operations load them; SSM's
 *   GetParametersByPath has none.
 * - error schemas: only the errors GetParametersByPath can return keep their
 *   modelled classes; any other SSM error still arrives with its name, message
 *   and status, as the service's base exception.
 * - `import()` of Node built-ins becomes `require()`: in a CommonJS bundle a
 *   dynamic import starts Node's ES module loader just to load node:http.
 */
const CREDENTIAL_CHAIN_FILE = 'aws-credential-chain.js';
/** GetParametersByPath's modelled errors, plus the throttling error every SSM operation may return. */
const SSM_ERRORS_KEPT = new Set(['InternalServerError', 'InvalidFilterKey', 'InvalidFilterOption', 'InvalidFilterValue', 'InvalidKeyId', 'InvalidNextToken', 'ThrottlingException']);

const credentialsFromEnvFirst = {
  name: 'credentials-from-env-first',
  setup(b) {
    b.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, (args) => ({ path: args.path, namespace: 'credentials-from-env-first', pluginData: args.resolveDir }));
    b.onLoad({ filter: /.*/, namespace: 'credentials-from-env-first' }, (args) => ({
      resolveDir: args.pluginData,
      loader: 'js',
      // Behaves as the default chain's first link (environment keys unless a profile is named), else is the whole chain.
      contents: `import { fromEnv } from '@aws-sdk/credential-provider-env';
export const defaultProvider = (init = {}) => {
  let chain;
  return async (props) => {
    if (!(init.profile ?? process.env.AWS_PROFILE) && process.env.AWS_ACCESS_KEY_ID && process.env.AWS_SECRET_ACCESS_KEY) return fromEnv(init)(props);
    chain ??= require('./${CREDENTIAL_CHAIN_FILE}').defaultProvider(init);
    return chain(props);
  };
};
`,
    }));
    b.onResolve({ filter: new RegExp(`^\\./${CREDENTIAL_CHAIN_FILE.replaceAll('.', '\\.')}$`) }, (args) => ({ path: args.path, external: true }));
  },
};

const noEventStreams = {
  name: 'no-event-streams',
  setup(b) {
    b.onResolve({ filter: /^@smithy\/core\/event-streams$/ }, (args) => ({ path: args.path, namespace: 'no-event-streams' }));
    b.onLoad({ filter: /.*/, namespace: 'no-event-streams' }, () => ({
      loader: 'js',
      contents: "const missing = () => { throw new Error('event streams are not in this bundle (no operation it uses has one)'); };\nexport const EventStreamSerde = missing;\nexport const eventStreamSerdeProvider = missing;\n",
    }));
  },
};

const ssmErrorSchemas = {
  name: 'ssm-error-schemas',
  setup(b) {
    b.onLoad({ filter: /@aws-sdk[\\/]client-ssm[\\/]dist-es[\\/]schemas[\\/]schemas_0\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const kept = new Set();
      let dropped = 0;
      const contents = source.replace(/^export var (\w+)\$ = \[-3, n0,[\s\S]*?\n\];\nn0_registry\.registerError\(\1\$, \1\);$/gm, (block, name) => {
        if (SSM_ERRORS_KEPT.has(name)) {
          kept.add(name);
          return block;
        }
        dropped++;
        return '';
      });
      if (kept.size !== SSM_ERRORS_KEPT.size || dropped === 0) {
        // A new SDK layout: bundle the file untouched (only slower) and say so.
        return { contents: source, loader: 'js', warnings: [{ text: `client-ssm error schemas not trimmed: layout not recognised (kept ${kept.size}/${SSM_ERRORS_KEPT.size}, dropped ${dropped})` }] };
      }
      return { contents, loader: 'js' };
    });
  },
};

/** Settings for a bundle that loads policies with @aws-sdk/client-ssm on its first request. */
const ssmLoaderDefaults = {
  ...lambdaDefaults,
  supported: { 'dynamic-import': false },
  plugins: [credentialsFromEnvFirst, noEventStreams, ssmErrorSchemas],
};

/** Writes the SDK's complete default credential chain next to a bundle built with ssmLoaderDefaults. */
async function buildCredentialChain(dir) {
  await build({
    ...lambdaDefaults,
    supported: { 'dynamic-import': false },
    plugins: [noEventStreams],
    stdin: { contents: "export { defaultProvider } from '@aws-sdk/credential-provider-node';\n", resolveDir: root, loader: 'js' },
    outfile: join(dir, CREDENTIAL_CHAIN_FILE),
  });
}

const targets = {
  preflight: {
    defaultDir: 'dist/preflight',
    async build(outDir) {
      await build({ ...ssmLoaderDefaults, entryPoints: [join(root, 'functions/preflight/handler.ts')], outfile: join(outDir, 'index.js') });
      await buildCredentialChain(outDir);
    },
  },
  layer: {
    defaultDir: 'dist/layer',
    async build(outDir) {
      const pkgDir = join(outDir, 'nodejs', 'node_modules', LAYER_PACKAGE);
      await build({ ...ssmLoaderDefaults, entryPoints: [join(root, 'functions/layer/index.ts')], outfile: join(pkgDir, 'index.js') });
      await buildCredentialChain(pkgDir);
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
