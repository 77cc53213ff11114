/**
 * The classic CORS origin bypasses (PortSwigger's research, OWASP WSTG-CLNT-07,
 * the jub0bs/cors and rs/cors advisories) against a policy allowing
 * `https://app.example.com` and `https://*.example.com`, with and without
 * credentials: every one is refused by the preflight function (payload v1 and
 * v2), by the engine's actual-response headers and by the layer.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { actualResponseHeaders, compilePolicySet, decidePreflight, type PolicySet } from '../../functions/core';
import { resetDefaultStore } from '../../functions/aws/default-store';
import { corsHeaders, withCors } from '../../functions/layer/index';
import { handler } from '../../functions/preflight/handler';

const PATH = '/test/reliability-security';
const ALLOWED = 'https://app.example.com';

const basePolicy = {
  route: ['$default', '/'],
  allowOrigins: [ALLOWED, 'https://*.example.com'],
  allowMethods: ['GET', 'PUT'],
  allowHeaders: ['content-type'],
  exposeHeaders: ['etag'],
};
const VARIANTS = { 'with credentials': { ...basePolicy, allowCredentials: true }, 'without credentials': basePolicy } as const;

/** Each entry: a label and an Origin value that must never be allowed. */
const BYPASSES: Array<[string, string]> = [
  // prefix and suffix matching
  ['allowed origin as a prefix', 'https://app.example.com.evil.com'],
  ['allowed origin as a prefix with a port', 'https://app.example.com.evil.com:8443'],
  ['base domain as a suffix without a dot', 'https://evilexample.com'],
  ['base domain as a suffix of another word', 'https://notexample.com'],
  ['base domain followed by an attacker domain', 'https://example.com.evil.com'],
  ['subdomain followed by an attacker domain', 'https://x.example.com.evil.com'],
  // substrings
  ['allowed origin with a shorter TLD', 'https://app.example.co'],
  ['allowed origin with a longer TLD', 'https://app.example.comx'],
  ['allowed host joined by a hyphen', 'https://app-example.com'],
  ['allowed origin inside a longer host', 'https://evilapp.example.com.org'],
  // unescaped dots
  ['dot replaced by a letter', 'https://appxexample.com'],
  ['last dot replaced by a letter', 'https://app.examplexcom'],
  ['wildcard dot replaced by a letter', 'https://xexample.com'],
  // characters after the host that some parsers end a host at
  ['%60 after the allowed host', 'https://app.example.com%60.evil.com'],
  ['backtick after the allowed host', 'https://app.example.com`.evil.com'],
  ['underscore after the allowed host', 'https://app.example.com_.evil.com'],
  ['exclamation mark after the allowed host', 'https://app.example.com!.evil.com'],
  ['dollar after the allowed host', 'https://app.example.com$.evil.com'],
  ['ampersand after the allowed host', 'https://app.example.com&.evil.com'],
  ['quote after the allowed host', "https://app.example.com'.evil.com"],
  ['parenthesis after the allowed host', 'https://app.example.com(.evil.com'],
  ['asterisk after the allowed host', 'https://app.example.com*.evil.com'],
  ['plus after the allowed host', 'https://app.example.com+.evil.com'],
  ['comma after the allowed host', 'https://app.example.com,.evil.com'],
  ['semicolon after the allowed host', 'https://app.example.com;.evil.com'],
  ['equals after the allowed host', 'https://app.example.com=.evil.com'],
  ['braces after the allowed host', 'https://app.example.com{.evil.com'],
  ['pipe after the allowed host', 'https://app.example.com|.evil.com'],
  ['tilde after the allowed host', 'https://app.example.com~.evil.com'],
  ['caret after the allowed host', 'https://app.example.com^.evil.com'],
  ['double quote after the allowed host', 'https://app.example.com".evil.com'],
  ['userinfo after the allowed host', 'https://app.example.com@evil.com'],
  ['fragment after the allowed host', 'https://app.example.com#.evil.com'],
  ['query after the allowed host', 'https://app.example.com?.evil.com'],
  ['backslash after the allowed host', 'https://app.example.com\\.evil.com'],
  ['encoded slash after the allowed host', 'https://app.example.com%2f.evil.com'],
  ['empty port after the allowed host', 'https://app.example.com:.evil.com'],
  // the same tricks ending in the wildcard's suffix
  ['%60 before the wildcard suffix', 'https://evil.com%60.example.com'],
  // (https://evil.com_.example.com is no bypass: "com_" is a label of a real subdomain of example.com, which browsers send as written)
  ['underscore glued to the wildcard suffix', 'https://evil.com_example.com'],
  ['backtick before the wildcard suffix', 'https://evil.com`.example.com'],
  ['exclamation mark before the wildcard suffix', 'https://evil.com!.example.com'],
  ['slash before the wildcard suffix', 'https://evil.com/.example.com'],
  ['backslash before the wildcard suffix', 'https://evil.com\\.example.com'],
  ['fragment before the wildcard suffix', 'https://evil.com#.example.com'],
  ['query before the wildcard suffix', 'https://evil.com?.example.com'],
  ['userinfo ending in the wildcard suffix', 'https://evil.com@x.example.com'],
  ['attacker host as userinfo of the allowed host', 'https://evil.com@app.example.com'],
  ['the wildcard pattern itself', 'https://*.example.com'],
  // null and other schemes
  ['null', 'null'],
  ['null in upper case', 'NULL'],
  ['file scheme', 'file://'],
  ['websocket scheme', 'wss://app.example.com'],
  ['extension scheme', 'chrome-extension://app.example.com'],
  ['scheme-relative', '//app.example.com'],
  ['no scheme', 'app.example.com'],
  ['missing slashes', 'https:app.example.com'],
  // http downgrade
  ['http downgrade of the exact origin', 'http://app.example.com'],
  ['http downgrade of a subdomain', 'http://x.example.com'],
  // ports
  ['another port', 'https://app.example.com:8443'],
  ['the default port spelled out', 'https://app.example.com:443'],
  ['port 80 on https', 'https://app.example.com:80'],
  ['a subdomain on another port', 'https://x.example.com:444'],
  ['port zero', 'https://app.example.com:0'],
  ['port with a leading zero', 'https://app.example.com:0443'],
  ['port beyond 65535', 'https://app.example.com:65536'],
  ['wildcard port', 'https://app.example.com:*'],
  // case
  ['upper-case host', 'https://APP.EXAMPLE.COM'],
  ['upper-case scheme', 'HTTPS://app.example.com'],
  ['mixed case', 'https://App.Example.Com'],
  ['upper-case subdomain', 'https://X.example.com'],
  // trailing characters
  ['trailing slash', 'https://app.example.com/'],
  ['a path', 'https://app.example.com/path'],
  ['trailing dot (FQDN)', 'https://app.example.com.'],
  // whitespace
  ['leading space', ' https://app.example.com'],
  ['trailing space', 'https://app.example.com '],
  ['trailing tab', 'https://app.example.com\t'],
  ['trailing newline', 'https://app.example.com\n'],
  ['CRLF injection', 'https://app.example.com\r\nAccess-Control-Allow-Origin: https://evil.com'],
  ['space inside the host', 'https://app .example.com'],
  ['NUL byte', 'https://app.example.com\u0000.evil.com'],
  // two origins in one header value
  ['two origins separated by a space', 'https://app.example.com https://evil.com'],
  ['two origins separated by a comma', 'https://app.example.com,https://evil.com'],
  ['attacker origin first', 'https://evil.com https://app.example.com'],
  ['the allowed origin twice', 'https://app.example.com, https://app.example.com'],
  // apex and empty labels
  ['apex of the wildcard', 'https://example.com'],
  ['empty leading label', 'https://.example.com'],
  ['empty inner label', 'https://a..example.com'],
  ['two empty labels', 'https://..example.com'],
  // lookalikes
  ['Cyrillic a in the host', 'https://аpp.example.com'],
  ['full-width dot', 'https://app.example\uFF0Ecom'],
  ['non-ASCII subdomain (not punycode)', 'https://bücher.example.com'],
  ['empty value', ''],
];

