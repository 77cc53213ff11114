import { compilePolicySet } from '../../functions/core/policy-set';
import { decidePreflight } from '../../functions/core/preflight';
import { preflightAnswer } from '../../functions/core/preflight-answer';
import { compare } from '../../functions/cli/verify-diagnose';
import type { Observed } from '../../functions/cli/verify-http';
import { buildProbes, type Probe } from '../../functions/cli/verify-probes';

const set = compilePolicySet([
  {
    source: 'products',
    value: JSON.stringify({
      route: '/products/{id}',
      allowOrigins: ['https://shop.example.com'],
      allowMethods: ['GET', 'PUT'],
      allowHeaders: ['content-type'],
      allowCredentials: true,
    }),
  },
]);
const { probes } = buildProbes(set, { actual: true });
const allowed = probes.find((p) => p.kind === 'allowed') as Probe;
const denied = probes.find((p) => p.kind === 'look-alike-origin') as Probe;
const actual = probes.find((p) => p.kind === 'actual' && p.expected.headers['Access-Control-Allow-Origin']) as Probe;
const PREFLIGHT_VARY = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';

const answer = (status: number, headers: Record<string, string> = {}, body = ''): Observed => ({ ok: true, status, headers, body, attempts: 1 });
const lowerCase = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

describe('compare', () => {
  it('matches the expected answer whatever the header names’ case, with extra headers and Vary tokens', () => {
    expect(
      compare(allowed, answer(204, { ...lowerCase(allowed.expected.headers), vary: `${PREFLIGHT_VARY}, Accept-Encoding`, 'x-amzn-requestid': '1' })),
    ).toEqual({ match: true, statusMatches: true, differences: [] });
    expect(compare(denied, answer(403, { vary: PREFLIGHT_VARY, 'x-cors-deny-reason': 'origin_not_allowed: ...' })).match).toBe(true);
  });

  it('takes the answer the function builds for a probe (CORS_DEBUG on, names lower-cased on the wire) as the expected one, and another probe’s as a different policy', () => {
    const sent = (probe: Probe): Observed => {
      const decision = decidePreflight(set, {
        method: probe.method,
        path: probe.path,
        origin: probe.headers.Origin,
        requestMethod: probe.headers['Access-Control-Request-Method'],
        requestHeaders: probe.headers['Access-Control-Request-Headers'],
      });
      const built = preflightAnswer(decision, { debug: true });
      return answer(built.statusCode, lowerCase(built.headers), built.body);
    };
    expect(compare(allowed, sent(allowed))).toEqual({ match: true, statusMatches: true, differences: [] });
    expect(compare(denied, sent(denied))).toEqual({ match: true, statusMatches: true, differences: [] });
    expect(compare(allowed, sent(denied))).toMatchObject({ match: false, diagnosis: 'different-policy' });
    expect(compare(denied, sent(allowed))).toMatchObject({ match: false, diagnosis: 'different-policy' });
  });

  it('diagnoses this product’s answer with another decision as a different policy, naming the deny reason', () => {
    const c = compare(allowed, answer(403, { vary: PREFLIGHT_VARY, 'x-cors-deny-reason': 'origin_not_allowed: origin is not in allowOrigins' }));
    expect(c).toMatchObject({
      match: false,
      diagnosis: 'different-policy',
      detail: expect.stringContaining('expected allowed, the function denied (origin_not_allowed'),
    });
    const headers = compare(allowed, answer(204, { ...lowerCase(allowed.expected.headers), 'access-control-max-age': '5' }));
    expect(headers).toMatchObject({ diagnosis: 'different-policy', differences: [{ header: 'access-control-max-age', expected: '7200', observed: '5' }] });
  });

  it('diagnoses an HTTP API CorsConfiguration (CORS headers without this product’s Vary) as answered by something else', () => {
    const c = compare(denied, answer(204, { 'access-control-allow-origin': 'https://shop.example.com', 'access-control-allow-methods': 'GET,POST' }));
    expect(c).toMatchObject({ diagnosis: 'answered-by-something-else', fix: expect.stringContaining('CorsConfiguration') });
  });

  it('diagnoses the API’s own function behind a more specific route as answered by something else', () => {
    const c = compare(allowed, answer(200, { 'content-type': 'application/json', vary: 'Origin' }, '{"hello":1}'));
    expect(c).toMatchObject({ diagnosis: 'answered-by-something-else', fix: expect.stringContaining('withCors') });
  });

  it('quotes a long body by its first 80 characters and its whole length, and a short one whole', () => {
    const long = `{"message":"${'x'.repeat(200)}"}`;
    const detail = compare(allowed, answer(200, { 'content-type': 'application/json' }, long)).detail;
    expect(detail).toContain(`body ${JSON.stringify(`${long.slice(0, 80)}...[clipped: ${long.length} chars]`)}`);
    expect(compare(allowed, answer(200, {}, '{"hello":1}')).detail).toContain('body "{\\"hello\\":1}"');
  });

  it.each([
    ['REST', 401, { 'x-amzn-errortype': 'UnauthorizedException' }, '{"message":"Unauthorized"}'],
    ['REST, IAM', 403, { 'x-amzn-errortype': 'AccessDeniedException' }, '{"message":"User is not authorized to access this resource"}'],
    ['HTTP API', 401, {}, '{"message":"Unauthorized"}'],
    ['HTTP API, a Lambda authorizer denying', 403, {}, '{"message":"Forbidden"}'],
  ])('diagnoses an authorizer (%s)', (_label, status, headers, body) => {
    expect(compare(allowed, answer(status, { 'content-type': 'application/json', ...headers }, body))).toMatchObject({
      diagnosis: 'authorizer',
      fix: expect.stringContaining('AuthorizationType NONE'),
    });
  });

  it.each([
    ['REST', 403, { 'x-amzn-errortype': 'MissingAuthenticationTokenException' }, '{"message":"Missing Authentication Token"}'],
    ['HTTP API', 404, {}, '{"message":"Not Found"}'],
    ['REST, a stage that does not exist', 403, { 'x-amzn-errortype': 'ForbiddenException' }, '{"message":"Forbidden"}'],
  ])('diagnoses a missing route as not deployed (%s)', (_label, status, headers, body) => {
    expect(compare(allowed, answer(status, headers, body))).toMatchObject({ diagnosis: 'not-deployed', fix: expect.stringContaining('create-deployment') });
  });

  it('diagnoses 5xx as an integration error and a refused connection or lasting 429 as network errors', () => {
    expect(compare(allowed, answer(502, {}, '{"message":"Internal server error"}')).diagnosis).toBe('integration-error');
    expect(compare(allowed, answer(429, {}, '{"message":"Too Many Requests"}')).diagnosis).toBe('network-error');
    expect(compare(allowed, { ok: false, error: 'connect ECONNREFUSED', code: 'ECONNREFUSED', attempts: 1 })).toMatchObject({
      diagnosis: 'network-error',
      detail: 'ECONNREFUSED: connect ECONNREFUSED (after 1 attempt)',
    });
  });

  describe('actual responses', () => {
    it('match on the layer’s headers whatever the status', () => {
      expect(compare(actual, answer(404, { ...lowerCase(actual.expected.headers), 'content-type': 'application/json' }, '{}')).match).toBe(true);
    });

    it('diagnose a function without the layer (no Vary: Origin, no CORS headers)', () => {
      expect(compare(actual, answer(200, { 'content-type': 'application/json' }, '{}'))).toMatchObject({
        diagnosis: 'answered-by-something-else',
        fix: expect.stringContaining('CorsLayerVersionArn'),
      });
    });

    it('diagnose the layer answering from other policies', () => {
      expect(compare(actual, answer(200, { vary: 'Origin' }, '{}'))).toMatchObject({ diagnosis: 'different-policy' });
    });
  });
});
