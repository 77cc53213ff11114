// Bounded logs (issue 22): every request value logged is clipped at every
// level, DEBUG included, and no line the functions write exceeds 4 KB
// (MAX_LINE_BYTES, UTF-8, JSON escapes counted) whatever the request.
import { GetParameterHistoryCommand, GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { resetDefaultStore } from '../../functions/aws/default-store';
import { MAX_LINE_BYTES, createLogger } from '../../functions/aws/logger';
import { withCors } from '../../functions/layer/index';
import { handler } from '../../functions/preflight/handler';
import { httpEvent, preflightHeadersV1, preflightHeadersV2, restEvent } from '../support/apigw-events';
import { captureStdout, parameters, type CapturedLogs } from '../support/ssm-mock';

const KB60 = 60 * 1024;
const hostilePath = (c = 'a') => `/${c.repeat(KB60)}`;
const hostileOrigin = `https://${'a'.repeat(KB60)}.example.com`;

const ssm = mockClient(SSMClient);
let logs: CapturedLogs;

beforeEach(() => {
  ssm.reset();
  ssm.on(GetParametersByPathCommand).resolves({
    Parameters: parameters({
      '/test/log-bounds/all': { route: '/{proxy+}', allowOrigins: ['*'], allowMethods: ['GET'], allowHeaders: ['x-a'] },
      // A policy value Parameter Store would hold (4 KB) that does not validate: its problem line quotes the value.
      '/test/log-bounds/broken': `{"route": "/broken", "allowOrigins": ["${'\u0001'.repeat(3900)}"], "allowMethods": ["GET"]}`,
    }),
  });
  ssm.on(GetParameterHistoryCommand).resolves({ Parameters: [] });
  process.env.CORS_POLICY_PATH = '/test/log-bounds';
  process.env.LOG_LEVEL = 'DEBUG';
  resetDefaultStore();
  logs = captureStdout();
});

afterEach(() => {
  logs.restore();
  delete process.env.LOG_LEVEL;
});

afterAll(() => {
  ssm.restore();
  resetDefaultStore();
});

/** Every line written so far, each within the bound; returns them parsed. */
function boundedLines(): Array<Record<string, unknown>> {
  const raw = logs.raw().split('\n').filter(Boolean);
  expect(raw.length).toBeGreaterThan(0);
  for (const line of raw) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_LINE_BYTES);
  return logs.lines();
}

const v1Preflight = (path: string, origin: string, requestHeaders?: string) => ({
  ...restEvent({ method: 'OPTIONS', resource: '/{proxy+}', pathParameters: { proxy: path.slice(1) } }),
  headers: {},
  multiValueHeaders: preflightHeadersV1(origin, 'GET', requestHeaders),
});

describe('the preflight function at DEBUG, with 60 KB path and origin', () => {
  test('"preflight allowed": the path is clipped, saying how long it was', async () => {
    const res = await handler(v1Preflight(hostilePath(), 'https://app.example.com'), { awsRequestId: 'r1' } as Context);
    expect(res.statusCode).toBe(204);
    const line = boundedLines().find((l) => l.message === 'preflight allowed');
    expect(line?.path).toMatch(/^\/a+\.\.\.\(61441 chars\)$/);
    expect(String(line?.path).length).toBeLessThan(300);
  });

  test('"not a preflight": path and origin clipped', async () => {
    const event = httpEvent({
      routeKey: 'OPTIONS /{proxy+}',
      rawPath: hostilePath(),
      pathParameters: { proxy: hostilePath().slice(1) },
      headers: { origin: hostileOrigin },
    });
    const res = await handler(event, { awsRequestId: 'r2' } as Context);
    expect(res.statusCode).toBe(204);
    const line = boundedLines().find((l) => l.message === 'not a preflight');
    expect(String(line?.path).length).toBeLessThan(300);
    expect(String(line?.origin)).toMatch(/\.\.\.\(61460 chars\)$/);
  });

  test('"preflight denied": path, origin and request headers clipped', async () => {
    const event = v1Preflight(hostilePath(), hostileOrigin, 'x-a,'.repeat(15000));
    const res = await handler(event, { awsRequestId: 'r3' } as Context);
    expect(res.statusCode).toBe(403);
    const line = boundedLines().find((l) => l.message === 'preflight denied');
    expect(line).toBeDefined();
    // Each value clipped to its first 256 characters plus the marker with its full length (clip in functions/aws/preflight-response.ts).
    const sent = { path: hostilePath(), origin: hostileOrigin, requestHeaders: 'x-a,'.repeat(15000) };
    for (const [field, value] of Object.entries(sent)) {
      expect({ field, logged: line?.[field] }).toEqual({ field, logged: `${value.slice(0, 256)}...(${value.length} chars)` });
      expect(String(line?.[field]).length).toBeLessThan(300);
    }
  });

  test('control characters, which JSON writes as 6 bytes each, and multi-byte characters stay within the bound', async () => {
    for (const c of ['\u0001', '\u20ac', '\u{1f600}']) {
      await handler(v1Preflight(hostilePath(c), 'https://app.example.com'), { awsRequestId: 'r4' } as Context);
      await handler(v1Preflight(hostilePath(c), `https://${c.repeat(KB60)}`), { awsRequestId: 'r5' } as Context);
    }
    expect(boundedLines().filter((l) => l.message === 'preflight denied' || l.message === 'preflight allowed')).toHaveLength(6);
  });

  test('the "policy rejected" line of a 4 KB invalid value stays within the bound', async () => {
    await handler(v1Preflight('/x', 'https://app.example.com'), { awsRequestId: 'r6' } as Context);
    const rejected = boundedLines().filter((l) => l.message === 'policy rejected');
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected[0]?.parameter).toBe('/test/log-bounds/broken');
  });
});

