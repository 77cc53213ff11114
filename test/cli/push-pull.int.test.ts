// diff, push and pull through the built binary against moto. Every test works
// under its own /test/cli-sync/<case> path.
import { readFile, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { POLICIES, putParameters, readParameters } from './support/cli';
import { ssmClients, useCliSandbox } from './support/sandbox';

const ROOT = '/test/cli-sync';
const sandbox = useCliSandbox('sync', { clients: ssmClients });
const { cli, dir } = sandbox;

async function listFiles(d: string): Promise<string[]> {
  const entries = await readdir(d, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(d.length + 1))
    .sort();
}

describe('diff, push and pull', () => {
  it('round-trip: push then pull leaves files and parameters identical', async () => {
    const path = `${ROOT}/roundtrip`;
    const repoPolicies = resolve(__dirname, '../../examples');
    const files: Record<string, string> = {};
    for (const name of ['default.json', 'products.json', 'public.json']) files[name] = await readFile(join(repoPolicies, name), 'utf8');
    files['team/orders.yaml'] = '# Orders, owned by the team\nroute: /orders/{id}\nallowOrigins:\n  - https://shop.example.com\nallowMethods: [GET, PUT]\n';
    const a = await dir(files);

    const before = await cli('diff', '--path', path, '--dir', a, '--exit-code');
    expect(before.code).toBe(3);
    expect(before.stdout).toContain(`+ ${path}/team/orders (${join(a, 'team/orders.yaml')})`);
    expect(before.stdout).toContain('4 to add, 0 to change, 0 not described by any file, 0 unchanged');

    const push = await cli('push', '--path', path, '--dir', a);
    expect(push.stderr).toBe('');
    expect(push.code).toBe(0);
    expect(push.stdout).toContain(`added     ${path}/products from ${join(a, 'products.json')} (version 1)`);
    expect(push.stdout).toContain('4 added, 0 updated, 0 deleted, 0 unchanged');

    // Stored as the compact JSON of each file's object, YAML included.
    const stored = await readParameters(sandbox.clients.ssm, path);
    expect(Object.keys(stored).sort()).toEqual([`${path}/default`, `${path}/products`, `${path}/public`, `${path}/team/orders`]);
    expect(stored[`${path}/products`]).toEqual({ value: JSON.stringify(JSON.parse(files['products.json']!)), type: 'String' });
    expect(stored[`${path}/team/orders`]!.value).toBe(JSON.stringify(parseYaml(files['team/orders.yaml']!)));

    expect((await cli('diff', '--path', path, '--dir', a, '--exit-code')).code).toBe(0);

    // Pulling into a fresh directory writes the same bytes for files in the canonical style...
    const b = await dir();
    const pulled = await cli('pull', '--path', path, '--dir', b);
    expect(pulled.code).toBe(0);
    expect(await listFiles(b)).toEqual(['default.json', 'products.json', 'public.json', 'team/orders.json']);
    for (const name of ['default.json', 'products.json', 'public.json']) expect(await readFile(join(b, name), 'utf8')).toBe(files[name]);
    expect(JSON.parse(await readFile(join(b, 'team/orders.json'), 'utf8'))).toEqual(parseYaml(files['team/orders.yaml']!));

    // ...and pulling into the pushed directory touches nothing, comments in YAML included.
    const again = await cli('pull', '--path', path, '--dir', a);
    expect(again.stdout).toContain('0 created, 0 updated, 0 deleted, 4 unchanged');
    for (const [name, text] of Object.entries(files)) expect(await readFile(join(a, name), 'utf8')).toBe(text);

    // Pushing the pulled files changes no parameter.
    const pushB = await cli('push', '--path', path, '--dir', b);
    expect(pushB.stdout).toContain('0 added, 0 updated, 0 deleted, 4 unchanged');
    expect(await readParameters(sandbox.clients.ssm, path)).toEqual(stored);
  });

  it('diff shows field-level changes after an edit in Parameter Store, and ignores formatting', async () => {
    const path = `${ROOT}/diff`;
    const d = await dir({ 'products.json': POLICIES.products, 'public.json': POLICIES.public });
    expect((await cli('push', '--path', path, '--dir', d)).code).toBe(0);
    // An emergency edit in the console: one origin added, maxAge lowered, a field removed.
    const { exposeHeaders: _dropped, ...rest } = POLICIES.products;
    await putParameters(sandbox.clients.ssm, {
      [`${path}/products`]: JSON.stringify({ ...rest, allowOrigins: [...POLICIES.products.allowOrigins, 'https://admin.example.com'], maxAge: 60 }),
      // Same document, pretty-printed with the keys in another order.
      [`${path}/public`]: JSON.stringify(
        { allowMethods: POLICIES.public.allowMethods, route: POLICIES.public.route, allowOrigins: POLICIES.public.allowOrigins },
        null,
        4,
      ),
      [`${path}/stray`]: JSON.stringify(POLICIES.fallback),
    });
    const r = await cli('diff', '--path', path, '--dir', d);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      `diff ${d} -> ${path}`,
      `~ ${path}/products (${join(d, 'products.json')})`,
      '    ~ allowOrigins: - "https://admin.example.com"',
      '    + exposeHeaders: ["etag"]',
      '    ~ maxAge: 60 -> 600',
      `- ${path}/stray (no file describes it: push --prune would delete it)`,
      '    - route: "$default"',
      '    - allowOrigins: ["https://shop.example.com"]',
      '    - allowMethods: ["GET"]',
      '0 to add, 1 to change, 1 not described by any file, 1 unchanged',
      '',
    ]);
    const json = JSON.parse((await cli('diff', '--path', path, '--dir', d, '--json')).stdout);
    expect(json.summary).toEqual({ add: 0, change: 1, remove: 1, unchanged: 1 });
    expect(json.changes.find((c: { parameter: string }) => c.parameter === `${path}/products`)).toEqual({
      action: 'change',
      parameter: `${path}/products`,
      file: join(d, 'products.json'),
      note: null,
      fields: [
        { field: 'allowOrigins', kind: 'items', added: [], removed: ['https://admin.example.com'] },
        { field: 'exposeHeaders', kind: 'added', after: ['etag'] },
        { field: 'maxAge', kind: 'changed', before: 60, after: 600 },
      ],
    });
  });

  it('diff shows values from Parameter Store with control and bidi characters escaped', async () => {
    const path = `${ROOT}/diff-escape`;
    const d = await dir({ 'products.json': POLICIES.products });
    await putParameters(sandbox.clients.ssm, {
      [`${path}/products`]: JSON.stringify({ ...POLICIES.products, description: 'edited \u202eelbisivni\u202c \u0085\u009b2J' }),
    });
    const r = await cli('diff', '--path', path, '--dir', d);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(r.stdout).toContain('\\u202eelbisivni\\u202c');
  });

  it('push of a set with any invalid file writes nothing', async () => {
    const path = `${ROOT}/invalid`;
    await putParameters(sandbox.clients.ssm, { [`${path}/products`]: JSON.stringify(POLICIES.products) });
    const before = await readParameters(sandbox.clients.ssm, path);
    const d = await dir({
      'products.json': { ...POLICIES.products, maxAge: 5 }, // a valid change...
      'new.json': POLICIES.public, // ...a valid addition...
      'broken.json': { route: '/b', allowOrigins: ['https://a.example.com'], allowMethods: ['GET'], allowCredentials: 'yes' }, // ...and one invalid file
    });
    const r = await cli('push', '--path', path, '--dir', d, '--prune');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${join(d, 'broken.json')}: allowCredentials: "yes": must be true or false`);
    expect(r.stderr).toContain('nothing was written');
    expect(await readParameters(sandbox.clients.ssm, path)).toEqual(before);
    // --json: each problem with its stable code next to the prose.
    const json = await cli('push', '--path', path, '--dir', d, '--prune', '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).problems).toEqual([
      { file: join(d, 'broken.json'), field: 'allowCredentials', value: 'yes', code: 'wrong_type', reason: 'must be true or false' },
    ]);
    expect(await readParameters(sandbox.clients.ssm, path)).toEqual(before);
  });

  it('refuses a file name Parameter Store would refuse, and writes nothing', async () => {
    const path = `${ROOT}/badname`;
    const d = await dir({ 'ok.json': POLICIES.public, 'products v2.json': POLICIES.products });
    const r = await cli('push', '--path', path, '--dir', d);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${join(d, 'products v2.json')}: "${path}/products v2": is not a valid parameter name: may only contain letters, digits and _ . - /`,
    );
    expect(await readParameters(sandbox.clients.ssm, path)).toEqual({});
  });

  it('refuses a value over the Standard tier limit, and writes nothing', async () => {
    const path = `${ROOT}/oversize`;
    const origins = Array.from({ length: 200 }, (_, i) => `https://shop-${i}.example.com`);
    const d = await dir({ 'ok.json': POLICIES.public, 'huge.json': { ...POLICIES.fallback, route: '/huge', allowOrigins: origins } });
    const r = await cli('push', '--path', path, '--dir', d);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/huge\.json: is \d+ bytes as compact JSON; a Standard tier parameter holds at most 4096 bytes/);
    expect(await readParameters(sandbox.clients.ssm, path)).toEqual({});
  });

  it('refuses a --path Parameter Store would refuse, with a usage error', async () => {
    const d = await dir({ 'ok.json': POLICIES.public });
    const r = await cli('push', '--path', '/aws/cors', '--dir', d);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('cors-policy push: error: --path "/aws/cors" must not begin with "aws" or "ssm" (reserved by AWS)\n');
  });

  it('--dry-run prints the plan and writes nothing', async () => {
    const path = `${ROOT}/dryrun`;
    await putParameters(sandbox.clients.ssm, { [`${path}/products`]: JSON.stringify(POLICIES.products), [`${path}/old`]: JSON.stringify(POLICIES.fallback) });
    const before = await readParameters(sandbox.clients.ssm, path);
    const d = await dir({ 'products.json': { ...POLICIES.products, maxAge: 30 }, 'public.json': POLICIES.public });
    const r = await cli('push', '--path', path, '--dir', d, '--prune', '--dry-run');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`~ ${path}/products (${join(d, 'products.json')})`);
    expect(r.stdout).toContain(`- ${path}/old (no file describes it: deleted by --prune)`);
    expect(r.stdout).toContain(`+ ${path}/public (${join(d, 'public.json')})`);
    expect(r.stdout).toContain('would add 1, update 1, delete 1; 0 unchanged');
    expect(await readParameters(sandbox.clients.ssm, path)).toEqual(before);

    const pullDir = await dir({ 'stale.json': POLICIES.public });
    const pull = await cli('pull', '--path', path, '--dir', pullDir, '--prune', '--dry-run');
    expect(pull.stdout).toContain(`would create    ${join(pullDir, 'products.json')} <- ${path}/products`);
    expect(pull.stdout).toContain(`would delete    ${join(pullDir, 'stale.json')}`);
    expect(await listFiles(pullDir)).toEqual(['stale.json']);
  });

  it('--prune deletes parameters no file describes, in batches of 10, and only with --prune', async () => {
    const path = `${ROOT}/prune`;
    const strays: Record<string, string> = {};
    for (let i = 0; i < 12; i++) strays[`${path}/stray-${String(i).padStart(2, '0')}`] = JSON.stringify({ ...POLICIES.fallback, route: `/stray/${i}` });
    strays[`${path}/team/old`] = 'not json at all';
    await putParameters(sandbox.clients.ssm, strays);
    const d = await dir({ 'public.json': POLICIES.public });

    const kept = await cli('push', '--path', path, '--dir', d);
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain(`kept      ${path}/team/old (no file describes it; --prune deletes it)`);
    expect(Object.keys(await readParameters(sandbox.clients.ssm, path))).toHaveLength(14);

    const pruned = await cli('push', '--path', path, '--dir', d, '--prune', '--json');
    expect(pruned.code).toBe(0);
    const doc = JSON.parse(pruned.stdout);
    expect(
      doc.done
        .filter((x: { action: string }) => x.action === 'deleted')
        .map((x: { parameter: string }) => x.parameter)
        .sort(),
    ).toEqual(Object.keys(strays).sort());
    expect(doc.summary).toEqual({ add: 0, change: 0, remove: 13, unchanged: 1 });
    expect(Object.keys(await readParameters(sandbox.clients.ssm, path))).toEqual([`${path}/public`]);
  });

  it('pages through more than one page of parameters', async () => {
    const path = `${ROOT}/paging`;
    const files: Record<string, object> = {};
    for (let i = 0; i < 23; i++) files[`p${String(i).padStart(2, '0')}.json`] = { ...POLICIES.fallback, route: `/p/${i}` };
    const d = await dir(files);
    expect((await cli('push', '--path', path, '--dir', d)).code).toBe(0);
    const b = await dir();
    const r = await cli('pull', '--path', path, '--dir', b);
    expect(r.stdout).toContain('23 created, 0 updated, 0 deleted, 0 unchanged');
    expect(await listFiles(b)).toEqual(Object.keys(files).sort());
  });

  it('pull rewrites changed files in their own format, deletes with --prune, and warns about policies the Lambda rejects', async () => {
    const path = `${ROOT}/pull`;
    await putParameters(sandbox.clients.ssm, {
      [`${path}/products`]: JSON.stringify(POLICIES.products),
      [`${path}/public`]: JSON.stringify({ ...POLICIES.public, allowMethods: ['GET'] }),
      [`${path}/team/bad`]: JSON.stringify({ route: '/bad', allowOrigins: ['https://*.com'], allowMethods: ['GET'] }),
    });
    const d = await dir({ 'public.yaml': 'route: /public/{path+}\nallowOrigins: ["*"]\nallowMethods: [GET, HEAD]\n', 'gone.json': POLICIES.fallback });
    const r = await cli('pull', '--path', path, '--dir', d, '--prune');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`updated         ${join(d, 'public.yaml')} <- ${path}/public`);
    expect(r.stdout).toContain(`created         ${join(d, 'team/bad.json')} <- ${path}/team/bad`);
    expect(r.stdout).toContain(`deleted         ${join(d, 'gone.json')}`);
    expect(r.stderr).toContain(`warning: ${path}/team/bad: allowOrigins[0]: "https://*.com": invalid origin pattern`);
    expect(await listFiles(d)).toEqual(['products.json', 'public.yaml', 'team/bad.json']);
    expect(parseYaml(await readFile(join(d, 'public.yaml'), 'utf8'))).toEqual({ ...POLICIES.public, allowMethods: ['GET'] });
  });

  it('pull refuses parameters that cannot be a policy file, and writes nothing', async () => {
    const path = `${ROOT}/pull-refuse`;
    await putParameters(sandbox.clients.ssm, { [`${path}/good`]: JSON.stringify(POLICIES.public), [`${path}/text`]: 'plain text' });
    await putParameters(sandbox.clients.ssm, { [`${path}/list`]: 'a,b' }, 'StringList');
    const d = await dir();
    const r = await cli('pull', '--path', path, '--dir', d);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${path}/text: cannot be written as a policy file: the stored value is not JSON`);
    expect(r.stderr).toContain(`${path}/list: cannot be written as a policy file: is a StringList parameter; only String parameters are policies`);
    expect(await listFiles(d)).toEqual([]);
  });

  it('refuses to push an empty directory, which with --prune would delete every policy', async () => {
    const path = `${ROOT}/empty`;
    await putParameters(sandbox.clients.ssm, { [`${path}/public`]: JSON.stringify(POLICIES.public) });
    const d = await dir({ 'notes.txt': 'no policies here' });
    const r = await cli('push', '--path', path, '--dir', d, '--prune');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no policy files (.json, .yaml, .yml) in ${d}; refusing to push an empty set`);
    expect(Object.keys(await readParameters(sandbox.clients.ssm, path))).toEqual([`${path}/public`]);
  });
});
