import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { resetDefaultStore } from '../../functions/aws/default-store';
import { compilePolicySet, type PolicySet } from '../../functions/core/policy-set';
import { corsHeaders, withCors, type PolicySource } from '../../functions/layer/index';
import { httpEvent, restEvent } from '../support/apigw-events';
import { captureStdout, parameters } from '../support/ssm-mock';

const context = {} as Context;

function sourceOf(...policies: object[]): PolicySource {
  const set = compilePolicySet(policies.map((p, i) => ({ source: `/test/layer/p${i}`, value: JSON.stringify(p) })));
  expect(set.problems).toEqual([]);
  return { current: async () => set };
}

const products = {
  route: ['/products/{id}', '/products'],
  allowOrigins: ['https://shop.example.com', 'https://*.preview.example.com'],
  allowMethods: ['GET', 'PUT'],
  exposeHeaders: ['etag', 'x-request-id'],
  allowCredentials: true,
};
const publicData = { route: '/public/{path+}', allowOrigins: ['*'], allowMethods: ['GET'] };
const source = sourceOf(products, publicData);

const restGet = (origin?: string, extra: Record<string, string> = {}) =>
  restEvent({ method: 'GET', resource: '/products/{id}', pathParameters: { id: '42' }, headers: { ...(origin ? { Origin: origin } : {}), ...extra } });
const httpGet = (origin?: string) =>
  httpEvent({ routeKey: 'GET /products/{id}', rawPath: '/products/42', pathParameters: { id: '42' }, headers: origin ? { origin } : {} });

