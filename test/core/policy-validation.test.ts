// Validation of one policy document, rule by rule, as docs/policies.md states
// the rules (and the Fetch standard behind them). Every refusal must name the parameter, the field, the
// bad value and a reason; every problem of a document is reported at once.
import { DEFAULT_MAX_AGE, PolicyValidationError, formatProblem, parsePolicy } from '../../functions/core';
import type { PolicyProblemCode } from '../../functions/core/problems';
import { accept, basePolicy, problemsOf } from '../support/policies';

const SOURCE = '/cors/shop-api/products';

/** Expects exactly one problem, on `field`, naming `value`, with the stable `code` and some prose. */
function expectOneProblem(doc: unknown, field: string, value: unknown, code: PolicyProblemCode): void {
  const problems = problemsOf(doc, SOURCE);
  expect(problems).toEqual([{ source: SOURCE, field, value, code, reason: expect.stringMatching(/\w/) }]);
}

describe('allowOrigins: refused entries', () => {
  // Every row has four columns: jest reads a callback with more parameters than columns as a done callback.
  const cases: Array<[string, string, PolicyProblemCode, Record<string, unknown>]> = [
    ['"*" together with credentials', '*', 'wildcard_with_credentials', { allowCredentials: true }],
    ['the "null" origin', 'null', 'origin_null', {}],
    ['a file: origin', 'file://', 'origin_file', {}],
    ['a file: URL', 'file:///etc/passwd', 'origin_file', {}],
    ['a bare "file:"', 'file:', 'origin_file', {}],
    ['a trailing slash', 'https://shop.example.com/', 'origin_path', {}],
    ['a path', 'https://shop.example.com/app', 'origin_path', {}],
    ['a query', 'https://shop.example.com?x=1', 'origin_path', {}],
    ['a fragment', 'https://shop.example.com#top', 'origin_path', {}],
    ['userinfo', 'https://user@shop.example.com', 'origin_userinfo', {}],
    ['userinfo with a password', 'https://user:secret@shop.example.com', 'origin_userinfo', {}],
    ['an upper-case host', 'https://Shop.example.com', 'origin_upper_case', {}],
    ['an upper-case scheme', 'HTTPS://shop.example.com', 'origin_upper_case', {}],
    ['leading whitespace', ' https://shop.example.com', 'origin_whitespace', {}],
    ['trailing whitespace', 'https://shop.example.com ', 'origin_whitespace', {}],
    ['a tab inside', 'https://shop.\texample.com', 'origin_whitespace', {}],
    ['the default https port', 'https://shop.example.com:443', 'origin_default_port', {}],
    ['the default http port', 'http://localhost:80', 'origin_default_port', {}],
    ['port 0', 'https://shop.example.com:0', 'origin_port', {}],
    ['a port over 65535', 'https://shop.example.com:65536', 'origin_port', {}],
    ['a non-numeric port', 'https://shop.example.com:https', 'origin_port', {}],
    ['an empty port', 'https://shop.example.com:', 'origin_port', {}],
    ['a negative port', 'https://shop.example.com:-1', 'origin_port', {}],
    ['a wildcard in an inner label', 'https://a.*.example.com', 'origin_wildcard_position', {}],
    ['a wildcard glued to a label', 'https://*example.com', 'origin_wildcard_position', {}],
    ['a wildcard as the last label', 'https://example.*', 'origin_wildcard_position', {}],
    ['two wildcard labels', 'https://*.*.example.com', 'origin_wildcard_position', {}],
    ['a wildcard as the whole host', 'https://*', 'origin_wildcard_position', {}],
    ['a wildcard over the public suffix com', 'https://*.com', 'origin_wildcard_public_suffix', {}],
    ['a wildcard over the public suffix co.uk', 'https://*.co.uk', 'origin_wildcard_public_suffix', {}],
    ['a wildcard over the public suffix github.io', 'https://*.github.io', 'origin_wildcard_public_suffix', {}],
    ['a wildcard over the hosting suffix vercel.app', 'https://*.vercel.app', 'origin_wildcard_public_suffix', {}],
    ['a wildcard over the hosting suffix cloudfront.net', 'https://*.cloudfront.net', 'origin_wildcard_public_suffix', {}],
    ['a wildcard over an IP address', 'https://*.168.1.1', 'origin_host', {}],
    ['a unicode host (browsers send punycode)', 'https://bücher.example', 'origin_host', {}],
    ['an IPv4 address with a leading zero (browsers read it as octal: 8.0.0.1)', 'https://010.0.0.1', 'origin_not_canonical', {}],
    ['an IPv4 address out of range', 'https://256.1.1.1', 'origin_host', {}],
    ['no scheme', 'shop.example.com', 'origin_no_scheme', {}],
    ['a scheme other than http(s)', 'ftp://files.example.com', 'origin_scheme', {}],
    ['an empty string', '', 'origin_empty', {}],
    ['two trailing dots in the host', 'https://shop.example.com..', 'origin_host', {}],
    ['two dots in the host', 'https://shop..example.com', 'origin_host', {}],
  ];
  test.each(cases)('refuses %s (%j)', (_what, origin, reason, extra) => {
    expectOneProblem(basePolicy({ allowOrigins: ['https://ok.example.com', origin], ...extra }), 'allowOrigins[1]', origin, reason);
  });
});

