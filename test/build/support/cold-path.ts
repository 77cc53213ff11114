// A cold start of the built preflight function as Lambda's runtime makes it: a
// fresh Node process imports the ES module entry, answers one preflight, and
// reports the Node built-ins and files it loaded. Shared by the cold-path tests
// of both policy modes.
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

export const ROOT = resolve(__dirname, '../../..');
export const ENTRY = join(ROOT, 'dist', 'preflight', 'index.mjs');
export const ALLOWED_PREFLIGHT = join(ROOT, 'events', 'rest-v1-preflight-allowed.json');

// Runs in the child: import the entry, answer the event, print what was loaded.
const CHILD = `
const before = new Set(process.moduleLoadList);
const { createRequire } = require('node:module');
const [entry, eventFile] = process.argv.slice(1);
import(entry).then(async (mod) => {
  const result = await mod.handler(JSON.parse(require('node:fs').readFileSync(eventFile, 'utf8')), { awsRequestId: 'cold-path' });
  const builtins = process.moduleLoadList.filter((m) => !before.has(m));
  const files = Object.keys(createRequire(entry).cache);
  process.stdout.write('\\n' + JSON.stringify({ statusCode: result.statusCode, builtins, files }) + '\\n');
});
`;

export interface ColdPath {
  statusCode: number;
  builtins: string[];
  files: string[];
  /** What the function wrote before its answer (its log lines). */
  output: string[];
}

/** Cold-starts `entry` with exactly `env` and answers `eventFile`. Asynchronous, so proxies in this process keep answering. */
export async function coldStart(env: NodeJS.ProcessEnv, entry = ENTRY, eventFile = ALLOWED_PREFLIGHT): Promise<ColdPath> {
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', CHILD, entry, eventFile], { env, encoding: 'utf8' });
  const lines = stdout.trim().split('\n');
  const report = JSON.parse(lines.pop() as string) as Omit<ColdPath, 'output'>;
  return { ...report, output: lines };
}

/** The tests both modes share: what a cold start must not load. */
export function describeWhatColdStartLoads(cold: () => ColdPath): void {
  test('neither node:crypto nor WebCrypto is loaded', () => {
    expect(cold().builtins.filter((m) => /^NativeModule (crypto|internal\/crypto\/)/.test(m))).toEqual([]);
  });

  test('the SDK side file is not loaded', () => {
    expect(cold().files.map((f) => f.slice(ROOT.length))).toEqual(['/dist/preflight/preflight.cjs']);
  });
}
