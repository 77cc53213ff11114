/**
 * The API Gateway emulator of the local stack: the events it builds must have
 * the shapes API Gateway sends (and be read correctly by the product's own
 * event adapter), and function results must come back as API Gateway would
 * send them, including its refusals of malformed results.
 */
import { join } from 'node:path';
import { corsRequestFromEvent, type ApiGatewayEvent } from '../../functions/aws/event';
import { httpApiEvent, httpApiResponse, restEvent, restResponse, type HttpRequestInfo } from '../../scripts/local/events';
import { close, createGateway, listen } from '../../scripts/local/gateway';
import { LambdaFunction } from '../../scripts/local/lambda';
import { Recorder } from '../../scripts/local/recorder';

function req(method: string, url: string, headers: Array<[string, string]>, body = ''): HttpRequestInfo {
  return { method, url, rawHeaders: headers.flat(), body: Buffer.from(body), sourceIp: '127.0.0.1', httpVersion: '1.1' };
}

const preflightHeaders: Array<[string, string]> = [
  ['Host', 'api.example.test:3000'],
  ['Origin', 'http://app.example.test:3001'],
  ['Access-Control-Request-Method', 'PUT'],
  ['Access-Control-Request-Headers', 'content-type'],
  ['access-control-request-headers', 'x-trace-id'],
];

describe('REST (payload v1) events', () => {
  it('keeps the client casing, the last value in headers and every value in multiValueHeaders', () => {
    const e = restEvent(req('OPTIONS', '/products/42', preflightHeaders));
    expect(e.headers).toMatchObject({ Origin: 'http://app.example.test:3001', 'Access-Control-Request-Headers': 'x-trace-id' });
    expect((e.multiValueHeaders as Record<string, string[]>)['Access-Control-Request-Headers']).toEqual(['content-type', 'x-trace-id']);
    expect(e).toMatchObject({
      resource: '/{proxy+}',
      path: '/products/42',
      httpMethod: 'OPTIONS',
      pathParameters: { proxy: 'products/42' },
      queryStringParameters: null,
      body: null,
      isBase64Encoded: false,
    });
    expect(e.requestContext).toMatchObject({
      resourcePath: '/{proxy+}',
      stage: 'local',
      path: '/local/products/42',
      httpMethod: 'OPTIONS',
      identity: { sourceIp: '127.0.0.1' },
    });
  });

  it('is read by the product adapter as the browser sent it, split header lines joined', () => {
    const cors = corsRequestFromEvent(restEvent(req('OPTIONS', '/products/42?x=1', preflightHeaders)) as unknown as ApiGatewayEvent);
    expect(cors).toEqual({
      method: 'OPTIONS',
      path: '/products/42',
      origin: 'http://app.example.test:3001',
      requestMethod: 'PUT',
      requestHeaders: 'content-type,x-trace-id',
    });
  });

  it('routes the root to resource / without path parameters', () => {
    const e = restEvent(req('GET', '/', [['Host', 'h']]));
    expect(e).toMatchObject({ resource: '/', path: '/', pathParameters: null });
    expect(corsRequestFromEvent(e as unknown as ApiGatewayEvent).path).toBe('/');
  });

  it('decodes query parameters into single and multi-value maps', () => {
    const e = restEvent(req('GET', '/a?k=1&k=2&s=a+b%21', [['Host', 'h']]));
    expect(e.queryStringParameters).toEqual({ k: '2', s: 'a b!' });
    expect(e.multiValueQueryStringParameters).toEqual({ k: ['1', '2'], s: ['a b!'] });
  });
});

