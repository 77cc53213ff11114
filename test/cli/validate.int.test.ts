// validate through the built binary: no AWS involved, only files.
import { join } from 'node:path';
import { POLICIES, assertBuilt, cliEnv, releaseBuilt, removeDir, runCli, tempDir } from './support/cli';

let home: string;
const dirs: string[] = [];
const env = (): Record<string, string> => cliEnv(undefined, home);

async function dir(files: Record<string, string | object>): Promise<string> {
  const d = await tempDir('validate', files);
  dirs.push(d);
  return d;
}

beforeAll(async () => {
  assertBuilt();
  home = await tempDir('validate-home');
});
afterAll(async () => {
  await Promise.all([home, ...dirs].map(removeDir));
  await releaseBuilt();
});

describe('cors-policy validate', () => {
  it('accepts a valid set of JSON and YAML files and exits 0', async () => {
    const d = await dir({
      'products.json': POLICIES.products,
      'public.yaml': 'route: /public/{path+}\nallowOrigins: ["*"]\nallowMethods: [GET, HEAD]\n',
      'team/fallback.yml': 'route: $default\nallowOrigins:\n  - https://shop.example.com\nallowMethods: [GET]\n',
    });
    const r = await runCli(['validate', d, '--path', '/cors/api'], { env: env() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`ok   ${join(d, 'products.json')} -> /cors/api/products`);
    expect(r.stdout).toContain(`${join(d, 'team/fallback.yml')} -> /cors/api/team/fallback`);
    expect(r.stdout).toContain('3 files checked: all valid');
  });

  it('prints every problem of every file as file: field: value: reason and exits 1', async () => {
    const d = await dir({
      'bad.json': { route: '/x', allowOrigins: ['https://*.com', 'https://ok.example.com/'], allowMethods: ['get'], maxAge: 90000, colour: 'red' },
      'broken.json': '{"route": "/y",',
      'good.json': POLICIES.public,
    });
    const r = await runCli(['validate', d], { env: env() });
    expect(r.code).toBe(1);
    const bad = join(d, 'bad.json');
    const lines = r.stdout.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^${bad}: colour: "red": is not a policy field`)),
        expect.stringMatching(
          new RegExp(`^${bad}: allowOrigins\\[0\\]: "https://\\*\\.com": invalid origin pattern: has a wildcard over the public suffix "com"`),
        ),
        expect.stringMatching(new RegExp(`^${bad}: allowOrigins\\[1\\]: "https://ok.example.com/": invalid origin pattern: has a trailing slash`)),
        expect.stringMatching(new RegExp(`^${bad}: allowMethods\\[0\\]: "get": browsers upper-case this method`)),
        expect.stringMatching(new RegExp(`^${bad}: maxAge: 90000: must be between 0 and 86400 seconds`)),
        expect.stringMatching(new RegExp(`^${join(d, 'broken.json')}: is not valid JSON`)),
        `ok   ${join(d, 'good.json')} (${JSON.stringify(POLICIES.public).length} bytes)`,
      ]),
    );
    expect(lines[lines.length - 1]).toBe('3 files checked: 6 problems in 2 files');
  });

  it('reports a route two files claim as a problem of both, naming the other: the Lambda would deny it (route_conflict)', async () => {
    const d = await dir({ 'a.json': POLICIES.public, 'b.json': { ...POLICIES.public, route: '/public/{rest+}' } });
    const r = await runCli(['validate', d], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `${join(d, 'a.json')}: route: "/public/{path+}": is the same route as "/public/{rest+}" of ${join(d, 'b.json')}; each route belongs to one policy, and until one of them gives it up the route is denied (route_conflict)`,
    );
    expect(r.stdout).toContain(`${join(d, 'b.json')}: route: "/public/{rest+}": is the same route as "/public/{path+}" of ${join(d, 'a.json')};`);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('2 files checked: 2 problems in 2 files');
  });

  it('refuses names Parameter Store refuses, two files for one name, and values over 4096 bytes', async () => {
    const big = { ...POLICIES.fallback, route: '/big', description: 'x'.repeat(4100) };
    const d = await dir({
      'has space.json': POLICIES.public,
      'dup.json': POLICIES.fallback,
      'dup.yaml': 'route: /dup\nallowOrigins: [https://a.example.com]\nallowMethods: [GET]\n',
      'big.json': big,
    });
    const r = await runCli(['validate', d, '--path', '/cors/api'], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `${join(d, 'has space.json')}: "/cors/api/has space": is not a valid parameter name: may only contain letters, digits and _ . - /`,
    );
    expect(r.stdout).toContain(`${join(d, 'dup.json')}: "/cors/api/dup": maps to the same parameter as ${join(d, 'dup.yaml')}`);
    expect(r.stdout).toContain(`${join(d, 'dup.yaml')}: "/cors/api/dup": maps to the same parameter as ${join(d, 'dup.json')}`);
    expect(r.stdout).toMatch(new RegExp(`${join(d, 'big.json')}: is \\d+ bytes as compact JSON; a Standard tier parameter holds at most 4096 bytes`));
  });

  it('counts the 4096-byte limit in UTF-8 bytes, not characters', async () => {
    // 1400 three-byte characters: under 4096 characters, over 4096 bytes.
    const doc = { ...POLICIES.fallback, description: '\u20ac'.repeat(1400) };
    const d = await dir({ 'wide.json': doc });
    const r = await runCli(['validate', d], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`is ${Buffer.byteLength(JSON.stringify(doc))} bytes as compact JSON`);
  });

  it('gives a stable JSON document with --json', async () => {
    const d = await dir({ 'bad.json': { route: '/x', allowOrigins: ['null'], allowMethods: ['GET'] } });
    const r = await runCli(['validate', d, '--json'], { env: env() });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      command: 'validate',
      ok: false,
      path: null,
      files: [{ file: join(d, 'bad.json'), parameter: null, bytes: expect.any(Number), valid: false }],
      problems: [
        { file: join(d, 'bad.json'), field: 'allowOrigins[0]', value: 'null', code: 'origin_null', reason: expect.stringContaining('can never be allowed') },
      ],
    });
  });

  it('refuses a wildcard over a hosting domain, naming the public suffix below it, in validate and explain alike', async () => {
    const d = await dir({
      'assets.json': { route: '/assets/{path+}', allowOrigins: ['https://*.amazonaws.com'], allowMethods: ['GET'], allowCredentials: true },
    });
    const r = await runCli(['validate', d, '--json'], { env: env() });
    expect(r.code).toBe(1);
    const [problem] = JSON.parse(r.stdout).problems;
    expect(problem).toEqual({
      file: join(d, 'assets.json'),
      field: 'allowOrigins[0]',
      value: 'https://*.amazonaws.com',
      code: 'origin_wildcard_public_suffix',
      reason: expect.stringMatching(/public suffix "[a-z0-9.*-]+\.amazonaws\.com"/),
    });
    // explain compiles the same files with the same engine: the policy is not served, and the problem is reported with its code.
    const e = await runCli(['explain', '--dir', d, '--url-path', '/assets/app.js', '--origin', 'https://evil.s3.amazonaws.com', '--json'], { env: env() });
    const explained = JSON.parse(e.stdout);
    expect(explained.problems).toEqual([problem]);
    expect(explained.verdict.allowed).toBe(false);
  });

  it('names a 20,000-deep JSON file as invalid and goes on with the other files', async () => {
    const d = await dir({
      'deep.json': `{"route": "/deep", "allowOrigins": ${'['.repeat(20_000)}${']'.repeat(20_000)}}`,
      'good.json': POLICIES.public,
    });
    const r = await runCli(['validate', d], { env: env() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^${join(d, 'deep.json')}: nests more than \\d+ levels deep`, 'm'));
    expect(r.stdout).toContain(`ok   ${join(d, 'good.json')}`);
    expect(r.stdout).toContain('2 files checked: 1 problem in 1 file');
  });

  it('exits 1 when there is nothing to validate and 2 when the directory does not exist', async () => {
    const empty = await dir({ 'README.md': '# not a policy\n' });
    const none = await runCli(['validate', empty], { env: env() });
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(`no policy files (.json, .yaml, .yml) found in ${empty}\n`);
    const missing = await runCli(['validate', join(empty, 'nope')], { env: env() });
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain('nope is neither a directory nor a .json, .yaml or .yml file');
  });
});