describe('allowOrigins: http:// with credentials', () => {
  // localhost.evil.com and 127.0.0.1.evil.com only look like loopback.
  test.each([
    'http://shop.example.com',
    'http://*.example.com',
    'http://10.0.0.7:8080',
    'http://192.168.1.20',
    'http://localhost.evil.com',
    'http://127.0.0.1.evil.com',
  ])('refuses non-loopback %s with credentials unless the policy opts in', (origin) => {
    expectOneProblem(basePolicy({ allowOrigins: [origin], allowCredentials: true }), 'allowOrigins[0]', origin, 'insecure_origin_with_credentials');
    const optedIn = accept(basePolicy({ allowOrigins: [origin], allowCredentials: true, dangerouslyAllowInsecureOriginsWithCredentials: true }));
    expect(optedIn.document.allowOrigins).toEqual([origin]);
  });

  test.each(['http://localhost:3000', 'http://localhost:*', 'http://127.0.0.1:8080', 'http://[::1]:5173', 'http://app.localhost:3000'])(
    'accepts loopback %s with credentials without any opt-in',
    (origin) => {
      expect(accept(basePolicy({ allowOrigins: [origin], allowCredentials: true })).allowCredentials).toBe(true);
    },
  );

  test('accepts a non-loopback http:// origin when the policy has no credentials', () => {
    expect(accept(basePolicy({ allowOrigins: ['http://shop.example.com'] })).allowCredentials).toBe(false);
  });

  test('the opt-in field has a name that says it is dangerous', () => {
    // The contract: the only way to allow this is a field an operator cannot mistake for a harmless setting.
    const problems = problemsOf(basePolicy({ allowOrigins: ['http://shop.example.com'], allowCredentials: true, allowInsecureOrigins: true }));
    expect(problems.map((p) => p.field).sort()).toEqual(['allowInsecureOrigins', 'allowOrigins[0]']);
  });
});

describe('allowOrigins: accepted entries', () => {
  test.each([
    'https://shop.example.com',
    'https://shop.example.com:8443',
    'https://*.example.com',
    'https://*.preview.example.com',
    'https://*.example.com:8443',
    'http://localhost:*',
    'https://*.example.com:*',
    'https://xn--bcher-kva.example',
    'https://192.0.2.10:8443',
    'https://[2001:db8::1]',
    'https://*.example.co.uk',
    'https://*.myproject.github.io',
  ])('accepts %s', (origin) => {
    expect(accept(basePolicy({ allowOrigins: [origin] })).document.allowOrigins).toEqual([origin]);
  });

  test('accepts "*" without credentials and marks the policy any-origin', () => {
    expect(accept(basePolicy({ allowOrigins: ['*'] })).anyOrigin).toBe(true);
  });
});

