/**
 * Nothing leaks between invocations: concurrent and sequential requests with
 * different origins only ever see their own origin echoed, and a caller (or
 * API Gateway integration code) mutating a returned headers object cannot
 * change what later requests receive.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { actualResponseHeaders, compilePolicySet, decidePreflight } from '../../functions/core';
import { resetDefaultStore } from '../../functions/aws/default-store';
import { corsHeaders, withCors } from '../../functions/layer/index';
import { handler } from '../../functions/preflight/handler';
import { httpApiEvent, restApiEvent } from '../support/apigw-events';

const PATH = '/test/reliability-no-state-leak';
const POLICIES = {
  [`${PATH}/shop`]: {
    route: ['/products/{id}', '/products'],
    allowOrigins: ['https://*.example.com'],
    allowMethods: ['GET', 'PUT'],
    allowHeaders: ['content-type', 'x-trace'],
    exposeHeaders: ['etag'],
    allowCredentials: true,
    maxAge: 600,
  },
  [`${PATH}/public`]: { route: '/public/{path+}', allowOrigins: ['*'], allowMethods: ['GET'], exposeHeaders: ['x-total'] },
};
const set = compilePolicySet(Object.entries(POLICIES).map(([source, p]) => ({ source, value: JSON.stringify(p), type: 'String' })));
const source = { current: async () => set };

const ssm = mockClient(SSMClient);
const savedEnv = { ...process.env };

beforeAll(() => {
  process.env.CORS_POLICY_PATH = PATH;
  process.env.AWS_REGION = 'us-east-1';
  process.env.LOG_LEVEL = 'ERROR';
});
beforeEach(() => {
  ssm.reset();
  ssm
    .on(GetParametersByPathCommand)
    .resolves({ Parameters: Object.entries(POLICIES).map(([Name, p]) => ({ Name, Value: JSON.stringify(p), Type: 'String' })) });
  resetDefaultStore();
});
afterAll(() => {
  ssm.restore();
  resetDefaultStore();
  process.env = savedEnv;
});

interface Case {
  origin: string;
  /** The ACAO this request alone must get; undefined when it must get none. */
  expectAcao: string | undefined;
  event: APIGatewayProxyEvent | APIGatewayProxyEventV2;
}

function event(v: 1 | 2, method: string, proxy: string, headers: Record<string, string>): APIGatewayProxyEvent | APIGatewayProxyEventV2 {
  if (v === 2) return httpApiEvent({ routeKey: `${method} /{proxy+}`, rawPath: `/${proxy}`, headers, pathParameters: { proxy } });
  return restApiEvent({ method, path: `/${proxy}`, headers, multiValueHeaders: null, pathParameters: { proxy } });
}