/** Origins that are allowed: the positive controls proving the cases above can fail. */
const ALLOWED_ORIGINS = [ALLOWED, 'https://x.example.com', 'https://a.b.example.com', 'https://xn--bcher-kva.example.com', 'https://1.example.com'];

function setFor(policy: object): PolicySet {
  const set = compilePolicySet([{ source: `${PATH}/policy`, value: JSON.stringify(policy), type: 'String' }]);
  expect(set.problems).toEqual([]);
  return set;
}

const isCors = (name: string): boolean => name.toLowerCase().startsWith('access-control-');
const corsHeaderNames = (headers: Record<string, unknown> | undefined): string[] => Object.keys(headers ?? {}).filter(isCors);

// Events as API Gateway delivers one Origin line (payload v1 and v2).
const v1 = (headers: Record<string, string>, multi?: Record<string, string[]>, method = 'OPTIONS'): APIGatewayProxyEvent =>
  ({
    resource: '/{proxy+}',
    path: '/products/1',
    httpMethod: method,
    headers,
    multiValueHeaders: multi ?? Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    pathParameters: { proxy: 'products/1' },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: { stage: 'prod' },
    body: null,
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEvent;
const v2 = (headers: Record<string, string>, method = 'OPTIONS'): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    routeKey: `${method} /{proxy+}`,
    rawPath: '/products/1',
    rawQueryString: '',
    headers,
    pathParameters: { proxy: 'products/1' },
    requestContext: { stage: '$default', http: { method, path: '/products/1' } },
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEventV2;

const preflightV1 = (origin: string) => v1({ Origin: origin, 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type' });
const preflightV2 = (origin: string) => v2({ origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' });

const ssm = mockClient(SSMClient);
const savedEnv = { ...process.env };
beforeAll(() => {
  process.env.CORS_POLICY_PATH = PATH;
  process.env.AWS_REGION = 'us-east-1';
  process.env.LOG_LEVEL = 'ERROR'; // denials log at INFO; hundreds of them would only be noise here
});
afterAll(() => {
  ssm.restore();
  resetDefaultStore();
  process.env = savedEnv;
});

describe.each(Object.entries(VARIANTS))('a policy allowing https://app.example.com and https://*.example.com, %s', (_name, policy) => {
  const set = setFor(policy);
  const source = { current: async () => set };

  beforeAll(() => {
    // The preflight function loads the same policy through its real store, from a mocked Parameter Store.
    ssm.reset();
    ssm.on(GetParametersByPathCommand).resolves({ Parameters: [{ Name: `${PATH}/policy`, Value: JSON.stringify(policy), Type: 'String' }] });
    resetDefaultStore();
  });

  describe('refuses every bypass', () => {
    it.each(BYPASSES)('%s: preflight function, payload v1 and v2', async (_label, origin) => {
      for (const event of [preflightV1(origin), preflightV2(origin)]) {
        const res = await handler(event);
        expect(res.statusCode).toBe(403);
        expect(corsHeaderNames(res.headers)).toEqual([]);
      }
      expect(decidePreflight(set, { method: 'OPTIONS', path: '/products/1', origin, requestMethod: 'PUT', requestHeaders: undefined }).kind).toBe('denied');
    });

    it.each(BYPASSES)('%s: actual-response headers and the layer', async (_label, origin) => {
      const actual = actualResponseHeaders(set, { method: 'GET', path: '/products/1', origin });
      expect(actual).toEqual({ allowed: false, headers: { Vary: 'Origin' } });
      for (const event of [v1({ Origin: origin }, undefined, 'GET'), v2({ origin }, 'GET')]) {
        expect(await corsHeaders(event, { source })).toEqual({ Vary: 'Origin' });
        // A handler that sets its own permissive headers is overruled by the policy.
        const wrapped = withCors(
          async () => ({ statusCode: 200, headers: { 'Access-Control-Allow-Origin': origin || '*', 'access-control-allow-credentials': 'true' }, body: 'ok' }),
          { source },
        );
        const result = (await wrapped(event as never, {} as Context)) as { headers?: Record<string, unknown> };
        expect(corsHeaderNames(result.headers)).toEqual([]);
      }
    });
  });

  describe('refuses two origins delivered as two header lines', () => {
    const evil = 'https://evil.com';
    const cases: Array<[string, () => APIGatewayProxyEvent | APIGatewayProxyEventV2]> = [
      [
        'v1 multiValueHeaders: allowed, then attacker',
        () => v1({ Origin: evil, 'Access-Control-Request-Method': 'PUT' }, { Origin: [ALLOWED, evil], 'Access-Control-Request-Method': ['PUT'] }),
      ],
      [
        'v1 multiValueHeaders: attacker, then allowed',
        () => v1({ Origin: ALLOWED, 'Access-Control-Request-Method': 'PUT' }, { Origin: [evil, ALLOWED], 'Access-Control-Request-Method': ['PUT'] }),
      ],
      [
        'v1 multiValueHeaders: the allowed origin twice',
        () => v1({ Origin: ALLOWED, 'Access-Control-Request-Method': 'PUT' }, { Origin: [ALLOWED, ALLOWED], 'Access-Control-Request-Method': ['PUT'] }),
      ],
      [
        'v1 multiValueHeaders under two casings',
        () => v1({ Origin: ALLOWED, 'Access-Control-Request-Method': 'PUT' }, { Origin: [ALLOWED], origin: [evil], 'Access-Control-Request-Method': ['PUT'] }),
      ],
      ['v1 headers under two casings, no multiValueHeaders', () => v1({ Origin: ALLOWED, ORIGIN: evil, 'Access-Control-Request-Method': 'PUT' }, {})],
      [
        'v1 headers allowed but multiValueHeaders (every value) attacker',
        () => v1({ Origin: ALLOWED, 'Access-Control-Request-Method': 'PUT' }, { Origin: [evil], 'Access-Control-Request-Method': ['PUT'] }),
      ],
      ['v2 comma-joined: allowed, attacker', () => v2({ origin: `${ALLOWED},${evil}`, 'access-control-request-method': 'PUT' })],
      ['v2 comma-joined: attacker, allowed', () => v2({ origin: `${evil},${ALLOWED}`, 'access-control-request-method': 'PUT' })],
      ['v2 comma-joined: the allowed origin twice', () => v2({ origin: `${ALLOWED},${ALLOWED}`, 'access-control-request-method': 'PUT' })],
    ];
    it.each(cases)('%s', async (_label, make) => {
      const res = await handler(make());
      expect(res.statusCode).toBe(403);
      expect(corsHeaderNames(res.headers)).toEqual([]);
      const actual = await corsHeaders(make(), { source });
      expect(corsHeaderNames(actual)).toEqual([]);
    });

    it('never echoes an origin that is only in v1 headers while multiValueHeaders holds the allowed one', async () => {
      // multiValueHeaders holds every value API Gateway received, so it is the truth; whichever is used, the attacker's value is never echoed.
      const event = v1({ Origin: evil, 'Access-Control-Request-Method': 'PUT' }, { Origin: [ALLOWED], 'Access-Control-Request-Method': ['PUT'] });
      const res = await handler(event);
      expect(Object.values(res.headers)).not.toContain(evil);
      expect(Object.values(await corsHeaders(event, { source }))).not.toContain(evil);
    });
  });

  describe('still allows the legitimate origins (controls)', () => {
    it.each(ALLOWED_ORIGINS)('%s is allowed and echoed', async (origin) => {
      for (const event of [preflightV1(origin), preflightV2(origin)]) {
        const res = await handler(event);
        expect(res.statusCode).toBe(204);
        expect(res.headers['Access-Control-Allow-Origin']).toBe(origin);
      }
      expect(actualResponseHeaders(set, { method: 'GET', path: '/products/1', origin }).headers['Access-Control-Allow-Origin']).toBe(origin);
      expect((await corsHeaders(v2({ origin }, 'GET'), { source }))['Access-Control-Allow-Origin']).toBe(origin);
    });

    it('reads the Origin header name in any casing (header names are case-insensitive)', async () => {
      const res = await handler(v1({ ORIGIN: ALLOWED, 'access-control-REQUEST-method': 'PUT' }));
      expect(res.statusCode).toBe(204);
      expect(res.headers['Access-Control-Allow-Origin']).toBe(ALLOWED);
    });
  });
});

describe('a public any-origin policy', () => {
  const set = setFor({ route: '$default', allowOrigins: ['*'], allowMethods: ['GET'], allowHeaders: ['*'] });

  it('answers * and never echoes or credentials an origin', () => {
    const d = decidePreflight(set, { method: 'OPTIONS', path: '/x', origin: 'https://evil.com', requestMethod: 'GET', requestHeaders: 'x-anything' });
    expect(d.kind === 'allowed' && d.headers).toMatchObject({ 'Access-Control-Allow-Origin': '*' });
    expect(d.kind === 'allowed' && d.headers['Access-Control-Allow-Credentials']).toBeUndefined();
  });

  it('does not let * cover the authorization header', () => {
    const d = decidePreflight(set, { method: 'OPTIONS', path: '/x', origin: 'https://evil.com', requestMethod: 'GET', requestHeaders: 'x-a,Authorization' });
    expect(d).toMatchObject({ kind: 'denied', reason: 'header_not_allowed' });
  });

  it.each(['null', 'https://app.example.com/', 'HTTPS://A.COM', 'https://a.com https://b.com'])('still refuses the malformed origin %j', (origin) => {
    expect(decidePreflight(set, { method: 'OPTIONS', path: '/x', origin, requestMethod: 'GET', requestHeaders: undefined })).toMatchObject({
      kind: 'denied',
      reason: 'origin_malformed',
    });
  });
});

describe('the CORS_DEBUG deny-reason header', () => {
  // CORS_DEBUG is read when the handler module loads: load a private copy so the rest of this
  // file keeps the production setting. Its store loads the SDK client lazily, from this file's
  // module registry, so the policy comes from this file's SDK mock.
  let debugHandler: typeof handler;
  const saved = { ...process.env };

  beforeAll(() => {
    Object.assign(process.env, { CORS_DEBUG: 'true', CORS_POLICY_PATH: `${PATH}-debug`, AWS_REGION: 'us-east-1', LOG_LEVEL: 'ERROR' });
    ssm.reset();
    ssm.on(GetParametersByPathCommand).resolves({
      Parameters: [
        { Name: `${PATH}-debug/p`, Type: 'String', Value: JSON.stringify({ route: '/products/{id}', allowOrigins: [ALLOWED], allowMethods: ['GET'] }) },
      ],
    });
    jest.isolateModules(() => {
      debugHandler = (require('../../functions/preflight/handler') as typeof import('../../functions/preflight/handler')).handler;
    });
  });
  afterAll(() => {
    process.env = saved;
  });

  /** RFC 9110 field-value characters a gateway passes on safely: visible ASCII, space and tab; never CR, LF or NUL. */
  const SAFE_FIELD_VALUE = /^[\t\x20-\x7e]*$/;

  it('says why a preflight was denied', async () => {
    const res = await debugHandler(preflightV2('https://evil.com'));
    expect(res.statusCode).toBe(403);
    expect(res.headers['X-Cors-Deny-Reason']).toMatch(/^origin_not_allowed: /);
  });

  // BUG: functions/preflight/handler.ts denied() puts decision.detail into X-Cors-Deny-Reason verbatim,
  // and the detail quotes attacker-controlled input: the whole path for no_route_policy (from
  // pathParameters), and up to 64 characters of a bad element for headers_malformed. CR, LF, NUL or
  // non-ASCII there make a header value API Gateway must reject (a 502 instead of the 403) or pass on.
  // Expected: the debug header holds only safe characters (escape or drop the rest) and is clipped.
  it.each([
    ['a CRLF in the path', { proxy: 'x\r\nSet-Cookie: a=b' }, 'GET', undefined],
    ['non-ASCII in the path', { proxy: 'ü€/x' }, 'GET', undefined],
    ['a CRLF in Access-Control-Request-Headers', { proxy: 'products/1' }, 'GET', 'x-a,x\r\nSet-Cookie: a=b'],
    ['a NUL in Access-Control-Request-Headers', { proxy: 'products/1' }, 'GET', 'x-a,\u0000'],
  ])('never carries unsafe characters: %s', async (_label, pathParameters, method, requestHeaders) => {
    const event = {
      ...v1({ Origin: ALLOWED, 'Access-Control-Request-Method': method, ...(requestHeaders ? { 'Access-Control-Request-Headers': requestHeaders } : {}) }),
      pathParameters,
    };
    const res = await debugHandler(event);
    expect(res.statusCode).toBe(403);
    for (const value of Object.values(res.headers)) expect(value).toMatch(SAFE_FIELD_VALUE);
  });
});