describe('allowMethods', () => {
  test.each([
    ['CONNECT', 'method_forbidden'],
    ['TRACE', 'method_forbidden'],
    ['TRACK', 'method_forbidden'],
    // Forbidden methods are matched case-insensitively by the Fetch standard.
    ['connect', 'method_forbidden'],
    ['trace', 'method_forbidden'],
    // Browsers upper-case get before sending it, so a policy listing "get" would never match.
    ['get', 'method_not_upper_case'],
    ['delete', 'method_not_upper_case'],
    ['G ET', 'method_invalid'],
    ['GET,POST', 'method_invalid'],
    ['', 'method_invalid'],
    ['GET\n', 'method_invalid'],
    // Registered methods have at most 17 characters; requests are refused over the same bound.
    ['X'.repeat(65), 'method_invalid'],
  ] as Array<[string, PolicyProblemCode]>)('refuses %j', (method, code) => {
    expectOneProblem(basePolicy({ allowMethods: ['GET', method] }), 'allowMethods[1]', method, code);
  });

  test('refuses "*" with credentials', () => {
    expectOneProblem(basePolicy({ allowMethods: ['*'], allowCredentials: true }), 'allowMethods[0]', '*', 'wildcard_with_credentials');
  });

  test('accepts "*" without credentials', () => {
    expect(accept(basePolicy({ allowMethods: ['*'] })).anyMethod).toBe(true);
  });

  test('accepts extension methods, including lower-case ones browsers send as written', () => {
    // fetch(url, {method: 'patch'}) sends "patch": a policy may allow exactly that.
    const policy = accept(basePolicy({ allowMethods: ['PATCH', 'patch', 'PURGE'] }));
    expect(policy.values.allowMethods).toBe('PATCH, patch, PURGE');
  });
});

describe('allowHeaders and exposeHeaders', () => {
  // Both fields hold header names: each refuses what is not one.
  test.each(['allowHeaders', 'exposeHeaders'].flatMap((field) => ['x header', 'x-a:b', 'x-a,x-b', ''].map((header) => [field, header])))(
    '%s refuses %j, which is not a header name',
    (field, header) => {
      expectOneProblem(basePolicy({ [field]: ['x-ok', header] }), `${field}[1]`, header, 'header_invalid');
    },
  );

  test.each(['set-cookie', 'Set-Cookie'])('exposeHeaders refuses %j, which browsers never expose', (header) => {
    expectOneProblem(basePolicy({ exposeHeaders: ['x-ok', header] }), 'exposeHeaders[1]', header, 'header_never_exposed');
  });

  // Fetch's forbidden request-header names: scripts cannot set them, so listing one is always a mistake.
  test.each(['cookie', 'Host', 'origin', 'content-length', 'sec-fetch-mode', 'proxy-authorization', 'access-control-request-method'])(
    'allowHeaders refuses the forbidden request header %j',
    (header) => {
      expectOneProblem(basePolicy({ allowHeaders: ['x-ok', header] }), 'allowHeaders[1]', header, 'header_forbidden');
    },
  );

  test.each(['allowHeaders', 'exposeHeaders'])('%s refuses "*" with credentials', (field) => {
    expectOneProblem(basePolicy({ [field]: ['*'], allowCredentials: true }), `${field}[0]`, '*', 'wildcard_with_credentials');
  });

  test.each(['allowHeaders', 'exposeHeaders'])('%s accepts "*" without credentials', (field) => {
    expect(accept(basePolicy({ [field]: ['*'] })).document[field as 'allowHeaders']).toEqual(['*']);
  });

  test('header names are case-insensitive: stored and answered in lower case', () => {
    const policy = accept(basePolicy({ allowHeaders: ['Content-Type', 'X-Request-Id'], exposeHeaders: ['ETag'] }));
    expect(policy.values.allowHeaders).toBe('content-type, x-request-id');
    expect(policy.values.exposeHeaders).toBe('etag');
  });

  test('"*" in allowHeaders does not imply authorization', () => {
    const policy = accept(basePolicy({ allowHeaders: ['*'] }));
    expect(policy.anyHeader).toBe(true);
    expect(policy.headers.has('authorization')).toBe(false);
  });
});