/** Request i: an allowed subdomain, an allowed public route, a denied origin or no Origin at all, alternating payload versions. */
function preflightCase(i: number): Case {
  const v = ((i % 2) + 1) as 1 | 2;
  switch (i % 4) {
    case 0: {
      const origin = `https://u${i}.example.com`;
      return {
        origin,
        expectAcao: origin,
        event: event(v, 'OPTIONS', `products/${i}`, { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' }),
      };
    }
    case 1: {
      const origin = `https://anyone-${i}.test`;
      return { origin, expectAcao: '*', event: event(v, 'OPTIONS', `public/${i}`, { origin, 'access-control-request-method': 'GET' }) };
    }
    case 2: {
      const origin = `https://evil-${i}.test`;
      return { origin, expectAcao: undefined, event: event(v, 'OPTIONS', `products/${i}`, { origin, 'access-control-request-method': 'PUT' }) };
    }
    default:
      return { origin: '', expectAcao: undefined, event: event(v, 'OPTIONS', `products/${i}`, {}) };
  }
}

function checkOwn(c: Case, headers: Record<string, unknown> | undefined): void {
  expect(headers?.['Access-Control-Allow-Origin']).toBe(c.expectAcao);
  // Another request's origin must appear nowhere in this response.
  const others = Object.values(headers ?? {}).filter((v) => typeof v === 'string' && /https:\/\/(u|anyone-|evil-)\d+\./.test(v) && v !== c.origin);
  expect(others).toEqual([]);
  if (c.expectAcao === c.origin) expect(headers?.['Access-Control-Allow-Credentials']).toBe('true');
  else expect(headers?.['Access-Control-Allow-Credentials']).toBeUndefined();
}

describe('the preflight function', () => {
  const N = 400;

  it(`answers ${N} concurrent invocations with different origins, each with only its own origin, from one policy load`, async () => {
    const cases = Array.from({ length: N }, (_, i) => preflightCase(i));
    const results = await Promise.all(cases.map((c) => handler(c.event)));
    results.forEach((res, i) => {
      checkOwn(cases[i]!, res.headers);
    });
    // Every answer has its own headers object: nothing shared that one caller could change for another.
    expect(new Set(results.map((r) => r.headers)).size).toBe(N);
    // The cold start's concurrent requests share one refresh instead of stampeding Parameter Store.
    expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(1);
  });

  it(`answers ${N} sequential invocations with different origins, each with only its own origin`, async () => {
    for (let i = 0; i < N; i++) {
      const c = preflightCase(i);
      checkOwn(c, (await handler(c.event)).headers);
    }
  });

  it('is not affected by a caller mutating earlier responses', async () => {
    const allowed = preflightCase(0);
    const first = await handler(allowed.event);
    const expected = structuredClone(first);
    for (const c of [allowed, preflightCase(1), preflightCase(2), preflightCase(3)]) {
      const res = await handler(c.event);
      res.headers['Access-Control-Allow-Origin'] = 'https://evil.com';
      res.headers['Access-Control-Allow-Methods'] = 'DELETE';
      res.headers['X-Injected'] = 'yes';
      delete (res.headers as Record<string, string | undefined>).Vary;
      res.statusCode = 500;
      res.body = 'changed';
    }
    expect(await handler(allowed.event)).toEqual(expected);
    checkOwn(preflightCase(2), (await handler(preflightCase(2).event)).headers);
    expect((await handler(preflightCase(3).event)).headers).toEqual({ Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers' });
  });
});

describe('the engine', () => {
  it('returns a fresh headers object from every decision, so mutating one changes no later decision', () => {
    const request = { method: 'OPTIONS', path: '/products/1', origin: 'https://a.example.com', requestMethod: 'PUT', requestHeaders: undefined };
    const first = decidePreflight(set, request);
    if (first.kind !== 'allowed') throw new Error('expected allowed');
    const snapshot = { ...first.headers };
    first.headers['Access-Control-Allow-Origin'] = 'https://evil.com';
    first.headers['Access-Control-Allow-Headers'] = '*';
    const second = decidePreflight(set, { ...request, origin: 'https://b.example.com' });
    expect(second.kind === 'allowed' && second.headers).toEqual({ ...snapshot, 'Access-Control-Allow-Origin': 'https://b.example.com' });
    expect(decidePreflight(set, request)).toMatchObject({ headers: snapshot });

    const actual = actualResponseHeaders(set, { method: 'GET', path: '/products/1', origin: 'https://a.example.com' });
    const actualSnapshot = { ...actual.headers };
    actual.headers['Access-Control-Expose-Headers'] = 'set-cookie';
    actual.headers.Vary = 'Accept';
    expect(actualResponseHeaders(set, { method: 'GET', path: '/products/1', origin: 'https://a.example.com' }).headers).toEqual(actualSnapshot);
    const denied = actualResponseHeaders(set, { method: 'GET', path: '/products/1', origin: 'https://evil.com' });
    denied.headers['Access-Control-Allow-Origin'] = 'https://evil.com';
    expect(actualResponseHeaders(set, { method: 'GET', path: '/products/1', origin: 'https://evil.com' }).headers).toEqual({ Vary: 'Origin' });
  });
});

describe('the layer', () => {
  const N = 300;
  const context = {} as Context;
  /** A common mistake in application code: one module-level headers object returned by every response. */
  const SHARED_HEADERS = Object.freeze({ 'Content-Type': 'application/json', Vary: 'Accept-Encoding' });

  function actualCase(i: number): Case {
    const c = preflightCase(i);
    const headers = { ...(c.event as { headers: Record<string, string> }).headers };
    delete headers['access-control-request-method'];
    delete headers['access-control-request-headers'];
    const proxy = (c.event.pathParameters as { proxy: string }).proxy;
    return { ...c, event: event(((i % 2) + 1) as 1 | 2, 'GET', proxy, headers) };
  }

  it(`gives ${N} concurrent wrapped responses only their own origin, without touching the handler's shared headers object`, async () => {
    const wrapped = withCors(
      async (e: APIGatewayProxyEvent | APIGatewayProxyEventV2) => {
        // Interleave the invocations so that any shared state would be observed mid-flight.
        await new Promise((r) => setTimeout(r, Number((e.pathParameters as { proxy: string }).proxy.split('/')[1]) % 7));
        return { statusCode: 200, headers: SHARED_HEADERS as Record<string, string>, body: '{}' };
      },
      { source },
    );
    const cases = Array.from({ length: N }, (_, i) => actualCase(i));
    const results = (await Promise.all(cases.map((c) => wrapped(c.event as never, context)))) as Array<{ headers?: Record<string, unknown> }>;
    results.forEach((r, i) => {
      checkOwn(cases[i]!, r.headers);
      expect(r.headers?.Vary).toBe('Accept-Encoding, Origin');
    });
    expect(SHARED_HEADERS).toEqual({ 'Content-Type': 'application/json', Vary: 'Accept-Encoding' });
    expect(new Set(results.map((r) => r.headers)).size).toBe(N);
  });

  it(`gives ${N} concurrent corsHeaders calls only their own origin, and mutating one result changes no other`, async () => {
    const cases = Array.from({ length: N }, (_, i) => actualCase(i));
    const results = await Promise.all(cases.map((c) => corsHeaders(c.event, { source })));
    results.forEach((h, i) => {
      checkOwn(cases[i]!, h);
    });
    for (const h of results) h['Access-Control-Allow-Origin'] = 'https://evil.com';
    const again = await Promise.all(cases.map((c) => corsHeaders(c.event, { source })));
    again.forEach((h, i) => {
      checkOwn(cases[i]!, h);
    });
  });

  it('gives sequential calls through the default store only their own origin', async () => {
    for (let i = 0; i < 100; i++) {
      const c = actualCase(i);
      checkOwn(c, await corsHeaders(c.event));
    }
  });
});