describe('withCors on REST (payload v1) results', () => {
  it('adds the allowed origin, credentials and exposed headers from the route policy', async () => {
    const handler = withCors(async (_event: APIGatewayProxyEvent) => ({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{}' }), {
      source,
    });
    const result = await handler(restGet('https://shop.example.com'), context);
    expect(result).toEqual({
      statusCode: 200,
      body: '{}',
      headers: {
        'Content-Type': 'application/json',
        'Access-Control-Allow-Origin': 'https://shop.example.com',
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Expose-Headers': 'etag, x-request-id',
        Vary: 'Origin',
      },
    });
  });

  it('matches a wildcard subdomain and echoes that exact origin', async () => {
    const handler = withCors(async (_event: APIGatewayProxyEvent) => ({ statusCode: 200, body: '' }), { source });
    const result = await handler(restGet('https://pr-9.preview.example.com'), context);
    expect(result?.headers?.['Access-Control-Allow-Origin']).toBe('https://pr-9.preview.example.com');
  });

  it('answers * for an anonymous any-origin policy, without credentials', async () => {
    const handler = withCors(async (_event: APIGatewayProxyEvent) => ({ statusCode: 200, body: '' }), { source });
    const event = restEvent({ method: 'GET', resource: '/{proxy+}', pathParameters: { proxy: 'public/a/b.json' }, headers: { origin: 'https://anyone.test' } });
    const result = await handler(event, context);
    expect(result?.headers).toEqual({ 'Access-Control-Allow-Origin': '*', Vary: 'Origin' });
  });

  it.each([
    ['a denied origin', 'https://evil.example.org'],
    ['the apex of a wildcard', 'https://preview.example.com'],
    ['no origin at all', undefined],
  ])('adds only Vary: Origin for %s and changes nothing else', async (_label, origin) => {
    const handler = withCors(async (_event: APIGatewayProxyEvent) => ({ statusCode: 201, headers: { 'X-Thing': '1' }, body: 'created' }), { source });
    const result = await handler(restGet(origin), context);
    expect(result).toEqual({ statusCode: 201, headers: { 'X-Thing': '1', Vary: 'Origin' }, body: 'created' });
  });

  it('gives no CORS headers to a method the policy does not list', async () => {
    const handler = withCors(async (_event: APIGatewayProxyEvent) => ({ statusCode: 200, body: '' }), { source });
    const event = restEvent({ method: 'DELETE', resource: '/products/{id}', pathParameters: { id: '42' }, headers: { Origin: 'https://shop.example.com' } });
    expect((await handler(event, context))?.headers).toEqual({ Vary: 'Origin' });
  });

  it('merges Vary with the handler’s own, case-insensitively and without duplicates', async () => {
    const handler = withCors(async (_event: APIGatewayProxyEvent) => ({ statusCode: 200, headers: { vary: 'Accept-Encoding, origin' }, body: '' }), { source });
    const result = await handler(restGet('https://shop.example.com'), context);
    expect(result?.headers?.Vary).toBe('Accept-Encoding, origin');
    expect(Object.keys(result?.headers ?? {}).filter((k) => k.toLowerCase() === 'vary')).toEqual(['Vary']);
  });

  it('keeps Vary: * as it is', async () => {
    const handler = withCors(async (_event: APIGatewayProxyEvent) => ({ statusCode: 200, headers: { Vary: '*' }, body: '' }), { source });
    expect((await handler(restGet('https://shop.example.com'), context))?.headers?.Vary).toBe('*');
  });

  it('folds multiValueHeaders Vary into one value and keeps every other multi-value header', async () => {
    const handler = withCors(
      async (_event: APIGatewayProxyEvent) => ({
        statusCode: 200,
        multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'], Vary: ['Accept', 'Accept-Language'] },
        body: '',
      }),
      { source },
    );
    const result = await handler(restGet('https://shop.example.com'), context);
    expect(result?.multiValueHeaders).toEqual({ 'Set-Cookie': ['a=1', 'b=2'] });
    expect(result?.headers?.Vary).toBe('Accept, Accept-Language, Origin');
    expect(result?.headers?.['Access-Control-Allow-Origin']).toBe('https://shop.example.com');
  });

  it('replaces CORS headers the handler set with what the policy says (the policy is the source of truth)', async () => {
    const handler = withCors(
      async (_event: APIGatewayProxyEvent) => ({
        statusCode: 200,
        headers: { 'access-control-allow-origin': '*', 'Access-Control-Max-Age': '1' },
        multiValueHeaders: { 'Access-Control-Expose-Headers': ['x-secret'] },
        body: '',
      }),
      { source },
    );
    const allowed = await handler(restGet('https://shop.example.com'), context);
    expect(allowed?.headers).toEqual({
      'Access-Control-Allow-Origin': 'https://shop.example.com',
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Expose-Headers': 'etag, x-request-id',
      Vary: 'Origin',
    });
    expect(allowed?.multiValueHeaders).toEqual({});
    const denied = await handler(restGet('https://evil.example.org'), context);
    expect(denied?.headers).toEqual({ Vary: 'Origin' });
  });

  it.each([' Access-Control-Allow-Origin', 'Access-Control-Allow-Origin ', '\tAccess-Control-Allow-Credentials', ' access-control-expose-headers\t'])(
    'removes a CORS header the handler set under a name with surrounding whitespace (%j)',
    async (name) => {
      const handler = withCors(async (_event: APIGatewayProxyEvent) => ({ statusCode: 200, headers: { [name]: '*', ' Vary ': 'Accept' }, body: '' }), {
        source,
      });
      expect((await handler(restGet('https://evil.example.org'), context))?.headers).toEqual({ Vary: 'Accept, Origin' });
      const allowed = await handler(restGet('https://shop.example.com'), context);
      expect(
        Object.keys(allowed?.headers ?? {})
          .filter((k) => k.trim().toLowerCase().startsWith('access-control-'))
          .sort(),
      ).toEqual(['Access-Control-Allow-Credentials', 'Access-Control-Allow-Origin', 'Access-Control-Expose-Headers']);
      expect(allowed?.headers?.['Access-Control-Allow-Origin']).toBe('https://shop.example.com');
    },
  );

  it('gives no CORS headers to a path with dot segments, as the preflight denies it', async () => {
    const handler = withCors(async (_event: APIGatewayProxyEvent) => ({ statusCode: 200, body: '' }), { source });
    for (const proxy of ['public/../products/42', 'public/./x', 'public/%2e%2e/products/42']) {
      const event = restEvent({ method: 'GET', resource: '/{proxy+}', pathParameters: { proxy }, headers: { Origin: 'https://anyone.example' } });
      expect([proxy, (await handler(event, context))?.headers]).toEqual([proxy, { Vary: 'Origin' }]);
    }
    const clean = restEvent({ method: 'GET', resource: '/{proxy+}', pathParameters: { proxy: 'public/x' }, headers: { Origin: 'https://anyone.example' } });
    expect((await handler(clean, context))?.headers?.['Access-Control-Allow-Origin']).toBe('*');
  });

  it('routes a SAM CLI generated event (greedy parameter with a leading slash) as API Gateway routes its path', async () => {
    const handler = withCors(async (_event: APIGatewayProxyEvent) => ({ statusCode: 200, body: '' }), { source });
    const event = restEvent({
      method: 'GET',
      resource: '/{proxy+}',
      pathParameters: { proxy: '/products/42' },
      headers: { Origin: 'https://shop.example.com' },
    });
    expect((await handler(event, context))?.headers?.['Access-Control-Allow-Origin']).toBe('https://shop.example.com');
  });

  it('does not mutate the object the handler returned', async () => {
    const original = { statusCode: 200, headers: { Vary: 'Accept' }, body: '' };
    const handler = withCors(async (_event: APIGatewayProxyEvent) => original, { source });
    await handler(restGet('https://shop.example.com'), context);
    expect(original).toEqual({ statusCode: 200, headers: { Vary: 'Accept' }, body: '' });
  });
});

describe('withCors on HTTP API (payload v2) results', () => {
  it('adds the headers to a full result and keeps cookies', async () => {
    const handler = withCors(async () => ({ statusCode: 200, cookies: ['s=1'], body: 'ok' }), { source });
    const result = await handler(httpGet('https://shop.example.com'), context);
    expect(result).toEqual({
      statusCode: 200,
      cookies: ['s=1'],
      body: 'ok',
      headers: {
        'Access-Control-Allow-Origin': 'https://shop.example.com',
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Expose-Headers': 'etag, x-request-id',
        Vary: 'Origin',
      },
    });
  });

  it('turns a simplified string result into the 200 JSON response API Gateway would build, plus the headers', async () => {
    const handler = withCors(async () => 'hello', { source });
    expect(await handler(httpGet('https://shop.example.com'), context)).toEqual({
      statusCode: 200,
      body: 'hello',
      headers: expect.objectContaining({ 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': 'https://shop.example.com', Vary: 'Origin' }),
    });
  });

  it('turns a simplified object result (no statusCode) into its JSON body', async () => {
    const handler = withCors(async () => ({ message: 'hi', headers: 'not headers' }) as never, { source });
    const result = (await handler(httpGet('https://evil.example.org'), context)) as { statusCode: number; body: string; headers: Record<string, string> };
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ message: 'hi', headers: 'not headers' });
    expect(result.headers).toEqual({ 'Content-Type': 'application/json', Vary: 'Origin' });
  });

  it('finds the route of a $default route from rawPath without the stage', async () => {
    const handler = withCors(async () => ({ statusCode: 200, body: '' }), { source });
    const event = httpEvent({ routeKey: '$default', rawPath: '/dev/products/7', headers: { origin: 'https://shop.example.com' } });
    event.requestContext.stage = 'dev';
    expect((await handler(event, context))?.headers?.['Access-Control-Allow-Origin' as never]).toBe('https://shop.example.com');
  });
});

describe('withCors failure behaviour', () => {
  it('propagates an error thrown by the handler unchanged', async () => {
    const boom = new Error('boom');
    const handler = withCors(
      async () => {
        throw boom;
      },
      { source },
    );
    await expect(handler(restGet('https://shop.example.com'), context)).rejects.toBe(boom);
  });

  it('returns the handler’s response without CORS headers when the policy store fails', async () => {
    const failing: PolicySource = { current: async () => Promise.reject(new Error('ssm down')) };
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const handler = withCors(async () => ({ statusCode: 200, body: 'fine' }), { source: failing });
      expect(await handler(restGet('https://shop.example.com'), context)).toEqual({ statusCode: 200, body: 'fine', headers: { Vary: 'Origin' } });
    } finally {
      write.mockRestore();
    }
  });

  it('returns the handler’s response without CORS headers when no policies were ever loaded', async () => {
    const empty: PolicySource = { current: async () => undefined };
    const handler = withCors(async () => ({ statusCode: 200, body: 'fine' }), { source: empty });
    expect((await handler(restGet('https://shop.example.com'), context))?.headers).toEqual({ Vary: 'Origin' });
  });

  it('passes undefined results through untouched', async () => {
    const handler = withCors(async () => undefined, { source });
    expect(await handler(restGet('https://shop.example.com'), context)).toBeUndefined();
  });

  it('looks the policy up once per call and never per header', async () => {
    let calls = 0;
    const set: PolicySet = (await source.current()) as PolicySet;
    const counting: PolicySource = {
      current: async () => {
        calls++;
        return set;
      },
    };
    const handler = withCors(async () => ({ statusCode: 200, body: '' }), { source: counting });
    await handler(restGet('https://shop.example.com'), context);
    await handler(httpGet('https://shop.example.com'), context);
    expect(calls).toBe(2);
  });
});

