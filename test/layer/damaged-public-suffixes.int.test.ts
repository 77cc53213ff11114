/**
 * The built layer with a damaged Public Suffix List file next to its bundle
 * (issue 22), loaded as a function using the layer loads it: the package
 * checks the file's size and digest before any wildcard check, so every
 * wildcard origin is refused (no Access-Control-Allow-Origin on actual
 * responses, 403 on preflights withCors answers), exact origins keep working,
 * and loading the package logs the problem once, before any request.
 */
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { motoEnv } from '../../scripts/lib/moto';
import { DAMAGES } from '../support/damaged-data-file';
import { damagedPslSandbox, unusableListLines as unusable } from '../support/damaged-psl-sandbox';
import { globalMotoEndpoint } from '../support/moto-ssm';

const ROOT = resolve(__dirname, '../..');
const PACKAGE = join(ROOT, 'dist', 'layer', 'nodejs', 'node_modules', 'apigw-cors');
const PREFIX = '/test/damaged-psl-layer/api';
const EXACT_ONLY = '/test/damaged-psl-layer/exact-only';

const actual = (route: string, origin: string) => ({
  version: '2.0',
  routeKey: `GET /${route}`,
  rawPath: `/${route}`,
  headers: { origin },
  requestContext: { http: { method: 'GET' }, stage: '$default' },
});
const preflight = (route: string, origin: string) => ({
  version: '2.0',
  routeKey: `OPTIONS /${route}`,
  rawPath: `/${route}`,
  headers: { origin, 'access-control-request-method': 'GET' },
  requestContext: { http: { method: 'OPTIONS' }, stage: '$default' },
});
const EVENTS = {
  attacker: actual('wild', 'https://attacker.vercel.app'),
  attackerPreflight: preflight('wild', 'https://attacker.vercel.app'),
  ownWildcard: actual('mine', 'https://a.preview.example.com'),
  exact: actual('exact', 'https://shop.example.com'),
};

// Runs in the child, as a function using the layer: load the package (its init), then answer each event.
const CHILD = `
const [events] = process.argv.slice(1);
process.stdout.write('LOADING\\n');
const { withCors } = require('apigw-cors');
process.stdout.write('LOADED\\n');
const handler = withCors(async () => ({ statusCode: 200, body: 'ok' }));
(async () => {
  const out = {};
  for (const [name, event] of Object.entries(JSON.parse(events))) {
    const result = await handler(event, { awsRequestId: name });
    out[name] = result.statusCode + ' ' + (result.headers['Access-Control-Allow-Origin'] ?? '-');
  }
  process.stdout.write('RESULT ' + JSON.stringify(out) + '\\n');
})();
`;

interface Run {
  answers: Record<keyof typeof EVENTS, string>;
  /** Log lines written while the package loaded, and after. */
  atLoad: Array<Record<string, unknown>>;
  later: Array<Record<string, unknown>>;
}

function run(modules: string, policyPath: string): Run {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...motoEnv(globalMotoEndpoint()),
    NODE_PATH: modules,
    CORS_POLICY_PATH: policyPath,
    LOG_LEVEL: 'WARN',
  };
  const out = execFileSync(process.execPath, ['-e', CHILD, JSON.stringify(EVENTS)], { env, encoding: 'utf8', timeout: 60_000, cwd: tmpdir() });
  const lines = out.trim().split('\n');
  const json = (from: number, to: number) =>
    lines
      .slice(from, to)
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
  const loaded = lines.indexOf('LOADED');
  const result = lines.find((l) => l.startsWith('RESULT ')) as string;
  return { answers: JSON.parse(result.slice(7)), atLoad: json(lines.indexOf('LOADING'), loaded), later: json(loaded, lines.length) };
}

/** node_modules holding a copy of the built package with its data file damaged as a damage case says. */
const damagedCopy = damagedPslSandbox({
  built: PACKAGE,
  entry: 'index.js',
  prefix: PREFIX,
  exactOnly: EXACT_ONLY,
  tmpPrefix: 'apigw-cors-layer-psl-',
  nest: 'apigw-cors',
});

test('with the file the build wrote: *.vercel.app is refused as a public suffix, *.preview.example.com allowed, nothing logged about the list', () => {
  const { answers, atLoad, later } = run(join(PACKAGE, '..'), PREFIX);
  expect(answers).toEqual({
    attacker: '200 -',
    attackerPreflight: '403 -',
    ownWildcard: '200 https://a.preview.example.com',
    exact: '200 https://shop.example.com',
  });
  expect(unusable([...atLoad, ...later])).toEqual([]);
});

describe.each(DAMAGES)('a Public Suffix List file %s', (what, damage) => {
  test('https://attacker.vercel.app under https://*.vercel.app gets no CORS headers and its preflight 403; every wildcard refused; exact origins served', () => {
    const { answers, later } = run(damagedCopy(damage).sandbox, PREFIX);
    expect(answers).toEqual({ attacker: '200 -', attackerPreflight: '403 -', ownWildcard: '200 -', exact: '200 https://shop.example.com' });
    for (const name of [`${PREFIX}/wild`, `${PREFIX}/mine`])
      expect(later.filter((l) => l.message === 'policy rejected' && l.parameter === name).map((l) => l.code)).toEqual(['origin_wildcard_unverified']);
  });

  test('loading the package logs it once, naming the file, before any request and with no wildcard policy', () => {
    const { sandbox, file } = damagedCopy(damage);
    const { answers, atLoad, later } = run(sandbox, EXACT_ONLY);
    expect(answers.exact).toBe('200 https://shop.example.com');
    expect(unusable(atLoad)).toEqual([
      expect.objectContaining({ level: 'ERROR', service: 'cors-layer', code: 'origin_wildcard_unverified', error: expect.stringContaining(file) }),
    ]);
    expect(unusable(later)).toEqual([]);
    expect(String(unusable(atLoad)[0]?.error)).toMatch(what === 'missing' ? /cannot be read/ : /damaged or not the one this build wrote/);
  });
});
