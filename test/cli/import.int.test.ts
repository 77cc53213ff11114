// `cors-policy import` through the built binary against moto's API Gateway: REST
// OPTIONS methods with MOCK integrations and HTTP CorsConfiguration become policy
// files that validate, and nothing is ever widened.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHttpApi, createRestApi, type MockCors, type RestMethodSpec } from '../support/moto-apigateway';
import { API_GATEWAY_SANDBOX, useCliSandbox } from './support/sandbox';

const sandbox = useCliSandbox('import', API_GATEWAY_SANDBOX);
const { cli, dir: emptyDir } = sandbox;

const files = async (d: string) => (await readdir(d)).sort();
const json = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;

/** What the console's "Enable CORS" writes. */
const consoleCors = (origin: string, extra: Record<string, string> = {}): { mock: MockCors } => ({
  mock: {
    headers: {
      'Access-Control-Allow-Origin': `'${origin}'`,
      'Access-Control-Allow-Methods': "'GET,OPTIONS,POST'",
      'Access-Control-Allow-Headers': "'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token'",
      ...extra,
    },
  },
});

describe('REST OPTIONS methods with MOCK integrations', () => {
  test('become one policy per resource path, from the static values, and the files pass validate', async () => {
    const api = await createRestApi(sandbox.clients.rest, 'import-rest', {
      resources: {
        '/': { OPTIONS: consoleCors('https://shop.example.com') },
        '/items/{id}': {
          GET: {},
          OPTIONS: consoleCors('https://shop.example.com', {
            'Access-Control-Allow-Credentials': "'true'",
            'Access-Control-Max-Age': "'600'",
            'Access-Control-Expose-Headers': "'ETag'",
          }),
        },
        '/orders': { POST: {} },
      },
    });
    const dir = await emptyDir();
    const r = await cli('import', '--api-id', api.id, '--dir', dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await files(dir)).toEqual(['items-id.json', 'root.json']);
    expect(await json(join(dir, 'items-id.json'))).toEqual({
      description: `Imported from the MOCK OPTIONS method of /items/{id} in REST API ${api.id}.`,
      route: '/items/{id}',
      allowOrigins: ['https://shop.example.com'],
      // OPTIONS is for the preflight itself and needs no entry; header names lower-cased.
      allowMethods: ['GET', 'POST'],
      allowHeaders: ['content-type', 'x-amz-date', 'authorization', 'x-api-key', 'x-amz-security-token'],
      exposeHeaders: ['etag'],
      allowCredentials: true,
      maxAge: 600,
    });
    // Without Access-Control-Max-Age browsers cache 5 s: kept, not lengthened.
    expect(await json(join(dir, 'root.json'))).toMatchObject({ route: '/', maxAge: 5 });
    expect(r.stdout).toContain(`wrote  ${join(dir, 'items-id.json')} <- OPTIONS /items/{id}`);
    expect(r.stdout).toContain('note     OPTIONS /: no Access-Control-Max-Age: browsers cache the answer 5 s');
    const validate = await cli('validate', dir);
    expect([validate.code, validate.stdout.trimEnd().split('\n').at(-1)]).toEqual([0, '2 files checked: all valid']);
  });

  test.each<[title: string, api: string, path: string, options: RestMethodSpec, leftOut: string]>([
    [
      'a "*" origin with credentials is left out whole, never widened',
      'import-star-credentials',
      '/public',
      consoleCors('*', { 'Access-Control-Allow-Credentials': "'true'" }),
      'left out   OPTIONS /public: answers Access-Control-Allow-Origin "*" with Access-Control-Allow-Credentials: true, which every browser refuses for credentialed requests',
    ],
    [
      'a method list with a bad token fails every preflight in browsers: left out whole, never cleaned up into a wider policy',
      'import-bad-token',
      '/x',
      consoleCors('https://shop.example.com', { 'Access-Control-Allow-Methods': "'GET,PUT DELETE,POST'" }),
      'left out   OPTIONS /x: access-control-allow-methods "GET,PUT DELETE,POST" holds "PUT DELETE", which is not a method: browsers then fail every preflight',
    ],
    [
      'an origin mapped from the request (reflecting every origin) is left out',
      'import-reflect',
      '/x',
      { mock: { headers: { 'Access-Control-Allow-Origin': 'method.request.header.Origin' } } },
      'left out   OPTIONS /x: Access-Control-Allow-Origin is not a static value (reflecting the request Origin allows every origin); left out rather than widened',
    ],
    [
      'an OPTIONS method with a Lambda integration is reported, not imported',
      'import-proxy',
      '/x',
      { integrationType: 'AWS_PROXY' },
      'left out   OPTIONS /x: is answered by an integration of type AWS_PROXY, whose CORS headers are not static values; not imported',
    ],
  ])('%s', async (_title, name, path, options, leftOut) => {
    const api = await createRestApi(sandbox.clients.rest, name, { resources: { [path]: { OPTIONS: options } } });
    const dir = await emptyDir();
    const r = await cli('import', '--api-id', api.id, '--dir', dir);
    expect(r.code).toBe(0);
    expect(await files(dir)).toEqual([]);
    expect(r.stdout).toContain(leftOut);
  });

  test('an origin with a path is left out (browsers never match it either)', async () => {
    const api = await createRestApi(sandbox.clients.rest, 'import-origin-path', {
      resources: { '/x': { OPTIONS: consoleCors('https://shop.example.com/app') } },
    });
    const dir = await emptyDir();
    const r = await cli('import', '--api-id', api.id, '--dir', dir, '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { files: unknown[]; leftOut: unknown[]; notes: Array<{ source: string; note: string }> };
    expect(doc.files).toEqual([]);
    expect(doc.leftOut).toEqual([{ source: 'OPTIONS /x', reason: expect.stringContaining('allows no origin a browser sends') }]);
    expect(doc.notes).toEqual([
      { source: 'OPTIONS /x', note: expect.stringContaining('left out origin "https://shop.example.com/app": API Gateway sends this static value as it is') },
    ]);
  });

  test('--dry-run shows the policies and writes nothing', async () => {
    const api = await createRestApi(sandbox.clients.rest, 'import-dry-run', { resources: { '/x': { OPTIONS: consoleCors('https://shop.example.com') } } });
    const dir = await emptyDir();
    const r = await cli('import', '--api-id', api.id, '--dir', dir, '--dry-run');
    expect(r.code).toBe(0);
    expect(await files(dir)).toEqual([]);
    expect(r.stdout).toContain(`would write  ${join(dir, 'x.json')} <- OPTIONS /x\n    {\n      "description"`);
    expect(r.stdout).toContain('      "allowOrigins": ["https://shop.example.com"],\n');
  });

  test('an existing file of the same name: exit 1, nothing written', async () => {
    const api = await createRestApi(sandbox.clients.rest, 'import-clash', {
      resources: { '/x': { OPTIONS: consoleCors('https://shop.example.com') }, '/y': { OPTIONS: consoleCors('https://shop.example.com') } },
    });
    const dir = await emptyDir({ 'x.yaml': 'route: /other\nallowOrigins: [https://a.example.com]\nallowMethods: [GET]\n' });
    const r = await cli('import', '--api-id', api.id, '--dir', dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(dir, 'x.json')} describes a policy of the same name already; nothing was written`);
    expect(await files(dir)).toEqual(['x.yaml']);
  });
});

describe('HTTP CorsConfiguration', () => {
  test('becomes one policy for $default and /, origins API Gateway does not document left out', async () => {
    const apiId = await createHttpApi(sandbox.clients.http, 'import-http', {
      cors: {
        AllowOrigins: ['https://app.example.com', 'https://b.example.com/'],
        AllowMethods: ['GET', 'PUT'],
        AllowHeaders: ['content-type'],
        ExposeHeaders: ['x-total'],
        AllowCredentials: true,
        MaxAge: 600,
      },
      stages: { $default: true },
    });
    const dir = await emptyDir();
    const r = await cli('import', '--api-id', apiId, '--dir', dir);
    expect(r.code).toBe(0);
    expect(await files(dir)).toEqual(['default.json']);
    expect(await json(join(dir, 'default.json'))).toEqual({
      description: `Imported from the CorsConfiguration of HTTP API ${apiId}.`,
      route: ['$default', '/'],
      allowOrigins: ['https://app.example.com'],
      allowMethods: ['GET', 'PUT'],
      allowHeaders: ['content-type'],
      exposeHeaders: ['x-total'],
      allowCredentials: true,
      maxAge: 600,
    });
    expect(r.stdout).toContain('note     CorsConfiguration: left out origin "https://b.example.com/": not a form API Gateway documents');
    expect((await cli('validate', dir)).code).toBe(0);
  });

  test('an HTTP API without CorsConfiguration has nothing to import', async () => {
    const apiId = await createHttpApi(sandbox.clients.http, 'import-http-none', { stages: { $default: true } });
    const dir = await emptyDir();
    const r = await cli('import', '--api-id', apiId, '--dir', dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('the API has no CorsConfiguration: nothing to import');
    expect(await files(dir)).toEqual([]);
  });
});

test('an API that does not exist: exit 2 with the reason', async () => {
  const r = await cli('import', '--api-id', 'nosuchapi0', '--dir', await emptyDir());
  expect(r.code).toBe(2);
  expect(r.stderr).toBe(
    'cors-policy import: error: no REST or HTTP API with id "nosuchapi0" in this account and region (us-east-1); check --api-id and --region\n',
  );
});