describe('corsHeaders', () => {
  it('returns the headers for an allowed event', async () => {
    expect(await corsHeaders(httpGet('https://shop.example.com'), { source })).toEqual({
      'Access-Control-Allow-Origin': 'https://shop.example.com',
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Expose-Headers': 'etag, x-request-id',
      Vary: 'Origin',
    });
  });

  it('returns a fresh object each time, so one response cannot leak into another', async () => {
    const a = await corsHeaders(restGet('https://shop.example.com'), { source });
    a['Access-Control-Allow-Origin'] = 'https://evil.example.org';
    const b = await corsHeaders(restGet('https://pr-1.preview.example.com'), { source });
    expect(b['Access-Control-Allow-Origin']).toBe('https://pr-1.preview.example.com');
  });

  it.each([null, undefined, 'GET /', 42])('tolerates a non-event (%j) like withCors: no CORS headers, no error', async (event) => {
    expect(await corsHeaders(event as never, { source })).toEqual({ Vary: 'Origin' });
  });

  it('returns only Vary for a denied origin', async () => {
    expect(await corsHeaders(restGet('https://shop.example.com.evil.test'), { source })).toEqual({ Vary: 'Origin' });
  });
});

describe('withCors answering preflights that reach the API’s own function', () => {
  const PREFLIGHT_VARY = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';
  // A more specific route (`ANY /products/{id}`) sends OPTIONS to the API's function, not to the preflight function.
  const restPreflight = (headers: Record<string, string>) =>
    restEvent({ method: 'OPTIONS', resource: '/products/{id}', pathParameters: { id: '42' }, headers });
  const httpPreflight = (headers: Record<string, string>) =>
    httpEvent({
      routeKey: 'ANY /products/{id}',
      method: 'OPTIONS',
      rawPath: '/products/42',
      pathParameters: { id: '42' },
      headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
    });
  const allowedHeaders = {
    'Access-Control-Allow-Origin': 'https://shop.example.com',
    'Access-Control-Allow-Methods': 'GET, PUT',
    'Access-Control-Max-Age': '7200',
    'Access-Control-Allow-Credentials': 'true',
    Vary: PREFLIGHT_VARY,
  };

  describe.each([
    ['REST (payload v1)', restPreflight],
    ['HTTP API (payload v2)', httpPreflight],
  ] as const)('%s', (_label, preflight) => {
    it('answers an allowed preflight with 204 and the preflight function’s headers, never calling the handler', async () => {
      const inner = jest.fn(async () => ({ statusCode: 200, body: 'from the handler' }));
      const handler = withCors(inner, { source });
      const result = await handler(preflight({ Origin: 'https://shop.example.com', 'Access-Control-Request-Method': 'PUT' }) as never, context);
      expect(result).toEqual({ statusCode: 204, headers: allowedHeaders, body: '' });
      expect(inner).not.toHaveBeenCalled();
    });

    it('denies a preflight the policy refuses with 403 and no Access-Control-* header', async () => {
      const inner = jest.fn(async () => ({ statusCode: 200, body: 'from the handler' }));
      const handler = withCors(inner, { source });
      for (const headers of [
        { Origin: 'https://shop.example.com.evil.test', 'Access-Control-Request-Method': 'PUT' },
        { Origin: 'https://shop.example.com', 'Access-Control-Request-Method': 'DELETE' },
        { Origin: 'https://shop.example.com', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'x-unlisted' },
      ] as Record<string, string>[]) {
        expect(await handler(preflight(headers) as never, context)).toEqual({ statusCode: 403, headers: { Vary: PREFLIGHT_VARY }, body: '' });
      }
      expect(inner).not.toHaveBeenCalled();
    });

    it('denies every preflight when the policies cannot be loaded (fail closed, like the preflight function)', async () => {
      const failing: PolicySource = { current: async () => Promise.reject(new Error('ssm down')) };
      const inner = jest.fn(async () => ({ statusCode: 200, body: '' }));
      const result = await withCors(inner, { source: failing })(
        preflight({ Origin: 'https://shop.example.com', 'Access-Control-Request-Method': 'PUT' }) as never,
        context,
      );
      expect(result).toEqual({ statusCode: 403, headers: { Vary: PREFLIGHT_VARY }, body: '' });
      expect(inner).not.toHaveBeenCalled();
    });

    it('passes an OPTIONS request that is not a preflight to the handler', async () => {
      const inner = jest.fn(async () => ({ statusCode: 200, headers: { Allow: 'GET, PUT' }, body: '' }));
      const result = await withCors(inner, { source })(preflight({ Origin: 'https://shop.example.com' }) as never, context);
      expect(inner).toHaveBeenCalledTimes(1);
      expect(result?.statusCode).toBe(200);
      expect(result?.headers).toMatchObject({ Allow: 'GET, PUT', Vary: 'Origin' });
    });

    it('leaves preflights to the handler with answerPreflights: false', async () => {
      const inner = jest.fn(async () => ({ statusCode: 200, headers: { Allow: 'GET, PUT' }, body: 'own answer' }));
      const result = await withCors(inner, { source, answerPreflights: false })(
        preflight({ Origin: 'https://shop.example.com', 'Access-Control-Request-Method': 'PUT' }) as never,
        context,
      );
      expect(inner).toHaveBeenCalledTimes(1);
      // The actual-response rules apply: OPTIONS is not in allowMethods, so only Vary is added.
      expect(result).toEqual({ statusCode: 200, headers: { Allow: 'GET, PUT', Vary: 'Origin' }, body: 'own answer' });
    });
  });
});

