// preflightAnswer: the one builder of the preflight answer the function and the
// layer send, explain shows and verify expects (issue 24).
import { decidePreflight } from '../../functions/core/preflight';
import { preflightAnswer } from '../../functions/core/preflight-answer';
import { PREFLIGHT_VARY_EXPECTED, basePolicy, preflight, setOf } from '../support/policies';

// The tests' written-out Vary, not the engine's constant: the test pins the contract.
const VARY = PREFLIGHT_VARY_EXPECTED;

const set = setOf({
  '/cors/api/products': basePolicy({
    route: '/products/{id}',
    allowOrigins: ['https://shop.example.com'],
    allowMethods: ['GET', 'PUT'],
    allowHeaders: ['content-type'],
    allowCredentials: true,
    maxAge: 600,
  }),
});

describe('an allowed preflight', () => {
  test('is 204 with exactly the decision headers and an empty body', () => {
    const decision = decidePreflight(set, preflight({ path: '/products/1', requestMethod: 'PUT', requestHeaders: 'content-type' }));
    if (decision.kind !== 'allowed') throw new Error(`expected an allowed decision, got ${decision.kind}`);
    const answer = preflightAnswer(decision, { debug: true });
    expect(answer).toEqual({
      statusCode: 204,
      headers: {
        'Access-Control-Allow-Origin': 'https://shop.example.com',
        'Access-Control-Allow-Methods': 'GET, PUT',
        'Access-Control-Allow-Headers': 'content-type',
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Max-Age': '600',
        Vary: VARY,
      },
      body: '',
    });
    // The warm path copies nothing: the decision's fresh headers object is the answer's.
    expect(answer.headers).toBe(decision.headers);
  });
});

describe('a denied preflight', () => {
  const denied = { kind: 'denied', reason: 'origin_not_allowed', detail: 'https://evil.example.net is not in allowOrigins' } as const;

  test.each([
    ['no options', undefined],
    ['debug off', { debug: false }],
    ['debug undefined', { debug: undefined }],
  ])('is 403 with Vary only and no reason (%s)', (_what, options) => {
    expect(preflightAnswer(denied, options)).toEqual({ statusCode: 403, headers: { Vary: VARY }, body: '' });
  });

  test('with debug, carries the reason and detail in X-Cors-Deny-Reason and still no Access-Control-* header', () => {
    expect(preflightAnswer(denied, { debug: true })).toEqual({
      statusCode: 403,
      headers: { Vary: VARY, 'X-Cors-Deny-Reason': 'origin_not_allowed: https://evil.example.net is not in allowOrigins' },
      body: '',
    });
  });

  test('the debug reason can never split or forge a header: only printable ASCII, at most 200 characters', () => {
    const detail = `x\r\nSet-Cookie: a=b\u0000\u00e9${'y'.repeat(400)}`;
    const value = preflightAnswer({ kind: 'denied', reason: 'header_not_allowed', detail }, { debug: true }).headers['X-Cors-Deny-Reason'];
    expect(value).toBe(`header_not_allowed: x??Set-Cookie: a=b??${'y'.repeat(200 - 'header_not_allowed: x??Set-Cookie: a=b??'.length)}`);
    expect(value).toHaveLength(200);
  });

  test('an engine denial gives the same answer as an adapter-made one with its reason', () => {
    const decision = decidePreflight(set, preflight({ path: '/products/1', origin: 'https://evil.example.net' }));
    if (decision.kind !== 'denied') throw new Error(`expected a denial, got ${decision.kind}`);
    expect(preflightAnswer(decision, { debug: true })).toEqual(
      preflightAnswer({ kind: 'denied', reason: decision.reason, detail: decision.detail }, { debug: true }),
    );
  });
});

describe('an OPTIONS request that is not a preflight', () => {
  test.each([false, true])('is 204 with Vary only, whatever debug (%s)', (debug) => {
    expect(preflightAnswer({ kind: 'not-preflight' }, { debug })).toEqual({ statusCode: 204, headers: { Vary: VARY }, body: '' });
  });
});

test('every answer gets its own headers object: a caller changing one changes no other answer', () => {
  const first = preflightAnswer({ kind: 'not-preflight' });
  first.headers.Vary = 'changed';
  first.headers['X-Extra'] = '1';
  expect(preflightAnswer({ kind: 'not-preflight' }).headers).toEqual({ Vary: VARY });
  const denied = preflightAnswer({ kind: 'denied', reason: 'no_route_policy', detail: 'none' });
  denied.headers.Vary = 'changed';
  expect(preflightAnswer({ kind: 'denied', reason: 'no_route_policy', detail: 'none' }).headers).toEqual({ Vary: VARY });
});
