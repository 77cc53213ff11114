// Matching a request's Origin against a policy's allowOrigins. Browsers send
// origins serialized exactly (the HTML standard's ASCII serialization), so anything else is refused, and the
// classic misconfigurations (prefix, suffix, substring, null) must never pass.
import { decidePreflight, parseRequestOrigin } from '../../functions/core';
import { accept, basePolicy, preflight, setOf } from '../support/policies';

function matcher(allowOrigins: string[], extra: Record<string, unknown> = {}) {
  const policy = accept(basePolicy({ allowOrigins, ...extra }));
  return (origin: string): boolean => {
    const parsed = parseRequestOrigin(origin);
    return parsed !== undefined && policy.origins.matches(parsed);
  };
}

/** Checks what a policy with `allowOrigins` answers for each origin of `expected` (true: allowed); a failure shows every answer at once. */
function expectAnswers(allowOrigins: string[], expected: Record<string, boolean>): void {
  const allows = matcher(allowOrigins);
  expect(Object.fromEntries(Object.keys(expected).map((origin) => [origin, allows(origin)]))).toEqual(expected);
}

describe('exact, subdomain and any-port patterns', () => {
  const allows = matcher(['https://example.com', 'https://*.example.com', 'http://localhost:*', 'https://api.example.org:8443', 'https://[2001:db8::1]']);

  test.each([
    'https://example.com',
    'https://app.example.com',
    'https://a.b.c.example.com',
    'https://xn--bcher-kva.example.com',
    'http://localhost:3000',
    'http://localhost:65535',
    'http://localhost',
    'https://api.example.org:8443',
    'https://[2001:db8::1]',
  ])('allows %s', (origin) => {
    expect(allows(origin)).toBe(true);
  });

  test.each([
    // suffix and prefix confusions
    ['a listed host as a prefix of another domain', 'https://example.com.evil.com'],
    ['a subdomain pattern as a prefix of another domain', 'https://app.example.com.evil.com'],
    ['a listed host as a suffix of another name', 'https://evilexample.com'],
    ['a listed host inside a longer label', 'https://notexample.com'],
    ['a shorter TLD', 'https://example.co'],
    ['a trailing dot', 'https://app.example.com.'],
    ['a trailing dot on the apex', 'https://example.com.'],
    ['an empty label', 'https://.example.com'],
    ['two dots', 'https://app..example.com'],
    ['an encoded dot', 'https://example.com%2eevil.com'],
    // shape
    ['a trailing slash', 'https://example.com/'],
    ['a path', 'https://example.com/x'],
    ['upper case in the host', 'https://EXAMPLE.com'],
    ['upper case in the scheme', 'HTTPS://example.com'],
    ['leading whitespace', ' https://example.com'],
    ['trailing whitespace', 'https://example.com '],
    ['a trailing newline', 'https://example.com\n'],
    ['userinfo', 'https://user@example.com'],
    ['two origins in one header', 'https://example.com,https://evil.com'],
    ['two origins separated by a space', 'https://example.com https://evil.com'],
    ['the null origin', 'null'],
    ['an empty origin', ''],
    ['a file: origin', 'file://'],
    // scheme and port
    ['http for an https pattern', 'http://example.com'],
    ['https for an http pattern', 'https://localhost:3000'],
    ['the default port written out', 'https://example.com:443'],
    ['an unlisted port', 'https://example.com:8443'],
    ['a subdomain on an unlisted port', 'https://app.example.com:8443'],
    ['a missing port', 'https://api.example.org'],
    ['another port', 'https://api.example.org:9443'],
    ['an empty port', 'https://example.com:'],
    ['a port over 65535', 'http://localhost:70000'],
    ['a port with a leading zero', 'http://localhost:03000'],
    ['another loopback name', 'http://127.0.0.1:3000'],
    ['a lookalike of localhost', 'http://localhost.evil.com:3000'],
  ])('refuses %s (%j)', (_what, origin) => {
    expect(allows(origin)).toBe(false);
  });
});