describe('metrics (with the container store)', () => {
  const saved = { ...process.env };
  let ssm: ReturnType<typeof mockClient>;
  let logs: ReturnType<typeof captureStdout>;

  // The container store of a function 'orders-api' reading the products policy, its metrics flushed on every request.
  beforeEach(() => {
    ssm = mockClient(SSMClient);
    ssm.on(GetParametersByPathCommand).resolves({ Parameters: parameters({ '/test/layer-metrics/products': JSON.stringify(products) }) });
    Object.assign(process.env, { CORS_POLICY_PATH: '/test/layer-metrics', CORS_METRICS_FLUSH_SECONDS: '0', AWS_LAMBDA_FUNCTION_NAME: 'orders-api' });
    resetDefaultStore();
    logs = captureStdout();
  });

  afterEach(() => {
    logs.restore();
    ssm.restore();
    process.env = { ...saved };
    resetDefaultStore();
  });

  it('counts responses to requests with an Origin by whether they got Access-Control-Allow-Origin, under service cors-layer', async () => {
    const handler = withCors(async () => ({ statusCode: 200, body: '{}' }));
    await handler(restGet('https://shop.example.com'), context);
    await handler(restGet('https://evil.example.net'), context);
    await handler(restGet(), context);
    expect(logs.withMessage('metrics').map((l) => [l.service, l.function_name, l.ActualAllowed, l.ActualDenied])).toEqual([
      ['cors-layer', 'orders-api', 1, 0],
      ['cors-layer', 'orders-api', 0, 1],
      ['cors-layer', 'orders-api', 0, 0],
    ]);
    expect(logs.withMessage('metrics')[0]).toMatchObject({ PolicyRefreshes: 1, PolicyRefreshFailures: 0 });
  });

  it('counts the preflights it answers for a shadowing route: allowed aggregated, each denial on its own line with its reason', async () => {
    const inner = jest.fn(async () => ({ statusCode: 200, body: '{}' }));
    const preflight = (origin: string) =>
      restEvent({
        method: 'OPTIONS',
        resource: '/products/{id}',
        pathParameters: { id: '42' },
        headers: { Origin: origin, 'Access-Control-Request-Method': 'PUT' },
      });
    const handler = withCors(inner);
    expect((await handler(preflight('https://shop.example.com'), context))?.statusCode).toBe(204);
    expect((await handler(preflight('https://evil.example.net'), context))?.statusCode).toBe(403);
    expect(inner).not.toHaveBeenCalled();
    expect(logs.withMessage('metrics').map((l) => [l.service, l.PreflightsAllowed])).toEqual([['cors-layer', 1]]);
    expect(logs.withMessage('preflight denied')).toEqual([
      expect.objectContaining({ service: 'cors-layer', reason: 'origin_not_allowed', PreflightsDenied: 1 }),
    ]);
  });
});
