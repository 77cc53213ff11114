// @ts-check
/**
 * The esbuild plugins that trim the AWS SDK out of the Lambda bundles, for
 * cold start (docs/performance.md measures each). They rewrite SDK sources,
 * so each is tied to the exact SDK versions package.json pins; each one
 * records whether it applied and FAILS THE BUILD when it did not, so an SDK
 * upgrade that changes a layout is caught by `npm run build`, never shipped
 * untrimmed. Checked by test/build/sdk-trim.test.ts.
 *
 * Layout of a bundle that loads policies (scripts/build.mjs):
 *   entry (preflight.cjs / layer index.js)  engine + light signed client, no SDK
 *   ssm-sdk.js                               the full @aws-sdk/client-ssm client, loaded only off the light path
 *   aws-credential-chain.js                  the SDK's complete default credential chain, loaded only when needed
 */
import { readFile } from 'node:fs/promises';

/** @typedef {import('esbuild').Plugin} Plugin */
/** @typedef {import('esbuild').PluginBuild} PluginBuild */

/** File name of the full SDK client next to an entry bundle; `functions/aws/ssm-page-sender.ts` requires `./ssm-sdk`. */
export const SDK_SIDE_FILE = 'ssm-sdk.js';
/** File name of the SDK's complete default credential chain next to the SDK side file. */
export const CREDENTIAL_CHAIN_FILE = 'aws-credential-chain.js';

/**
 * GetParametersByPath's modelled errors, plus the throttling error every SSM
 * operation may return: the only error classes {@link ssmErrorSchemas} keeps.
 */
export const SSM_ERRORS_KEPT = Object.freeze([
  'InternalServerError',
  'InvalidFilterKey',
  'InvalidFilterOption',
  'InvalidFilterValue',
  'InvalidKeyId',
  'InvalidNextToken',
  'ThrottlingException',
]);

/**
 * Fails the build (onEnd error) unless `applied()` says the plugin did its work.
 * @param {PluginBuild} b
 * @param {string} name
 * @param {() => string | undefined} problem  undefined when the step applied, else why not
 */
function mustApply(b, name, problem) {
  b.onEnd((result) => {
    if (result.errors.length > 0) return undefined; // the build failed already; do not pile on
    const why = problem();
    return why
      ? { errors: [{ text: `SDK trimming step "${name}" no longer applies: ${why}. Update scripts/lib/sdk-trim.mjs for the SDK version in package.json.` }] }
      : undefined;
  });
}

/**
 * credentials-from-env-first. REMOVES the SDK's default credential chain (SSO,
 * ini files, process, web identity, IMDS/ECS, with the STS/SSO clients they
 * embed: about half the SDK bundle) from the SDK side file. WHY: in Lambda the
 * chain's first link, the environment variables, always answers. Whenever it
 * would not (AWS_PROFILE set, or no key in the environment) the complete chain
 * is loaded from {@link CREDENTIAL_CHAIN_FILE}, so every environment resolves
 * credentials exactly as the untrimmed SDK does (test/build/ssm-bundle.int.test.ts).
 * @returns {Plugin}
 */
export function credentialsFromEnvFirst() {
  return {
    name: 'credentials-from-env-first',
    setup(b) {
      let replaced = 0;
      b.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, (args) => {
        replaced++;
        return { path: args.path, namespace: 'credentials-from-env-first', pluginData: args.resolveDir };
      });
      b.onLoad({ filter: /.*/, namespace: 'credentials-from-env-first' }, (args) => ({
        resolveDir: args.pluginData,
        loader: 'js',
        // Behaves as the default chain's first link (environment keys unless a profile is named), else is the whole chain.
        contents: [
          "import { fromEnv } from '@aws-sdk/credential-provider-env';",
          'export const defaultProvider = (init = {}) => {',
          '  let chain;',
          '  return async (props) => {',
          '    if (!(init.profile ?? process.env.AWS_PROFILE) && process.env.AWS_ACCESS_KEY_ID && process.env.AWS_SECRET_ACCESS_KEY) return fromEnv(init)(props);',
          `    chain ??= require('./${CREDENTIAL_CHAIN_FILE}').defaultProvider(init);`,
          '    return chain(props);',
          '  };',
          '};',
          '',
        ].join('\n'),
      }));
      b.onResolve({ filter: new RegExp(`^\\./${CREDENTIAL_CHAIN_FILE.replaceAll('.', '\\.')}$`) }, (args) => ({ path: args.path, external: true }));
      mustApply(b, 'credentials-from-env-first', () => (replaced > 0 ? undefined : 'nothing imported @aws-sdk/credential-provider-node'));
    },
  };
}

