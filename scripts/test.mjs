#!/usr/bin/env node
// The whole test suite, in one command (`npm test`), on a fresh machine:
// installs what is missing (moto, cfn-lint, Chromium), builds every artefact,
// type-checks, then runs the unit, integration and browser tests.
//
//   npm test                  everything
//   npm test -- --no-browser  skip the Chromium suite (it still runs in CI)
//   npm test -- --no-node22   run jest on this machine's Node only (CI runs both)
//
// The unit and integration tests run twice: on this machine's Node and on
// Node 22, the Lambda runtime's (nodejs22.x), installed on first use by
// scripts/lib/node22.mjs. On a machine whose Node is 22, once.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ensureNode22 } from './lib/node22.mjs';

const args = new Set(process.argv.slice(2));
// Node 20 runs the suite here; Lambda runs nodejs22.x. The SDK's notice about
// its future Node 22 floor is noise in test output (the lockfile pins the SDK).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const inCI = process.env.CI === 'true' || process.env.CI === '1';
const PYTHON = process.env.PYTHON ?? 'python3';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Runs one stage; a failing stage ends the whole run with its exit code.
 * @param {string} title
 * @param {string} cmd
 * @param {string[]} cmdArgs
 * @param {import('node:child_process').SpawnSyncOptions} [options]
 */
function run(title, cmd, cmdArgs, options = {}) {
  process.stdout.write(`\n=== ${title}\n`);
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit', ...options });
  if (r.status !== 0) {
    process.stderr.write(`\n${title} failed (exit ${r.status ?? r.signal})\n`);
    process.exit(r.status || 1);
  }
}

/**
 * @param {string} cmd
 * @param {string[]} cmdArgs
 */
function has(cmd, cmdArgs) {
  return spawnSync(cmd, cmdArgs, { stdio: 'ignore' }).status === 0;
}

function ensurePythonTools() {
  const missing = [];
  if (!has(PYTHON, ['-c', 'import moto.server'])) missing.push('moto[server]');
  if (!has(PYTHON, ['-c', 'import cfnlint, samtranslator'])) missing.push('cfn-lint');
  if (missing.length === 0) return;
  run(`installing ${missing.join(', ')} with pip`, PYTHON, ['-m', 'pip', 'install', '--quiet', ...missing]);
}

function ensureChromium() {
  if (existsSync(CHROMIUM)) return true;
  if (process.platform === 'linux' && process.getuid?.() === 0 && has('apt-get', ['--version'])) {
    run('installing Chromium (Debian package)', 'sh', [
      '-c',
      'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null',
    ]);
    return existsSync(CHROMIUM);
  }
  return false;
}

ensurePythonTools();
// A lockfile edited by hand or written by `npm install` on one platform can
// stop satisfying `npm ci` (other platforms' optional packages go missing);
// users and CI install with npm ci, so the suite fails first when that happens.
run('lockfile satisfies npm ci', 'npm', ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund'], { stdio: ['ignore', 'ignore', 'inherit'] });
run('build', process.execPath, ['scripts/build.mjs']);
run('lint and format check (Biome)', process.execPath, ['node_modules/@biomejs/biome/bin/biome', 'check', '--error-on-warnings', '.']);
run('typecheck', process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.']);
run('typecheck of the JavaScript scripts (JSDoc, checkJs)', process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', 'tsconfig.scripts.json']);
run(`unit and integration tests (Node ${process.versions.node})`, process.execPath, ['node_modules/jest/bin/jest.js', '--ci']);
if (process.versions.node.split('.')[0] !== '22' && !(args.has('--no-node22') && !inCI)) {
  const node22 = ensureNode22();
  if (!node22) {
    process.stderr.write('\nNode 22 is not available for this platform: run npm test -- --no-node22, or on a machine with Node 22\n');
    process.exit(1);
  }
  run(`unit and integration tests (Node 22, the Lambda runtime: ${node22})`, node22, ['node_modules/jest/bin/jest.js', '--ci']);
}

const browserConfig = 'test/browser/jest.config.js';
if (args.has('--no-browser') && !inCI) {
  process.stdout.write('\n=== browser suite skipped (--no-browser)\n');
} else if (existsSync(browserConfig)) {
  if (!ensureChromium()) {
    process.stderr.write(
      `\nChromium not found at ${CHROMIUM}: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH; npm test -- --no-browser skips the browser suite.\n`,
    );
    process.exit(1);
  }
  run('browser suite (headless Chromium)', process.execPath, ['node_modules/jest/bin/jest.js', '--ci', '-c', browserConfig]);
}
process.stdout.write('\nall test stages passed\n');
