// Fleet determinism through the BUILT function (dist/preflight/index.mjs, the
// ES module entry Lambda loads, which preloads policies in its init) against
// moto, in two processes: one warm instance that lives through a sequence of
// puts, invalid edits, deletes and conflicting puts (refreshing after some of
// them), and one started after the last edit. Both must give the same answer,
// header for header, to every request. Time in the warm process is moved
// forward by a TTL instead of waited for (Date.now is offset before the
// bundle loads; moto does not check request times).
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { motoEnv } from '../../scripts/lib/moto';
import { v1Event } from '../support/apigw-events';
import { deleteParameter, globalMotoEndpoint, putPolicies, seedingClient } from '../support/moto-ssm';

const ROOT = join(__dirname, '..', '..');
const BUNDLE = join(ROOT, 'dist', 'preflight', 'index.mjs');
const PREFIX = '/test/fleet-bundle/api';
const TTL_S = 5;

/** Runs the bundle's handler in its own Node process; replies come back on fd 3, the bundle's logs on stdout. */
const WORKER = `
const fs = require('node:fs');
const realNow = Date.now;
let offset = 0;
Date.now = () => realNow() + offset;
const loading = import(require('node:url').pathToFileURL(process.env.BUNDLE).href);
const rl = require('node:readline').createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  const { handler } = await loading;
  const cmd = JSON.parse(line);
  if (cmd.advance !== undefined) offset += cmd.advance;
  const results = [];
  for (const event of cmd.invoke ?? []) results.push(await handler(event, { awsRequestId: 'fleet' }));
  fs.writeSync(3, JSON.stringify({ results }) + '\\n');
});
`;

type Result = { statusCode: number; headers: Record<string, string>; body: string };

class Instance {
  readonly logs: Array<Record<string, unknown>> = [];
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly replies: AsyncIterator<string>;

  constructor(endpoint: string) {
    this.child = spawn(process.execPath, ['-e', WORKER], {
      env: {
        PATH: process.env.PATH,
        ...motoEnv(endpoint),
        BUNDLE,
        CORS_POLICY_PATH: PREFIX,
        CORS_POLICY_TTL_SECONDS: String(TTL_S),
        CORS_DEBUG: 'true',
        LOG_LEVEL: 'DEBUG',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    }) as ChildProcessWithoutNullStreams;
    createInterface({ input: this.child.stdout }).on('line', (l) => {
      if (l.startsWith('{')) this.logs.push(JSON.parse(l));
    });
    this.replies = createInterface({ input: this.child.stdio[3] as Readable })[Symbol.asyncIterator]();
  }

  /** Moves the instance's clock forward by `advanceMs`, then answers the events in order. */
  async invoke(events: readonly unknown[], advanceMs = 0): Promise<Result[]> {
    this.child.stdin.write(`${JSON.stringify({ advance: advanceMs, invoke: events })}\n`);
    const reply = await this.replies.next();
    if (reply.done) throw new Error('the instance exited');
    return (JSON.parse(reply.value) as { results: Result[] }).results;
  }

  /** The 'policies loaded' debug lines: one per refresh, with the history reads it made. */
  refreshes(): Array<Record<string, unknown>> {
    return this.logs.filter((l) => l.message === 'policies loaded');
  }

  stop(): void {
    this.child.kill();
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