describe('HTTP API (payload v2) events', () => {
  it('lower-cases header names, joins repeated headers with commas and names the route', () => {
    const e = httpApiEvent(req('OPTIONS', '/products/42', preflightHeaders));
    expect(e).toMatchObject({
      version: '2.0',
      routeKey: 'OPTIONS /{proxy+}',
      rawPath: '/products/42',
      rawQueryString: '',
      pathParameters: { proxy: 'products/42' },
      isBase64Encoded: false,
    });
    expect(e.headers).toMatchObject({ origin: 'http://app.example.test:3001', 'access-control-request-headers': 'content-type,x-trace-id' });
    expect(e).not.toHaveProperty('multiValueHeaders');
    expect(e.requestContext).toMatchObject({ http: { method: 'OPTIONS', path: '/products/42' }, routeKey: 'OPTIONS /{proxy+}', stage: '$default' });
    expect(corsRequestFromEvent(e as unknown as ApiGatewayEvent)).toMatchObject({ path: '/products/42', requestHeaders: 'content-type,x-trace-id' });
  });

  it('moves cookies out of the headers into the cookies array', () => {
    const e = httpApiEvent(
      req('GET', '/a?x=1&x=2', [
        ['Host', 'h'],
        ['Cookie', 'a=1; b=2'],
      ]),
    );
    expect(e.cookies).toEqual(['a=1', 'b=2']);
    expect(e.headers).not.toHaveProperty('cookie');
    expect(e).toMatchObject({ routeKey: 'ANY /{proxy+}', rawQueryString: 'x=1&x=2', queryStringParameters: { x: '1,2' } });
  });

  it('routes the root to its own route and base64-encodes binary bodies', () => {
    const e = httpApiEvent(
      req(
        'POST',
        '/',
        [
          ['Host', 'h'],
          ['Content-Type', 'application/octet-stream'],
        ],
        'raw',
      ),
    );
    expect(e).toMatchObject({ routeKey: 'ANY /', body: Buffer.from('raw').toString('base64'), isBase64Encoded: true });
    expect(e).not.toHaveProperty('pathParameters');
    expect(corsRequestFromEvent(e as unknown as ApiGatewayEvent).path).toBe('/');
  });
});

describe('function results turned into HTTP responses', () => {
  it('v1: multiValueHeaders win over headers of the same name, whatever the case', () => {
    const out = restResponse({ statusCode: 200, headers: { Vary: 'Origin', 'X-A': '1' }, multiValueHeaders: { vary: ['Accept', 'Origin'] }, body: 'ok' });
    expect(out.statusCode).toBe(200);
    expect([...out.headers].sort()).toEqual([
      ['Content-Type', 'application/json'],
      ['X-A', '1'],
      ['vary', 'Accept'],
      ['vary', 'Origin'],
    ]);
    expect(out.body.toString()).toBe('ok');
  });

  it('v1: refuses a number as a header value, or a missing statusCode, with 502', () => {
    for (const bad of [{ statusCode: 200, headers: { 'Access-Control-Max-Age': 600 } }, { body: 'x' }, 'text', { statusCode: 200, body: { a: 1 } }]) {
      const out = restResponse(bad);
      expect(out.statusCode).toBe(502);
      expect(JSON.parse(out.body.toString())).toEqual({ message: 'Internal server error' });
      expect(out.gatewayError).toMatch(/^Malformed Lambda proxy response/);
    }
  });

  it('v1: decodes a base64 body', () => {
    expect(restResponse({ statusCode: 200, body: Buffer.from([0, 1, 2]).toString('base64'), isBase64Encoded: true }).body).toEqual(Buffer.from([0, 1, 2]));
  });

  it('v2: a result without statusCode is a 200 JSON response', () => {
    expect(httpApiResponse({ ok: true })).toMatchObject({ statusCode: 200, headers: [['Content-Type', 'application/json']], body: Buffer.from('{"ok":true}') });
    expect(httpApiResponse('plain').statusCode).toBe(200);
  });

  it('v2: cookies become Set-Cookie headers; a non-string header value is refused', () => {
    expect(httpApiResponse({ statusCode: 201, headers: { a: 'b' }, cookies: ['x=1', 'y=2'] }).headers).toEqual([
      ['a', 'b'],
      ['Set-Cookie', 'x=1'],
      ['Set-Cookie', 'y=2'],
    ]);
    const bad = httpApiResponse({ statusCode: 200, headers: { 'content-length': 3 } });
    expect(bad.statusCode).toBe(500);
    expect(bad.gatewayError).toMatch(/^Malformed Lambda proxy response/);
  });
});

