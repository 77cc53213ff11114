/**
 * The built preflight function with a damaged Public Suffix List file next to
 * its bundle (issue 22): before, an empty or truncated file let
 * `https://*.vercel.app` through and answered 204 to `https://attacker.vercel.app`.
 * Now the bundle checks the file's size and digest (baked in by the build)
 * before any wildcard check: every wildcard origin is refused, exact origins
 * keep working, and init logs the problem once, also when no policy has a
 * wildcard.
 */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { motoEnv } from '../../scripts/lib/moto';
import { DAMAGES } from '../support/damaged-data-file';
import { damagedPslSandbox, unusableListLines as unusable } from '../support/damaged-psl-sandbox';
import { globalMotoEndpoint } from '../support/moto-ssm';

const ROOT = resolve(__dirname, '../..');
const BUILT = join(ROOT, 'dist', 'preflight');
const PREFIX = '/test/damaged-psl/api';
const EXACT_ONLY = '/test/damaged-psl/exact-only';

const preflightEvent = (route: string, origin: string) => ({
  httpMethod: 'OPTIONS',
  path: `/${route}`,
  resource: '/{proxy+}',
  pathParameters: { proxy: route },
  headers: { Origin: origin, 'Access-Control-Request-Method': 'GET' },
  multiValueHeaders: null,
});
const EVENTS = {
  attacker: preflightEvent('wild', 'https://attacker.vercel.app'),
  ownWildcard: preflightEvent('mine', 'https://a.preview.example.com'),
  exact: preflightEvent('exact', 'https://shop.example.com'),
};

// Runs in the child: import the entry (init runs), answer each event, print the statuses after the log lines.
const CHILD = `
const [entry, events] = process.argv.slice(1);
import(entry).then(async (mod) => {
  const out = {};
  for (const [name, event] of Object.entries(JSON.parse(events))) out[name] = (await mod.handler(event, { awsRequestId: name })).statusCode;
  process.stdout.write('RESULT ' + JSON.stringify(out) + '\\n');
});
`;

interface Run {
  status: Record<keyof typeof EVENTS, number>;
  logs: Array<Record<string, unknown>>;
}

function run(dir: string, policyPath: string): Run {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, ...motoEnv(globalMotoEndpoint()), CORS_POLICY_PATH: policyPath, LOG_LEVEL: 'WARN' };
  const out = execFileSync(process.execPath, ['-e', CHILD, join(dir, 'index.mjs'), JSON.stringify(EVENTS)], { env, encoding: 'utf8', timeout: 60_000 });
  const lines = out.trim().split('\n');
  const result = lines.find((l) => l.startsWith('RESULT ')) as string;
  return { status: JSON.parse(result.slice(7)), logs: lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)) };
}

/** A copy of the built function with its data file damaged as a damage case says. */
const damagedCopy = damagedPslSandbox({ built: BUILT, entry: 'index.mjs', prefix: PREFIX, exactOnly: EXACT_ONLY, tmpPrefix: 'apigw-cors-psl-' });

test('with the file the build wrote: *.vercel.app is refused as a public suffix, *.preview.example.com allowed, nothing logged about the list', () => {
  const { status, logs } = run(BUILT, PREFIX);
  expect(status).toEqual({ attacker: 403, ownWildcard: 204, exact: 204 });
  expect(unusable(logs)).toEqual([]);
  expect(logs.find((l) => l.parameter === `${PREFIX}/wild`)).toMatchObject({ code: 'origin_wildcard_public_suffix' });
});

describe.each(DAMAGES)('a Public Suffix List file %s', (what, damage) => {
  test('https://attacker.vercel.app under https://*.vercel.app is denied, every wildcard refused, exact origins still served', () => {
    const { status, logs } = run(damagedCopy(damage).dir, PREFIX);
    expect(status).toEqual({ attacker: 403, ownWildcard: 403, exact: 204 });
    for (const name of [`${PREFIX}/wild`, `${PREFIX}/mine`])
      expect(logs.filter((l) => l.message === 'policy rejected' && l.parameter === name).map((l) => l.code)).toEqual(['origin_wildcard_unverified']);
  });

  test('init logs it once, naming the file, even when no policy has a wildcard', () => {
    const { dir, file } = damagedCopy(damage);
    const { status, logs } = run(dir, EXACT_ONLY);
    expect(status.exact).toBe(204);
    const lines = unusable(logs);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'ERROR', code: 'origin_wildcard_unverified', error: expect.stringContaining(file) });
    expect(String(lines[0]?.error)).toMatch(what === 'missing' ? /cannot be read/ : /damaged or not the one this build wrote/);
  });
});
