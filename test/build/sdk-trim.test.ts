/**
 * The build's SDK steps (scripts/lib/sdk-trim.mjs) fail the build when they
 * no longer apply, instead of shipping an untrimmed bundle: each is run here
 * on an entry it does not fit, and on the pinned SDK it was written for.
 */
import { build, type Plugin } from 'esbuild';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');
type Trim = {
  sdkInSideFile: () => Plugin;
  nodeCryptoOnFirstUse: () => Plugin;
};
let trim: Trim;
beforeAll(async () => {
  trim = require(join(root, 'scripts/lib/sdk-trim.mjs')) as Trim;
});

/** Bundles `contents` (imports resolved from `resolveDir`) with one plugin, as the build does; resolves to the bundle's text. */
async function bundle(plugin: Plugin, contents: string, resolveDir: string): Promise<string> {
  const result = await build({
    stdin: { contents, resolveDir, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    mainFields: ['module', 'main'],
    write: false,
    logLevel: 'silent',
    plugins: [plugin],
  });
  return result.outputFiles[0]!.text;
}

/** Bundles `contents` (resolved from functions/aws) with one plugin; resolves to the error text, or '' when it built. */
async function buildWith(plugin: Plugin, contents: string): Promise<string> {
  try {
    await bundle(plugin, contents, join(root, 'functions/aws'));
    return '';
  } catch (err) {
    return String((err as Error).message);
  }
}

describe('a trimming step that no longer applies fails the build', () => {
  it.each([
    ['sdk-in-side-file', () => trim.sdkInSideFile()],
    ['node-crypto-on-first-use', () => trim.nodeCryptoOnFirstUse()],
  ])('%s, on an entry without what it trims', async (name, plugin) => {
    expect(await buildWith(plugin(), 'export const x = 1;\n')).toMatch(new RegExp(`SDK trimming step "${name}" no longer applies`));
  });

  it('an entry bundle that imports the SDK client itself fails (it belongs in the side file)', async () => {
    const text = await buildWith(
      trim.sdkInSideFile(),
      "import { SSMClient } from '@aws-sdk/client-ssm';\nrequire('./ssm-sdk');\nexport const c = SSMClient;\n",
    );
    expect(text).toMatch(/@aws-sdk\/client-ssm is imported by/);
  });
});

describe('on the pinned SDK', () => {
  it('node-crypto-on-first-use defers every node:crypto import of the signer and drops the WebCrypto probe', async () => {
    const text = await bundle(trim.nodeCryptoOnFirstUse(), "export { SignatureV4 } from '@smithy/signature-v4';\n", root);
    // The only require of node:crypto left is the deferred one, inside a function.
    expect(text.match(/require\("node:crypto"\)/g)).toHaveLength(1);
    expect(text).toMatch(/=> crypto \?\?= require\("node:crypto"\)/);
    expect(text).not.toContain('crypto.randomUUID');
  });

  it('package.json pins every SDK package the plugins rewrite or move or the light client imports to one exact version', () => {
    const deps = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).dependencies as Record<string, string>;
    for (const name of ['@aws-sdk/client-ssm', '@smithy/core', '@smithy/signature-v4', '@aws-crypto/sha256-js']) {
      expect([name, deps[name]]).toEqual([name, expect.stringMatching(/^\d+\.\d+\.\d+$/)]);
      expect(JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version).toBe(deps[name]);
    }
  });
});