describe('allowCredentials and maxAge', () => {
  test('allowCredentials defaults to false', () => {
    expect(accept(basePolicy()).allowCredentials).toBe(false);
  });

  test(`maxAge defaults to ${DEFAULT_MAX_AGE} seconds`, () => {
    // 7200 s is Chromium's cap: the longest cache any default can buy, so the fewest invocations.
    expect(DEFAULT_MAX_AGE).toBe(7200);
    expect(accept(basePolicy()).values.maxAge).toBe('7200');
  });

  test.each([0, 1, 600, 86400])('accepts maxAge %d and answers it as a string', (maxAge) => {
    expect(accept(basePolicy({ maxAge })).values.maxAge).toBe(String(maxAge));
  });

  test.each([
    [-1, 'max_age_out_of_range'],
    [86401, 'max_age_out_of_range'],
    [1e9, 'max_age_out_of_range'],
    [1.5, 'max_age_invalid'],
  ] as Array<[number, PolicyProblemCode]>)('refuses maxAge %d', (maxAge, code) => {
    expectOneProblem(basePolicy({ maxAge }), 'maxAge', maxAge, code);
  });
});

describe('fields and types', () => {
  test.each(['allowOrigin', 'AllowMethods', 'credentials', 'maxage'])('refuses the unknown field %j', (field) => {
    expectOneProblem(basePolicy({ [field]: true }), field, true, 'unknown_field');
  });

  test.each([
    ['route', 5, 'wrong_type'],
    ['route', null, 'wrong_type'],
    ['route', { path: '/x' }, 'wrong_type'],
    ['route', [], 'empty_list'],
    ['allowOrigins', 'https://shop.example.com', 'wrong_type'],
    ['allowOrigins', [], 'empty_list'],
    ['allowMethods', 'GET', 'wrong_type'],
    ['allowHeaders', 'content-type', 'wrong_type'],
    ['exposeHeaders', { etag: true }, 'wrong_type'],
    ['allowCredentials', 'true', 'wrong_type'],
    ['allowCredentials', 1, 'wrong_type'],
    ['dangerouslyAllowInsecureOriginsWithCredentials', 'yes', 'wrong_type'],
    ['maxAge', '600', 'max_age_invalid'],
    ['maxAge', null, 'max_age_invalid'],
    ['description', 42, 'wrong_type'],
  ] as Array<[string, unknown, PolicyProblemCode]>)('refuses %s = %j', (field, value, code) => {
    expectOneProblem(basePolicy({ [field]: value }), field, value, code);
  });

  test.each([
    ['route', [5], 'route[0]'],
    ['allowOrigins', ['https://shop.example.com', 7], 'allowOrigins[1]'],
    ['allowMethods', ['GET', null], 'allowMethods[1]'],
    ['allowHeaders', [true], 'allowHeaders[0]'],
  ])('refuses a non-string element in %s', (field, value, elementField) => {
    const problems = problemsOf(basePolicy({ [field]: value }), SOURCE);
    expect(problems).toEqual([expect.objectContaining({ source: SOURCE, field: elementField, code: 'wrong_type' })]);
  });

  test.each(['route', 'allowOrigins', 'allowMethods'])('%s is required', (field) => {
    const doc = basePolicy();
    delete doc[field];
    expectOneProblem(doc, field, undefined, 'required');
  });

  test.each([
    ['text that is not JSON', '{"route": "/a",', 'invalid_json'],
    ['a JSON array', '[]', 'not_an_object'],
    ['JSON null', 'null', 'not_an_object'],
    ['a JSON string', '"/a"', 'not_an_object'],
  ])('refuses %s as a whole document', (_what, text, code) => {
    const problems = problemsOf(text, SOURCE);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ source: SOURCE, field: '', code });
  });

  test('accepts every optional field of the contract', () => {
    const policy = accept({
      route: ['/products', '/products/{id}'],
      allowOrigins: ['https://shop.example.com', 'https://*.example.com', 'http://localhost:*'],
      allowMethods: ['GET', 'PUT', 'DELETE'],
      allowHeaders: ['content-type', 'authorization'],
      exposeHeaders: ['etag'],
      allowCredentials: true,
      maxAge: 600,
      dangerouslyAllowInsecureOriginsWithCredentials: false,
      description: 'the issue example',
    });
    expect(policy.values).toEqual({ allowMethods: 'GET, PUT, DELETE', allowHeaders: 'content-type, authorization', exposeHeaders: 'etag', maxAge: '600' });
  });
});