/**
 * no-event-streams. REMOVES `@smithy/core/event-streams` (serde for
 * event-stream operations). WHY: only event-stream operations use it, and
 * SSM's GetParametersByPath has none; the stub throws if anything ever calls it.
 * @returns {Plugin}
 */
export function noEventStreams() {
  return {
    name: 'no-event-streams',
    setup(b) {
      let replaced = 0;
      b.onResolve({ filter: /^@smithy\/core\/event-streams$/ }, (args) => {
        replaced++;
        return { path: args.path, namespace: 'no-event-streams' };
      });
      b.onLoad({ filter: /.*/, namespace: 'no-event-streams' }, () => ({
        loader: 'js',
        contents:
          "const missing = () => { throw new Error('event streams are not in this bundle (no operation it uses has one)'); };\nexport const EventStreamSerde = missing;\nexport const eventStreamSerdeProvider = missing;\n",
      }));
      mustApply(b, 'no-event-streams', () => (replaced > 0 ? undefined : 'nothing imported @smithy/core/event-streams'));
    },
  };
}

/**
 * The error-schema rewrite of {@link ssmErrorSchemas}, on the source text of
 * client-ssm's generated `schemas_0.js`: every `export var XError$ = [-3, n0, ...];`
 * block with its `n0_registry.registerError(...)` line is dropped unless the
 * error is in `kept`. Throws when the layout is not the expected one.
 * @param {string} source
 * @param {ReadonlySet<string>} kept
 * @returns {{ contents: string, dropped: number }}
 */
export function trimSsmErrorSchemas(source, kept) {
  const seen = new Set();
  let dropped = 0;
  const contents = source.replace(/^export var (\w+)\$ = \[-3, n0,[\s\S]*?\n\];\nn0_registry\.registerError\(\1\$, \1\);$/gm, (block, name) => {
    if (kept.has(name)) {
      seen.add(name);
      return block;
    }
    dropped++;
    return '';
  });
  if (seen.size !== kept.size || dropped === 0) {
    const missing = [...kept].filter((n) => !seen.has(n));
    throw new Error(
      `client-ssm error schemas: layout not recognised (kept ${seen.size}/${kept.size}${missing.length ? `, missing ${missing.join(', ')}` : ''}; dropped ${dropped})`,
    );
  }
  return { contents, dropped };
}

/**
 * ssm-error-schemas. REMOVES the schemas and classes of the ~150 SSM errors
 * GetParametersByPath cannot return, from client-ssm's generated schema file.
 * WHY: the SDK registers every error of the service at load time; only the
 * ones in {@link SSM_ERRORS_KEPT} can reach the store. Any other SSM error
 * still arrives with its name, message and status, as the service's base
 * exception (test/build/ssm-bundle.int.test.ts).
 * @returns {Plugin}
 */
export function ssmErrorSchemas() {
  return {
    name: 'ssm-error-schemas',
    setup(b) {
      let trimmed = 0;
      const kept = new Set(SSM_ERRORS_KEPT);
      b.onLoad({ filter: /@aws-sdk[\\/]client-ssm[\\/]dist-es[\\/]schemas[\\/]schemas_0\.js$/ }, async (args) => {
        const { contents } = trimSsmErrorSchemas(await readFile(args.path, 'utf8'), kept);
        trimmed++;
        return { contents, loader: 'js' };
      });
      mustApply(b, 'ssm-error-schemas', () => (trimmed > 0 ? undefined : 'client-ssm/dist-es/schemas/schemas_0.js was not bundled (new file layout?)'));
    },
  };
}

