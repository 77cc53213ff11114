// cors-policy denials through the built binary: the denial lines are written
// by the real preflight handler, then read back from moto's CloudWatch Logs
// (FilterLogEvents, paged) or from an exported file mixed with foreign and
// malformed lines, and checked against policies in moto or in files.
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { motoEnv } from '../../scripts/lib/moto';
import { readLogEvents } from '../../functions/cli/logs';
import { v2Event, preflightHeadersV2 } from '../support/apigw-events';
import { POLICIES, assertBuilt, clearPath, cliEnv, motoEndpoint, putParameters, releaseBuilt, removeDir, runCli, ssmClient, tempDir } from './support/cli';

const PATH = '/test/cli-denials/api';
const GROUP = '/aws/lambda/denials-test-preflight';
let client: SSMClient;
let logs: CloudWatchLogsClient;
let home: string;
let env: Record<string, string>;
/** What the handler wrote, line by line. */
let handlerLines: string[];
const saved = { ...process.env };

interface Report {
  ok: boolean;
  source: Record<string, string>;
  pages?: number;
  truncated?: boolean;
  lines: { read: number; denials: number; other: number; malformed: number };
  groups: number;
  top: Array<{
    origin: string;
    route: string | null;
    reason: string;
    count: number;
    firstSeen: string | null;
    lastSeen: string | null;
    typical: { method: string; path: string; requestHeaders: string | null };
    now: { denied: boolean; reason?: string } | null;
    suggestion: { fixes: Array<{ policy: string; field?: string; value?: unknown }>; blocked: string | null } | null;
  }>;
}

/** Runs the real handler for each preflight and returns every line it wrote. */
async function denialLinesFromHandler(requests: Array<[path: string, origin: string, method: string, headers?: string]>): Promise<string[]> {
  const { handler } = await import('../../functions/preflight/handler');
  (await import('../../functions/aws/default-store')).resetDefaultStore();
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation(((c: string) => {
    chunks.push(String(c));
    return true;
  }) as typeof process.stdout.write);
  try {
    for (const [path, origin, method, headers] of requests) {
      await handler(v2Event({ rawPath: path, pathParameters: { proxy: path.slice(1) }, headers: preflightHeadersV2(origin, method, headers) }), {
        awsRequestId: `req-${chunks.length}`,
      });
    }
  } finally {
    spy.mockRestore();
  }
  return chunks.join('').split('\n').filter(Boolean);
}

const REQUESTS: Array<[string, string, string, string?]> = [
  ['/products/42', 'https://admin.example.com', 'PUT', 'content-type'],
  ['/products/7', 'https://admin.example.com', 'PUT', 'content-type'],
  ['/products', 'https://admin.example.com', 'PUT'],
  ['/products/1', 'https://shop.example.com', 'GET', 'x-debug'],
  ['/orders/7', 'https://shop.example.com', 'GET'],
  ['/products/1', 'https://shop.example.com', 'GET'], // allowed: no denial line
];

beforeAll(async () => {
  assertBuilt();
  const endpoint = motoEndpoint();
  client = ssmClient(endpoint);
  logs = new CloudWatchLogsClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
  home = await tempDir('denials-home');
  env = cliEnv(endpoint, home, { AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: endpoint });
  await clearPath(client, PATH);
  await putParameters(client, { [`${PATH}/products`]: JSON.stringify(POLICIES.products), [`${PATH}/public`]: JSON.stringify(POLICIES.public) });
  Object.assign(process.env, motoEnv(endpoint), { CORS_POLICY_PATH: PATH, LOG_LEVEL: 'INFO' });
  handlerLines = await denialLinesFromHandler(REQUESTS);

  await logs.send(new CreateLogGroupCommand({ logGroupName: GROUP })).catch(() => undefined);
  await logs.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: '2026/11/29/[$LATEST]abc' })).catch(() => undefined);
  const now = Date.now();
  const messages = [
    ...handlerLines,
    '{"level":"ERROR","message":"policy refresh failed; serving the last good policies"}',
    'not json, but mentions preflight denied',
  ];
  await logs.send(
    new PutLogEventsCommand({
      logGroupName: GROUP,
      logStreamName: '2026/11/29/[$LATEST]abc',
      logEvents: messages.map((message, i) => ({ timestamp: now - 60_000 + i, message })),
    }),
  );
});

