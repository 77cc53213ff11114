// Route conflicts and invalid edits through the built CLI against moto: explain
// answers as the Lambda does (route_conflict naming both parameters; an
// invalid value's newest valid version from the history), diff shows the
// conflicts a push would leave, and push refuses to create one.
import { POLICIES, SHOP_PUT, clearPath, putParameters, readParameters } from './support/cli';
import { ssmClients, useCliSandbox } from './support/sandbox';

const ROOT = '/test/cli-conflicts';
const sandbox = useCliSandbox('conflicts', { clients: ssmClients });
const { cli, dir } = sandbox;
const products = (route: string, origins: string[] = ['https://shop.example.com'], credentials = true) =>
  JSON.stringify({ route, allowOrigins: origins, allowMethods: ['GET'], ...(credentials ? { allowCredentials: true } : {}) });

describe('explain', () => {
  const path = `${ROOT}/explain`;
  beforeAll(async () => {
    await clearPath(sandbox.clients.ssm, path);
    await putParameters(sandbox.clients.ssm, {
      [`${path}/products`]: products('/products/{id}'),
      [`${path}/anyone`]: products('/products/{pid}', ['*'], false),
      [`${path}/default`]: products('$default', ['https://evil.example'], false),
      [`${path}/orders`]: products('/orders', ['https://v1.example.com']),
    });
    // orders: a valid version 2, then an invalid version 3. The Lambda serves version 2.
    await putParameters(sandbox.clients.ssm, { [`${path}/orders`]: products('/orders', ['https://v2.example.com']) });
    await putParameters(sandbox.clients.ssm, { [`${path}/orders`]: '{"route": "/orders"' });
  });

  it('a contested route: denied with route_conflict naming both parameters, no fall-through to $default, no fix it can choose', async () => {
    const r = await cli('explain', '--path', path, '--url-path', '/products/42', '--origin', 'https://evil.example', '--method', 'PUT', '--json');
    expect(r.code).toBe(3);
    const json = JSON.parse(r.stdout);
    expect(json.preflight.decision).toMatchObject({ kind: 'denied', reason: 'route_conflict' });
    expect(json.preflight.decision.detail).toContain(`${path}/anyone`);
    expect(json.preflight.decision.detail).toContain(`${path}/products`);
    expect(json.conflict).toEqual({
      route: '/products/{}',
      claims: [
        { source: `${path}/anyone`, route: '/products/{pid}' },
        { source: `${path}/products`, route: '/products/{id}' },
      ],
    });
    expect(json.match).toBeNull();
    expect(json.fixes).toEqual([]);
    expect(json.blocked).toContain('(route_conflict): decide which policy owns the route and remove it from the others');
    const human = await cli('explain', '--path', path, ...SHOP_PUT, '--credentials');
    expect(human.stdout).toContain(
      `Policy: none - the route /products/{} is claimed by "/products/{pid}" of ${path}/anyone and "/products/{id}" of ${path}/products`,
    );
    expect(human.stdout).toContain('Verdict: BLOCKED at the preflight - route_conflict');
    expect(human.stderr).toContain(`warning: route /products/{} is claimed by`);
  });

  it('an invalid value: explains with the newest valid version, as the Lambda serves it, and says which', async () => {
    const allowed = await cli('explain', '--path', path, '--url-path', '/orders', '--origin', 'https://v2.example.com', '--credentials', '--json');
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.stdout).match).toMatchObject({ policy: `${path}/orders`, route: '/orders' });
    expect(allowed.stderr).toContain(`warning: ${path}/orders: its current value is invalid; the Lambda serves its version 2, the newest that validates`);
    const refused = await cli('explain', '--path', path, '--url-path', '/orders', '--origin', 'https://v1.example.com', '--json');
    expect(refused.code).toBe(3);
    // The suggested edit starts from version 2, the one served, and replaces the invalid value.
    expect(JSON.parse(refused.stdout).fixes).toEqual([
      expect.objectContaining({ policy: `${path}/orders`, action: 'add', field: 'allowOrigins', value: 'https://v1.example.com' }),
    ]);
  });
});

describe('diff and push', () => {
  it('diff shows the conflict a push would create; push refuses it and writes nothing; --prune resolves it', async () => {
    const path = `${ROOT}/push`;
    await clearPath(sandbox.clients.ssm, path);
    await putParameters(sandbox.clients.ssm, { [`${path}/legacy`]: products('/products/{id}'), [`${path}/public`]: JSON.stringify(POLICIES.public) });
    const d = await dir({ 'catalog.json': { route: '/products/{pid}', allowOrigins: ['*'], allowMethods: ['GET'] }, 'public.json': POLICIES.public });

    const diff = await cli('diff', '--path', path, '--dir', d, '--json');
    expect(diff.code).toBe(0);
    expect(JSON.parse(diff.stdout).conflicts).toEqual([
      {
        state: 'new',
        route: '/products/{}',
        claims: [
          { source: `${path}/catalog`, route: '/products/{pid}' },
          { source: `${path}/legacy`, route: '/products/{id}' },
        ],
      },
    ]);
    const human = await cli('diff', '--path', path, '--dir', d);
    expect(human.stderr).toContain(
      `! route /products/{} would be claimed by "/products/{pid}" of ${path}/catalog and "/products/{id}" of ${path}/legacy: the Lambda would deny it (route_conflict)`,
    );

    const before = await readParameters(sandbox.clients.ssm, path);
    const push = await cli('push', '--path', path, '--dir', d);
    expect(push.code).toBe(1);
    expect(push.stderr).toContain('cors-policy push: the push would leave a route claimed by two policies');
    expect(await readParameters(sandbox.clients.ssm, path)).toEqual(before);

    const pruned = await cli('push', '--path', path, '--dir', d, '--prune');
    expect(pruned.code).toBe(0);
    expect(Object.keys(await readParameters(sandbox.clients.ssm, path)).sort()).toEqual([`${path}/catalog`, `${path}/public`]);
  });

  it('a conflict already in Parameter Store that the push leaves as it is: warned, not refused', async () => {
    const path = `${ROOT}/kept`;
    await clearPath(sandbox.clients.ssm, path);
    await putParameters(sandbox.clients.ssm, { [`${path}/a`]: products('/orders'), [`${path}/b`]: products('/orders') });
    const d = await dir({ 'c.json': POLICIES.public });
    const push = await cli('push', '--path', path, '--dir', d, '--json');
    expect(push.code).toBe(0);
    expect(JSON.parse(push.stdout).done).toEqual([expect.objectContaining({ action: 'added', parameter: `${path}/c` })]);
    expect(push.stderr).toContain(`warning: route /orders stays claimed by "/orders" of ${path}/a and "/orders" of ${path}/b`);
  });
});