describe('the layer at DEBUG, with 60 KB path and origin', () => {
  test('a preflight withCors answers and an actual response: every line within the bound', async () => {
    const wrapped = withCors(async () => ({ statusCode: 200, headers: { 'Access-Control-Allow-Origin': '*' }, body: 'ok' }));
    const preflight = httpEvent({
      routeKey: 'OPTIONS /{proxy+}',
      rawPath: hostilePath(),
      pathParameters: { proxy: hostilePath().slice(1) },
      headers: preflightHeadersV2('https://app.example.com', 'GET'),
    });
    expect((await wrapped(preflight, {} as Context))?.statusCode).toBe(204);
    const denied = httpEvent({
      routeKey: 'OPTIONS /{proxy+}',
      rawPath: '/x',
      pathParameters: { proxy: 'x' },
      headers: preflightHeadersV2(hostileOrigin, 'GET'),
    });
    expect((await wrapped(denied, {} as Context))?.statusCode).toBe(403);
    const get = httpEvent({
      routeKey: 'GET /{proxy+}',
      rawPath: hostilePath(),
      pathParameters: { proxy: hostilePath().slice(1) },
      headers: { origin: hostileOrigin },
    });
    expect((await wrapped(get, {} as Context))?.statusCode).toBe(200);
    const lines = boundedLines();
    expect(lines.map((l) => l.message)).toEqual(expect.arrayContaining(['preflight allowed', 'preflight denied']));
  });
});

describe('the logger bounds every line, whatever the fields', () => {
  const collect = () => {
    const lines: string[] = [];
    return { lines, logger: createLogger({ service: 't', env: { LOG_LEVEL: 'DEBUG' }, write: (l) => lines.push(l.trimEnd()) }) };
  };

  test.each(['debug', 'info', 'warn', 'error'] as const)('%s: a 60 KB field, forty 1 KB fields, a long list, a long error', (level) => {
    const { lines, logger } = collect();
    logger[level]('one long field', { path: 'p'.repeat(KB60) });
    logger[level]('many fields', Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f${i}`, '\u0001'.repeat(1024)])));
    logger[level]('a long list', { route: Array.from({ length: 500 }, (_, i) => `/r${i}/${'x'.repeat(100)}`) });
    logger[level]('an error', { error: new Error('e'.repeat(KB60), { cause: new Error('c'.repeat(KB60)) }) });
    logger[level]('a long message'.repeat(1000));
    expect(lines).toHaveLength(5);
    for (const line of lines) {
      expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_LINE_BYTES);
      expect(JSON.parse(line)).toMatchObject({ level: level.toUpperCase(), service: 't' });
    }
    expect(JSON.parse(lines[0] as string).path).toBe(`${'p'.repeat(256)}...(${KB60} chars)`);
    expect(JSON.parse(lines[2] as string).route).toHaveLength(17);
    expect(JSON.parse(lines[3] as string).error.message).toMatch(/\.\.\.\(61440 chars\)$/);
  });

  test('a line within the bound is written exactly as before', () => {
    const { lines, logger } = collect();
    const fields = { path: '/products/42', origin: 'https://shop.example.com', list: ['a', 'b'] };
    logger.info('preflight denied', fields);
    expect(JSON.parse(lines[0] as string)).toEqual({ timestamp: expect.any(String), level: 'INFO', service: 't', message: 'preflight denied', ...fields });
  });
});