afterAll(async () => {
  process.env = saved;
  client?.destroy();
  logs?.destroy();
  await removeDir(home);
  await releaseBuilt();
});

async function report(args: string[]): Promise<Report> {
  const run = await runCli(['denials', ...args, '--json'], { env });
  expect([run.code, run.stderr]).toEqual([0, '']);
  return JSON.parse(run.stdout) as Report;
}

test('the handler wrote one denial line per denied preflight, each carrying its metrics', () => {
  const denials = handlerLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.message === 'preflight denied');
  expect(denials).toHaveLength(5);
  for (const d of denials) expect(d).toMatchObject({ PreflightsDenied: 1, _aws: expect.any(Object) });
});

test('from CloudWatch Logs: top denied with counts and times, the verdict and a suggested fix from Parameter Store', async () => {
  const r = await report(['--log-group', GROUP, '--since', '10m', '--path', PATH]);
  expect(r.source).toMatchObject({ logGroup: GROUP });
  expect(r.pages).toBe(1);
  expect(r.truncated).toBe(false);
  // The text line that mentions the denial message is not one our functions write: foreign, not a denial.
  expect(r.lines).toEqual({ read: 6, denials: 5, foreign: 1, other: 0, malformed: 0, outsideWindow: 0 });
  expect(r.groups).toBe(3);
  const [admin] = r.top;
  const header = r.top.find((g) => g.reason === 'header_not_allowed');
  const orders = r.top.find((g) => g.reason === 'no_route_policy');
  expect(admin).toMatchObject({
    origin: 'https://admin.example.com',
    route: '/products, /products/{id}',
    reason: 'origin_not_allowed',
    count: 3,
    now: { denied: true, reason: 'origin_not_allowed' },
  });
  expect(admin!.firstSeen! <= admin!.lastSeen!).toBe(true);
  expect(admin!.typical).toEqual({ method: 'PUT', path: '/products/42', requestHeaders: 'content-type' });
  expect(admin!.suggestion!.fixes).toEqual([
    expect.objectContaining({ policy: `${PATH}/products`, field: 'allowOrigins', value: 'https://admin.example.com' }),
  ]);
  expect(header).toMatchObject({ origin: 'https://shop.example.com', reason: 'header_not_allowed', count: 1 });
  expect(header!.suggestion!.fixes).toEqual([expect.objectContaining({ field: 'allowHeaders', value: 'x-debug' })]);
  expect(orders).toMatchObject({ route: null, reason: 'no_route_policy', suggestion: { fixes: [expect.objectContaining({ policy: `${PATH}/orders` })] } });
});

test('human output: one block per group, the suggestion marked as such', async () => {
  const run = await runCli(['denials', '--log-group', GROUP, '--path', PATH], { env });
  expect(run.code).toBe(0);
  expect(run.stdout).toContain(`Denied preflights in log group ${GROUP}`);
  expect(run.stdout).toMatch(/ 1\. 3 x origin_not_allowed {2}origin https:\/\/admin\.example\.com {2}route \/products, \/products\/\{id\}/);
  expect(run.stdout).toMatch(
    /suggestion, if this request should pass \(is https:\/\/admin\.example\.com yours\?\): add "https:\/\/admin\.example\.com" to allowOrigins/,
  );
});