describe('subdomain patterns', () => {
  test.each<[string, string[], Record<string, boolean>]>([
    ['*.example.com never matches the apex', ['https://*.example.com'], { 'https://example.com': false, 'https://www.example.com': true }],
    [
      '*.preview.example.com matches one or more labels below preview, not preview itself or its siblings',
      ['https://*.preview.example.com'],
      {
        'https://pr-17.preview.example.com': true,
        'https://a.pr-17.preview.example.com': true,
        'https://preview.example.com': false,
        'https://other.example.com': false,
        'https://xpreview.example.com': false,
      },
    ],
    [
      'a subdomain pattern with a port matches only that port',
      ['https://*.example.com:8443'],
      { 'https://a.example.com:8443': true, 'https://a.example.com': false, 'https://a.example.com:9443': false },
    ],
    [
      'a subdomain pattern with :* matches any port of its scheme',
      ['https://*.example.com:*'],
      { 'https://a.example.com:9443': true, 'https://a.example.com': true, 'https://example.com:9443': false, 'http://a.example.com:9443': false },
    ],
    ['a subdomain pattern does not match an IP address', ['https://*.example.com'], { 'https://192.0.2.1': false, 'https://[::1]': false }],
  ])('%s', (_what, allowOrigins, expected) => {
    expectAnswers(allowOrigins, expected);
  });
});

describe('subdomain matching does a fixed number of lookups, whatever the host', () => {
  // Counted, not timed: every lookup is a Set#has on a key built from the host.
  // Trying every parent domain would make the work grow with the number of labels.
  const lookupsFor = (allowOrigins: string[], origin: string): { allowed: boolean; lookups: number } => {
    const allows = matcher(allowOrigins);
    const has = jest.spyOn(Set.prototype, 'has');
    try {
      const allowed = allows(origin);
      return { allowed, lookups: has.mock.calls.length };
    } finally {
      has.mockRestore();
    }
  };
  const many = (labels: number, base: string) => `https://${'a.'.repeat(labels)}${base}`;

  test.each([
    ['allowed', 'preview.example.com', true],
    ['denied', 'example.org', false],
  ])('%s: 130 labels cost what 2 labels cost', (_what, base, allowed) => {
    const policy = ['https://shop.example.com', 'https://*.preview.example.com', 'https://*.example.net:*'];
    const short = lookupsFor(policy, many(2, base));
    const long = lookupsFor(policy, many(130, base)); // near the 300-character origin bound
    expect(long).toEqual({ allowed, lookups: short.lookups });
    // exact + any-port + at most two keys per distinct base label count (2 and 3 here).
    expect(long.lookups).toBeLessThanOrEqual(2 + 2 * 2);
  });

  test('bases of different depths are all found', () => {
    expectAnswers(['https://*.com.example', 'https://*.a.b.c.example.net', 'https://*.preview.example.com'], {
      'https://x.com.example': true,
      'https://x.y.a.b.c.example.net': true,
      'https://b.c.example.net': false,
      'https://q.preview.example.com': true,
      'https://preview.example.com': false,
    });
  });
});

describe('any-port patterns', () => {
  test('http://localhost:* matches any port of that host and scheme only', () => {
    expectAnswers(['http://localhost:*'], {
      'http://localhost:1': true,
      'http://localhost:5173': true,
      'http://app.localhost:5173': false,
      'https://localhost:5173': false,
    });
  });
});

describe('through decidePreflight', () => {
  const set = setOf({
    '/cors/api/creds': basePolicy({ route: '/private', allowOrigins: ['https://shop.example.com'], allowCredentials: true }),
    '/cors/api/public': basePolicy({ route: '/public', allowOrigins: ['*'] }),
  });

  test.each(['https://shop.example.com.evil.com', 'https://evilshop.example.com', 'https://shop.example.co', 'http://shop.example.com'])(
    'denies %s with origin_not_allowed',
    (origin) => {
      expect(decidePreflight(set, preflight({ path: '/private', origin }))).toMatchObject({ kind: 'denied', reason: 'origin_not_allowed' });
    },
  );

  test.each(['null', 'https://shop.example.com/', 'HTTPS://shop.example.com', 'https://shop.example.com:443', 'https://shop.example.com,https://evil.com'])(
    'denies %j, which no browser sends as a valid origin, with origin_malformed',
    (origin) => {
      expect(decidePreflight(set, preflight({ path: '/private', origin }))).toMatchObject({ kind: 'denied', reason: 'origin_malformed' });
    },
  );

  test('a credentialed policy echoes the exact origin, never "*"', () => {
    const decision = decidePreflight(set, preflight({ path: '/private' }));
    expect(decision.kind === 'allowed' && decision.headers['Access-Control-Allow-Origin']).toBe('https://shop.example.com');
  });

  test('an anonymous any-origin policy answers "*"', () => {
    const decision = decidePreflight(set, preflight({ path: '/public', origin: 'https://anyone.example.net' }));
    expect(decision.kind === 'allowed' && decision.headers['Access-Control-Allow-Origin']).toBe('*');
  });
});