describe('route patterns', () => {
  test.each([
    ['no leading slash', 'products'],
    ['a trailing slash', '/products/'],
    ['an empty segment', '/products//reviews'],
    ['a leading double slash', '//products'],
    ['a greedy parameter before the end', '/{proxy+}/reviews'],
    ['text glued before a parameter', '/products/item{id}'],
    ['text glued after a parameter', '/products/{id}.json'],
    ['an empty parameter name', '/products/{}'],
    ['an unclosed brace', '/products/{id'],
    ['a stray closing brace', '/products/id}'],
    ['a parameter used twice', '/a/{id}/b/{id}'],
    ['a space in a parameter name', '/a/{my id}'],
    ['a space in a literal', '/my products'],
    ['a query string', '/products?x=1'],
    ['a fragment', '/products#x'],
    ['two plus signs', '/{proxy++}'],
    ['a nameless greedy parameter', '/{+}'],
    ['an empty string', ''],
    ['a mis-cased $default', '$DEFAULT'],
    ['a dot segment', '/a/./b'],
    ['a double-dot segment', '/a/../b'],
  ])('refuses %s (%j)', (_what, route) => {
    expectOneProblem(basePolicy({ route }), 'route', route, 'route_invalid');
  });

  test('names the list element of a bad route in a list', () => {
    expectOneProblem(basePolicy({ route: ['/ok', '/bad/'] }), 'route[1]', '/bad/', 'route_invalid');
  });

  test('refuses the same route twice in one policy, whatever its parameter names', () => {
    // API Gateway sees /a/{x} and /a/{y} as one route.
    expectOneProblem(basePolicy({ route: ['/a/{x}', '/a/{y}'] }), 'route[1]', '/a/{y}', 'route_repeated');
  });

  test.each(['/', '$default', '/products', '/products/{id}', '/files/{path+}', '/{proxy+}', '/a/{b}/c/{d}', '/v1.0/my_items/item-list'])(
    'accepts %j',
    (route) => {
      expect(accept(basePolicy({ route })).document.route).toEqual([route]);
    },
  );
});

describe('every problem at once', () => {
  const doc = {
    route: '/products/',
    allowOrigins: ['*', 'null', 'https://*.com', 'https://shop.example.com/'],
    allowMethods: ['GET', 'TRACE', 'get'],
    allowHeaders: ['*'],
    exposeHeaders: ['set-cookie'],
    allowCredentials: true,
    maxAge: 100000,
    colour: 'blue',
  };

  test('collects one problem per broken rule, each naming source, field, value and reason', () => {
    const problems = problemsOf(doc, SOURCE);
    const byField = Object.fromEntries(problems.map((p) => [p.field, p]));
    expect(Object.keys(byField).sort()).toEqual(
      [
        'allowHeaders[0]',
        'allowMethods[1]',
        'allowMethods[2]',
        'allowOrigins[0]',
        'allowOrigins[1]',
        'allowOrigins[2]',
        'allowOrigins[3]',
        'colour',
        'exposeHeaders[0]',
        'maxAge',
        'route',
      ].sort(),
    );
    expect(problems).toHaveLength(11);
    for (const p of problems) {
      expect(p.source).toBe(SOURCE);
      expect(p.reason.length).toBeGreaterThan(5);
    }
    expect(byField['allowOrigins[2]']!.value).toBe('https://*.com');
    expect(byField.maxAge!.value).toBe(100000);
    expect(byField.colour!.value).toBe('blue');
  });

  test('the thrown error and formatProblem carry the parameter, field, value and reason in text', () => {
    let error: unknown;
    try {
      parsePolicy(SOURCE, JSON.stringify(doc));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PolicyValidationError);
    const err = error as PolicyValidationError;
    const line = formatProblem(err.problems.find((p) => p.field === 'allowOrigins[2]')!);
    expect(line).toContain(SOURCE);
    expect(line).toContain('allowOrigins[2]');
    expect(line).toContain('https://*.com');
    expect(line).toMatch(/public suffix/i);
    for (const p of err.problems) expect(err.message).toContain(formatProblem(p));
  });

  test('accepts an already-parsed object as well as JSON text', () => {
    expect(parsePolicy(SOURCE, basePolicy()).document.allowMethods).toEqual(['GET', 'PUT']);
  });
});
