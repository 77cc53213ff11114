// Fleet determinism through the BUILT function (dist/preflight/index.mjs, the
// ES module entry Lambda loads, which preloads policies in its init) against
// moto, in two processes: one warm instance that lives through a sequence of
// puts, invalid edits, deletes and conflicting puts (refreshing after some of
// them), and one started after the last edit. Both must give the same answer,
// header for header, to every request. Time in the warm process is moved
// forward by a TTL instead of waited for (Date.now is offset before the
// bundle loads; moto does not check request times).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { motoEnv } from '../../scripts/lib/moto';
import { v1Event } from '../support/apigw-events';
import { BundleInstance, PREFLIGHT_BUNDLE as BUNDLE } from '../support/bundle-instance';
import { deleteParameter, globalMotoEndpoint, putPolicies, seedingClient } from '../support/moto-ssm';

const ROOT = join(__dirname, '..', '..');
const PREFIX = '/test/fleet-bundle/api';
const TTL_S = 5;

/** The bundle's handler in its own Node process (test/support/bundle-instance.ts). */
class Instance extends BundleInstance {
  constructor(endpoint: string) {
    super('preflight', { ...motoEnv(endpoint), CORS_POLICY_PATH: PREFIX, CORS_POLICY_TTL_SECONDS: String(TTL_S) }, 'fleet');
  }
}

const PATHS = ['/products/42', '/products/special', '/orders', '/files/a/b', '/elsewhere', '/'];
const ORIGINS = ['https://shop.example.com', 'https://admin.example.com', 'https://evil.example'];
const REQUESTS = PATHS.flatMap((path) =>
  ORIGINS.flatMap((origin) =>
    ['GET', 'PUT'].map((method) => ({
      label: `${method} ${path} from ${origin}`,
      event: v1Event({
        path,
        pathParameters: path === '/' ? null : { proxy: path.slice(1) },
        resource: path === '/' ? '/' : '/{proxy+}',
        headers: { Origin: origin, 'Access-Control-Request-Method': method },
      }),
    })),
  ),
);

const policy = (route: string | string[], origins: string[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ route, allowOrigins: origins, allowMethods: ['GET', 'PUT'], ...extra });

let seed: SSMClient;
let endpoint: string;
const started: Instance[] = [];

beforeAll(() => {
  if (!existsSync(BUNDLE))
    expect(spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--only', 'preflight'], { cwd: ROOT, stdio: 'inherit' }).status).toBe(0);
  endpoint = globalMotoEndpoint();
  seed = seedingClient(endpoint);
}, 120_000);

afterAll(() => {
  for (const i of started) i.stop();
  seed.destroy();
});

test('a warm instance that lived through the edits and a fresh one started after them answer every request alike', async () => {
  const put = (name: string, value: string) => putPolicies(seed, { [`${PREFIX}/${name}`]: value });
  await put('products', policy('/products/{id}', ['https://shop.example.com'], { allowCredentials: true }));
  await put('orders', policy('/orders', ['https://shop.example.com']));
  await put('default', policy('$default', ['https://evil.example']));
  await put('files', policy('/files/{path+}', ['https://shop.example.com']));

  const warm = new Instance(endpoint);
  started.push(warm);
  const events = REQUESTS.map((r) => r.event);
  const first = await warm.invoke(events);
  expect(first[REQUESTS.findIndex((r) => r.label === 'GET /products/42 from https://shop.example.com')]!.statusCode).toBe(204);

  // Edits, with the warm instance refreshing after some of them only (several edits often land within one TTL).
  const steps: Array<[() => Promise<unknown>, boolean]> = [
    [() => put('products', '{"route": "/products/{id}"'), true], // invalid edit: version 1 keeps serving
    [() => put('anyone', policy('/products/{pid}', ['*'])), true], // conflicting claim, for everyone
    [() => put('orders', policy('/orders', ['https://admin.example.com'])), false], // valid v2, never seen warm...
    [() => put('orders', '{"route": 1}'), true], // ...then invalid v3: v2 serves
    [() => deleteParameter(seed, `${PREFIX}/default`), false], // deleted...
    [() => put('default', '{oops'), true], // ...and recreated invalid: no valid version, ignored
    [() => put('files', policy('/files/{rest+}', ['https://evil.example'])), false], // a valid edit...
    [() => put('special', policy(['/products/special', '/files/{more+}'], ['https://admin.example.com'])), true], // ...and a newcomer conflicting with it on one of two routes
    [
      () =>
        seed.send(
          new PutParameterCommand({
            Name: `${PREFIX}/special`,
            Value: policy('/products/special', ['https://admin.example.com']),
            Type: 'StringList',
            Overwrite: true,
          }),
        ),
      false,
    ], // a type change is an invalid edit
  ];
  for (const [edit, refresh] of steps) {
    await edit();
    if (refresh) await warm.invoke(events, TTL_S * 1000);
  }
  const warmAnswers = await warm.invoke(events, TTL_S * 1000);

  const fresh = new Instance(endpoint);
  started.push(fresh);
  const freshAnswers = await fresh.invoke(events);

  for (const [i, r] of REQUESTS.entries()) expect({ request: r.label, answer: warmAnswers[i] }).toEqual({ request: r.label, answer: freshAnswers[i] });

  const answer = (label: string) => freshAnswers[REQUESTS.findIndex((r) => r.label === label)]!;
  // The contested route is denied to everyone, the origin the '*' newcomer brought included, and never reaches $default.
  for (const origin of ORIGINS)
    expect(answer(`GET /products/42 from ${origin}`)).toMatchObject({
      statusCode: 403,
      headers: { 'X-Cors-Deny-Reason': expect.stringMatching(/^route_conflict: /) },
    });
  // orders serves version 2, the newest valid one, which the warm instance never served.
  expect(answer('PUT /orders from https://admin.example.com')).toMatchObject({
    statusCode: 204,
    headers: { 'Access-Control-Allow-Origin': 'https://admin.example.com' },
  });
  expect(answer('GET /orders from https://shop.example.com').statusCode).toBe(403);
  // The recreated default has no valid version: nothing answers elsewhere.
  expect(answer('GET /elsewhere from https://evil.example')).toMatchObject({
    statusCode: 403,
    headers: { 'X-Cors-Deny-Reason': expect.stringMatching(/^no_route_policy: /) },
  });
  // special's StringList value is invalid; its version 1 claims /files/{more+} too, in conflict with files.
  expect(answer('GET /products/special from https://admin.example.com').statusCode).toBe(204);
  expect(answer('GET /files/a/b from https://evil.example')).toMatchObject({
    statusCode: 403,
    headers: { 'X-Cors-Deny-Reason': expect.stringMatching(/^route_conflict: /) },
  });

  // The fresh instance's one refresh: one history read per invalid parameter (products, orders, default, special).
  const [load] = fresh.refreshes();
  expect(load).toMatchObject({ parameters: 6, earlierVersions: 3, conflicts: 2, historyReads: 4 });
  const conflicts = fresh.logs.filter((l) => l.message === 'route conflict');
  expect(conflicts.map((c) => c.parameters)).toEqual([
    [`${PREFIX}/files`, `${PREFIX}/special`],
    [`${PREFIX}/anyone`, `${PREFIX}/products`],
  ]);
  const warmReads = warm.refreshes().map((l) => l.historyReads);
  process.stderr.write(
    `fleet bundle: fresh refresh history reads ${String(load!.historyReads)}; warm refreshes ${warm.refreshes().length}, history reads per refresh ${JSON.stringify(warmReads)}\n`,
  );
});