describe('the gateway server with functions in worker threads', () => {
  const handlerFile = join(__dirname, 'fixtures', 'scripted-handler.cjs');
  const servers: Array<{ stop: () => Promise<void> }> = [];
  afterAll(async () => {
    for (const s of servers) await s.stop();
  });

  async function start(payload: 'v1' | 'v2', env: Record<string, string> = {}) {
    const preflight = new LambdaFunction({ name: 'preflight', handlerFile, env: { ROLE: 'preflight', ...env }, timeoutMs: 2000 });
    const api = new LambdaFunction({ name: 'api', handlerFile, env: { ROLE: 'api', ...env }, timeoutMs: 2000 });
    const recorder = new Recorder();
    const server = createGateway({ payload, preflight, api, recorder });
    const port = await listen(server, 0);
    const stop = async () => {
      await close(server);
      await preflight.stop();
      await api.stop();
    };
    servers.push({ stop });
    return { base: `http://127.0.0.1:${port}`, recorder, preflight, api };
  }

  it.each(['v1', 'v2'] as const)(
    '%s: sends OPTIONS to the preflight function and other methods to the API function, each with its own environment',
    async (payload) => {
      const { base, recorder } = await start(payload);
      const options = await fetch(`${base}/env?name=ROLE`, { method: 'OPTIONS' });
      const get = await fetch(`${base}/env?name=ROLE`);
      expect(await options.text()).toBe('preflight');
      expect(await get.text()).toBe('api');
      expect(recorder.records().map((r) => [r.kind, r.function, r.status])).toEqual([
        ['options', 'preflight', 200],
        ['actual', 'api', 200],
      ]);
    },
  );

  it.each([
    ['v1', 502, 'Internal server error'],
    ['v2', 500, 'Internal Server Error'],
  ] as const)('%s: answers %i when the function throws or returns a malformed result', async (payload, status, message) => {
    const { base, recorder } = await start(payload);
    const thrown = await fetch(`${base}/throw`);
    expect(thrown.status).toBe(status);
    expect(await thrown.json()).toEqual({ message });
    const malformed = await fetch(`${base}/result?r=${encodeURIComponent(JSON.stringify({ statusCode: 200, headers: { 'x-n': 1 } }))}`);
    expect(malformed.status).toBe(status);
    expect(recorder.records().map((r) => r.gatewayError)).toEqual([
      expect.stringContaining('scripted failure'),
      expect.stringContaining('Malformed Lambda proxy response'),
    ]);
  });

  it('answers 504 when the function does not answer in time, and counts preflights per origin and path', async () => {
    const { base, recorder } = await start('v2');
    expect((await fetch(`${base}/hang`)).status).toBe(504);
    const preflight = { Origin: 'http://a.example.test', 'Access-Control-Request-Method': 'PUT' };
    await fetch(`${base}/echo`, { method: 'OPTIONS', headers: preflight });
    await fetch(`${base}/echo`, { method: 'OPTIONS', headers: preflight });
    await fetch(`${base}/echo`, { method: 'OPTIONS', headers: { ...preflight, Origin: 'http://b.example.test' } });
    expect(recorder.preflights({ path: '/echo', origin: 'http://a.example.test' })).toBe(2);
    expect(recorder.preflights({ path: '/echo' })).toBe(3);
    expect(recorder.preflights({ origin: 'http://b.example.test' })).toBe(1);
    const stats = (await (await fetch(`${base}/__local/stats`)).json()) as { counts: { preflight: Record<string, number> } };
    expect(stats.counts.preflight).toEqual({ 'http://a.example.test /echo': 2, 'http://b.example.test /echo': 1 });
    const last = await (await fetch(`${base}/__local/last-preflight?path=/echo&origin=http://b.example.test`)).json();
    expect(last).toMatchObject({ kind: 'preflight', origin: 'http://b.example.test', requestMethod: 'PUT', status: 200 });
  });

  it('counts the timeout from the handler call, as Lambda does: a slow init phase is not a timeout', async () => {
    const { base, api } = await start('v1', { INIT_DELAY_MS: '1500' });
    const res = await fetch(`${base}/env?name=ROLE`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('api');
    expect(api.stats).toEqual({ invocations: 1, errors: 0, coldStarts: 1 });
  });

  it('keeps one execution environment per function: a cold start once, then warm invocations', async () => {
    const { base, api } = await start('v1');
    for (let i = 0; i < 3; i++) await (await fetch(`${base}/echo`)).text();
    expect(api.stats).toEqual({ invocations: 3, errors: 0, coldStarts: 1 });
  });
});