/** Where the serde helpers that @smithy/signature-v4 uses import node:crypto. */
const SERDE_DIR = /@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]serde[\\/]/;
/** The branch of serde's uuid/v4.js that reads `globalThis.crypto` when the module loads. */
const WEB_CRYPTO_PROBE = /if \(typeof crypto !== "undefined" && typeof crypto\.randomUUID === "function"\) \{\s*return \(\) => crypto\.randomUUID\(\);\s*\}/;

/**
 * node-crypto-on-first-use. DEFERS `node:crypto` in an entry bundle: the
 * `@smithy/core/serde` helpers that the Signature V4 signer imports load it
 * at module load (for `getRandomValues` and the node hash class, neither used
 * by the light client, which hashes with `@aws-crypto/sha256-js`); here they
 * get functions that load it on their first call. And serde's UUID helper no
 * longer reads `globalThis.crypto` at load (which loads WebCrypto): it draws
 * its random bytes from `getRandomValues`, as it does wherever
 * `crypto.randomUUID` is missing. WHY: `node:crypto` and WebCrypto are the
 * largest Node built-ins a cold start loaded, and nothing on the light path
 * needs them; TLS (`node:https`) does not load them either.
 * test/build/cold-path.int.test.ts checks that a cold start loads neither.
 * @returns {Plugin}
 */
export function nodeCryptoOnFirstUse() {
  return {
    name: 'node-crypto-on-first-use',
    setup(b) {
      let deferred = 0;
      let probes = 0;
      b.onResolve({ filter: /^node:crypto$/ }, (args) => {
        if (!SERDE_DIR.test(args.importer)) return undefined;
        deferred++;
        return { path: 'node:crypto', namespace: 'node-crypto-on-first-use' };
      });
      b.onLoad({ filter: /.*/, namespace: 'node-crypto-on-first-use' }, () => ({
        loader: 'js',
        contents: [
          '// node:crypto, loaded by the first call that needs it (scripts/lib/sdk-trim.mjs).',
          'let crypto;',
          "const load = () => (crypto ??= require('node:crypto'));",
          'export const getRandomValues = (array) => load().getRandomValues(array);',
          'export const createHash = (...args) => load().createHash(...args);',
          'export const createHmac = (...args) => load().createHmac(...args);',
          '',
        ].join('\n'),
      }));
      b.onLoad({ filter: /@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]serde[\\/]uuid[\\/]v4\.js$/ }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        if (!WEB_CRYPTO_PROBE.test(source)) return undefined; // reported by mustApply
        probes++;
        return { contents: source.replace(WEB_CRYPTO_PROBE, ''), loader: 'js' };
      });
      mustApply(b, 'node-crypto-on-first-use', () => {
        if (deferred === 0) return 'nothing in @smithy/core/serde imports node:crypto (new layout?)';
        return probes > 0 ? undefined : "@smithy/core/serde's uuid/v4.js no longer probes globalThis.crypto as expected";
      });
    },
  };
}

/**
 * sdk-in-side-file. KEEPS the SDK client out of an entry bundle: `require('./ssm-sdk')`
 * becomes the external {@link SDK_SIDE_FILE}, and any other import of
 * `@aws-sdk/client-ssm` (a value import creeping back into the store, for
 * example) fails the build. WHY: loading and compiling the SDK was most of the
 * cold start; the light signed client needs none of it.
 * @returns {Plugin}
 */
export function sdkInSideFile() {
  return {
    name: 'sdk-in-side-file',
    setup(b) {
      let linked = 0;
      /** @type {string[]} */
      const leaks = [];
      b.onResolve({ filter: /^\.\/ssm-sdk$/ }, () => {
        linked++;
        return { path: `./${SDK_SIDE_FILE}`, external: true };
      });
      b.onResolve({ filter: /^@aws-sdk\/client-ssm$/ }, (args) => {
        leaks.push(args.importer);
        return undefined;
      });
      mustApply(b, 'sdk-in-side-file', () => {
        if (leaks.length > 0) return `@aws-sdk/client-ssm is imported by ${[...new Set(leaks)].join(', ')}; only functions/aws/ssm-sdk.ts may import it`;
        return linked > 0 ? undefined : "nothing requires './ssm-sdk' (functions/aws/ssm-page-sender.ts)";
      });
    },
  };
}