test('hostile log values reach the terminal escaped and clipped; forged lines are counted as foreign, never as denials', async () => {
  const dir = await tempDir('denials-hostile', { 'policies/products.json': POLICIES.products });
  const file = join(dir, 'hostile.jsonl');
  const base = JSON.parse(handlerLines[0]!) as Record<string, unknown>;
  const hostile = [
    // Written as our function would, with values an attacker chose: ESC sequences, bidi controls, C1, a huge origin.
    JSON.stringify({ ...base, origin: 'https://x.example\u001b[2J\u001b]0;owned\u0007', requestHeaders: 'x-a\u202e\u2066' }),
    JSON.stringify({ ...base, path: '/products/1\u009b31m\u202d', method: 'PUT\u001b[1A' }),
    JSON.stringify({ ...base, origin: `https://${'a'.repeat(806_000)}.example` }),
    // Forgeries: a text prefix, a Lambda message wrapper, an unknown reason, an unknown service.
    `2026-11-29T21:00:00.000Z\tr\tINFO\t${handlerLines[0]}`,
    JSON.stringify({ timestamp: '2026-11-29T21:00:00Z', level: 'INFO', requestId: 'r', message: handlerLines[0] }),
    JSON.stringify({ ...base, reason: '\u001b[2Jpwned' }),
    JSON.stringify({ ...base, service: 'my-api' }),
  ];
  await writeFile(file, hostile.join('\n'));
  try {
    const run = await runCli(['denials', '--file', file, '--dir', join(dir, 'policies')], { env });
    expect([run.code, run.stderr]).toEqual([0, '']);
    // No control, bidi or format character reaches the terminal; the escapes show they were there.
    expect(run.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/);
    expect(run.stdout).toContain('\\x1b[2J');
    expect(run.stdout).toContain('\\u202e');
    // One 806 KB origin: clipped with a marker naming its length, the whole report a few KB.
    expect(run.stdout).toMatch(/\.\.\.\[clipped: 806016 chars\]/);
    expect(run.stdout.length).toBeLessThan(20_000);
    expect(run.stdout).toContain('3 denials in 3 groups');
    expect(run.stdout).toContain('4 foreign lines mention "preflight denied" but are not the line the preflight function or the layer writes');
    expect(run.stdout).not.toContain('pwned');
  } finally {
    await removeDir(dir);
  }
});

test('FilterLogEvents is paged until the end', async () => {
  const seen: string[] = [];
  const result = await readLogEvents(
    logs,
    { logGroup: GROUP, startTime: Date.now() - 600_000, filterPattern: '"preflight denied"', pageSize: 2, pauseMs: 1 },
    (m) => seen.push(m),
  );
  expect(result.pages).toBeGreaterThanOrEqual(3);
  expect(result.truncated).toBe(false);
  expect(seen.filter((m) => m.includes('"preflight denied"'))).toHaveLength(5);
});

test('a missing log group is one error line with what to check, exit 2', async () => {
  const run = await runCli(['denials', '--log-group', '/aws/lambda/nope'], { env });
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/^cors-policy denials: error: FilterLogEvents \/aws\/lambda\/nope failed: ResourceNotFoundException.* - no such log group/);
});

test('from a file of exported lines with foreign and malformed lines: skipped and counted, checked against policy files', async () => {
  const dir = await tempDir('denials-file', { 'policies/products.json': POLICIES.products });
  const file = join(dir, 'export.jsonl');
  // An exported CloudWatch event holds the line as it is; a Lambda JSON-format wrapper (console.log of a copy) does not count.
  const exported = JSON.stringify({
    logStreamName: 's',
    timestamp: 1_796_000_000_000,
    message: handlerLines[0],
    ingestionTime: 1_796_000_000_001,
    eventId: '1',
  });
  const forged = JSON.stringify({ timestamp: '2026-11-29T21:00:00Z', level: 'INFO', requestId: 'r', message: handlerLines[0] });
  await writeFile(
    file,
    [...handlerLines, exported, forged, 'START RequestId: 1 Version: $LATEST', '{"type":"platform.report"}', '{"broken', '', '\u0000\u0001binary'].join('\n'),
  );
  try {
    const r = await report(['--file', file, '--dir', join(dir, 'policies')]);
    expect(r.lines).toEqual({ read: 11, denials: 6, foreign: 1, other: 1, malformed: 3, outsideWindow: 0 });
    expect(r.top[0]).toMatchObject({ origin: 'https://admin.example.com', count: 4 });
    expect(r.top[0]!.suggestion!.fixes[0]).toMatchObject({ policy: join(dir, 'policies', 'products.json') });
  } finally {
    await removeDir(dir);
  }
});

test('usage errors: exactly one source, a readable --since', async () => {
  for (const args of [[], ['--file', 'a', '--log-group', 'b'], ['--log-group', 'g', '--since', 'last week']]) {
    const run = await runCli(['denials', ...args], { env });
    expect([args, run.code]).toEqual([args, 2]);
  }
});
