/**
 * A more specific route of the API's own (`ANY /items/{id}`) takes preflights
 * away from the preflight function: API Gateway sends OPTIONS for /items/42
 * to the API's function. Chromium against the local stack shows the browser
 * blocking the request when that function's withCors leaves preflights to
 * the handler, and passing it when withCors answers them with the preflight
 * function's decision (the default).
 */
import { join } from 'node:path';
import { startLocalStack, type LocalStack } from '../../scripts/local/stack';
import { chromiumAndMoto, Contexts, fetchFrom } from './harness';

const POLICIES = join(__dirname, 'policies');
const shared = chromiumAndMoto();

describe.each(['v1', 'v2'] as const)('a shadowing ANY /items/{id} route with payload %s events', (payload) => {
  const contexts = new Contexts(shared.browser);
  let answering: LocalStack;
  let legacy: LocalStack;
  let n = 0;
  const fresh = () => `/items/shadowed-${++n}`;
  const app = (stack: LocalStack) => `http://app.example.test:${stack.pagePort}`;
  const put = { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"name":"lamp"}' };

  beforeAll(async () => {
    const common = {
      payload,
      motoEndpoint: shared.moto().endpoint,
      policiesDir: POLICIES,
      apiHost: 'api.example.test',
      pageHost: 'app.example.test',
      logLevel: 'ERROR',
      misconfiguration: { shadowRoutes: ['/items/{id}'] },
    };
    [answering, legacy] = await Promise.all([
      startLocalStack({ ...common, policyPath: `/test/browser/shadow-${payload}` }),
      startLocalStack({ ...common, policyPath: `/test/browser/shadow-${payload}-legacy`, layerAnswersPreflights: false }),
    ]);
  });
  afterEach(() => contexts.closeAll());
  afterAll(async () => {
    await answering?.stop();
    await legacy?.stop();
  });

  it('is broken without the layer’s preflight answer: the API function answers OPTIONS like any request and the browser blocks the PUT', async () => {
    const path = fresh();
    const page = await contexts.pageAt(app(legacy));
    expect(await fetchFrom(page, legacy.urls.api + path, put)).toEqual({ ok: false, error: 'TypeError: Failed to fetch' });
    const preflight = legacy.counters.lastPreflight({ path, origin: app(legacy) });
    // The API's own function answered: 200 with its JSON and no Access-Control-Allow-Origin.
    expect(preflight).toMatchObject({ function: 'api', status: 200, requestMethod: 'PUT' });
    expect(preflight?.responseHeaders['access-control-allow-origin']).toBeUndefined();
    expect(legacy.counters.actual({ path, origin: app(legacy) })).toBe(0);
  });

  it('works with withCors answering the preflight: the same decision and headers as the preflight function, then the PUT', async () => {
    const path = fresh();
    const page = await contexts.pageAt(app(answering));
    const v = await fetchFrom(page, answering.urls.api + path, put);
    expect(v).toMatchObject({ ok: true, status: 200 });
    if (v.ok) expect(JSON.parse(v.body)).toMatchObject({ method: 'PUT', requestBody: '{"name":"lamp"}' });
    const preflight = answering.counters.lastPreflight({ path, origin: app(answering) });
    expect(preflight).toMatchObject({ function: 'api', status: 204 });
    expect(preflight?.responseHeaders).toMatchObject({
      'access-control-allow-origin': app(answering),
      'access-control-allow-methods': 'GET, POST, PUT, PATCH',
      'access-control-allow-headers': 'content-type, x-trace-id',
      'access-control-max-age': '600',
      vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
    });
    expect(answering.counters.actual({ path, origin: app(answering) })).toBe(1);
  });

  it('still denies what the policy denies when withCors answers: an unlisted header is blocked at the preflight', async () => {
    const path = fresh();
    const page = await contexts.pageAt(app(answering));
    expect(await fetchFrom(page, answering.urls.api + path, { ...put, headers: { ...put.headers, 'x-unlisted': '1' } })).toEqual({
      ok: false,
      error: 'TypeError: Failed to fetch',
    });
    expect(answering.counters.lastPreflight({ path, origin: app(answering) })).toMatchObject({ function: 'api', status: 403 });
    expect(answering.counters.actual({ path, origin: app(answering) })).toBe(0);
  });
});
