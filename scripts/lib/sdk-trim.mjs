// @ts-check
/**
 * The esbuild plugins that keep the AWS SDK out of the Lambda entry bundles,
 * for cold start: one moves the SDK client into a side file (no source
 * changed), one rewrites SDK sources on the light path, kept because
 * docs/performance.md measures its gain (node-crypto-on-first-use, ~1.5 ms a
 * cold start). The side file, off the light path, holds the SDK client and
 * its credential chain as the SDK ships them, in one file: trimming it bought
 * no cold start on the common path, and splitting the chain off only loaded
 * the SDK's shared core twice (issue 24; the measured cost of not trimming is
 * in docs/performance.md). Each plugin records whether it applied and FAILS
 * THE BUILD when it did not, so an SDK upgrade that changes a layout is
 * caught by `npm run build`, never shipped untrimmed. Checked by
 * test/build/sdk-trim.test.ts.
 *
 * Layout of a bundle that loads policies (scripts/build.mjs):
 *   entry (preflight.cjs / layer index.js)  engine + light signed client, no SDK
 *   ssm-sdk.js                               the full @aws-sdk/client-ssm client and its default credential chain, loaded only off the light path
 */
import { readFile } from 'node:fs/promises';

/** @typedef {import('esbuild').Plugin} Plugin */
/** @typedef {import('esbuild').PluginBuild} PluginBuild */

/** File name of the full SDK client next to an entry bundle; `functions/aws/ssm-page-sender.ts` requires `./ssm-sdk`. */
export const SDK_SIDE_FILE = 'ssm-sdk.js';

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
      b.onResolve({ filter: /^\.\/ssm-sdk$/ }, () => {
        linked++;
        return { path: `./${SDK_SIDE_FILE}`, external: true };
      });
      /** @type {string[]} */
      const leaks = [];
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
