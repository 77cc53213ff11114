/**
 * The browser suite: headless Chromium against the local stack (the BUILT
 * preflight bundle and layer behind the API Gateway emulator), once with REST
 * payload v1 events and once with HTTP API payload v2 events.
 *
 * Pages live on http://<host>.example.test:<page port> and the API on
 * http://api.example.test:<api port>; every *.test host resolves to 127.0.0.1.
 * Each case opens a fresh browser context (empty preflight cache, HTTP cache
 * and cookie jar) and a path of its own, and asserts two things: what the
 * browser let the script see, and how many preflights and actual requests the
 * gateway received for that origin and path.
 *
 * The credentialed cases use plain-http origins that are not loopback names,
 * so their policy (test/browser/policies/account.json) sets
 * dangerouslyAllowInsecureOriginsWithCredentials; nothing else depends on it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pushPolicies, readPolicy } from '../../scripts/local/policies';
import { startLocalStack, type LocalStack } from '../../scripts/local/stack';
import { chromiumAndMoto, Contexts, fetchFrom, fetchFromSandboxedFrame, type Verdict } from './harness';

const POLICIES = join(__dirname, 'policies');
const TTL_SECONDS = 5;

const shared = chromiumAndMoto();

function expectAllowed(v: Verdict): asserts v is Extract<Verdict, { ok: true }> {
  if (!v.ok) throw new Error(`expected the browser to allow the request, got ${v.error}`);
}

function expectBlocked(v: Verdict): void {
  // Chromium reports every CORS failure to the script as this network error, nothing more.
  expect(v).toEqual({ ok: false, error: 'TypeError: Failed to fetch' });
}

describe.each(['v1', 'v2'] as const)('Chromium against the local stack with payload %s events', (payload) => {
  let stack: LocalStack;
  const contexts = new Contexts(shared.browser);
  let api = '';
  let port = 0;
  let n = 0;
  /** A page origin on the page server: `origin('app')` is http://app.example.test:PORT. */
  const origin = (host: string) => `http://${host}.example.test:${port}`;
  const APP = () => origin('app');
  /** A path no other case uses, so counters start at zero. */
  const fresh = (prefix: string) => `/${prefix}/case-${++n}`;
  const preflights = (path: string, from: string) => stack.counters.preflights({ path, origin: from });
  const actual = (path: string, from: string) => stack.counters.actual({ path, origin: from });

  beforeAll(async () => {
    stack = await startLocalStack({
      payload,
      motoEndpoint: shared.moto().endpoint,
      policiesDir: POLICIES,
      policyPath: `/test/browser/${payload}`,
      ttlSeconds: TTL_SECONDS,
      // Snapshot mode (the default): edits reach the functions through the compiler. No
      // scheduled heartbeat, so every new snapshot the functions download carries an edit.
      scheduleSeconds: 0,
      apiHost: 'api.example.test',
      pageHost: 'app.example.test',
      logLevel: 'ERROR',
    });
    api = stack.urls.api;
    port = stack.pagePort;
  });

  afterEach(() => contexts.closeAll());
  afterAll(() => stack?.stop());

  describe('simple requests (no preflight)', () => {
    it('lets an allowed origin read a simple GET without any preflight', async () => {
      const path = fresh('items');
      const page = await contexts.pageAt(APP());
      const v = await fetchFrom(page, api + path);
      expectAllowed(v);
      expect(v.status).toBe(200);
      expect(JSON.parse(v.body)).toMatchObject({ method: 'GET', path, payload: payload === 'v1' ? '1.0' : '2.0' });
      expect(preflights(path, APP())).toBe(0);
      expect(actual(path, APP())).toBe(1);
    });

    it('hides a simple GET from an origin the policy does not list: the request reaches the API, the browser blocks the response', async () => {
      const path = fresh('items');
      const evil = origin('evil');
      const page = await contexts.pageAt(evil);
      expectBlocked(await fetchFrom(page, api + path));
      expect(preflights(path, evil)).toBe(0);
      expect(actual(path, evil)).toBe(1);
      const seen = stack.counters.records({ path, origin: evil })[0];
      expect(seen?.status).toBe(200);
      expect(seen?.responseHeaders['access-control-allow-origin']).toBeUndefined();
      expect(seen?.responseHeaders.vary).toBe('Origin');
    });
  });

  describe('preflighted requests', () => {
    it('preflights a JSON POST once and then sends it', async () => {
      const path = fresh('items');
      const page = await contexts.pageAt(APP());
      const v = await fetchFrom(page, api + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"lamp"}' });
      expectAllowed(v);
      expect(JSON.parse(v.body)).toMatchObject({ method: 'POST', requestBody: '{"name":"lamp"}' });
      expect(preflights(path, APP())).toBe(1);
      expect(actual(path, APP())).toBe(1);
      const preflight = stack.counters.lastPreflight({ path, origin: APP() });
      expect(preflight).toMatchObject({ status: 204, requestMethod: 'POST', requestHeaders: 'content-type' });
    });

    it('sends a listed custom header after a preflight', async () => {
      const path = fresh('items');
      const page = await contexts.pageAt(APP());
      const v = await fetchFrom(page, api + path, { headers: { 'X-Trace-Id': 't-1' } });
      expectAllowed(v);
      expect(JSON.parse(v.body).customHeaders).toContain('x-trace-id');
      expect(preflights(path, APP())).toBe(1);
      expect(stack.counters.lastPreflight({ path, origin: APP() })?.requestHeaders).toBe('x-trace-id');
    });

    it('refuses a custom header the policy does not list, at the preflight', async () => {
      const path = fresh('items');
      const page = await contexts.pageAt(APP());
      expectBlocked(await fetchFrom(page, api + path, { headers: { 'x-trace-id': 't', 'x-secret': 's' } }));
      expect(preflights(path, APP())).toBe(1);
      expect(actual(path, APP())).toBe(0);
      const preflight = stack.counters.lastPreflight({ path, origin: APP() });
      expect(preflight?.status).toBe(403);
      expect(preflight?.requestHeaders).toBe('x-secret,x-trace-id');
      expect(preflight?.denyReason).toMatch(/^header_not_allowed: header x-secret/);
    });

    it('allows a listed method (PUT) and refuses an unlisted one (DELETE)', async () => {
      const putPath = fresh('items');
      const deletePath = fresh('items');
      const page = await contexts.pageAt(APP());
      const put = await fetchFrom(page, api + putPath, { method: 'PUT', body: 'x' });
      expectAllowed(put);
      expect(JSON.parse(put.body).method).toBe('PUT');
      expectBlocked(await fetchFrom(page, api + deletePath, { method: 'DELETE' }));
      expect(preflights(putPath, APP())).toBe(1);
      expect(actual(putPath, APP())).toBe(1);
      expect(preflights(deletePath, APP())).toBe(1);
      expect(actual(deletePath, APP())).toBe(0);
      expect(stack.counters.lastPreflight({ path: deletePath, origin: APP() })?.denyReason).toMatch(/^method_not_allowed/);
    });

    it("refuses method 'patch' in lower case against a policy listing PATCH, and allows 'PATCH'", async () => {
      const lowerPath = fresh('items');
      const upperPath = fresh('items');
      const page = await contexts.pageAt(APP());
      // The browser upper-cases only DELETE, GET, HEAD, OPTIONS, POST and PUT: 'patch' goes out as is.
      expectBlocked(await fetchFrom(page, api + lowerPath, { method: 'patch' }));
      expect(stack.counters.lastPreflight({ path: lowerPath, origin: APP() })).toMatchObject({ requestMethod: 'patch', status: 403 });
      expect(actual(lowerPath, APP())).toBe(0);
      expectAllowed(await fetchFrom(page, api + upperPath, { method: 'PATCH' }));
      expect(preflights(upperPath, APP())).toBe(1);
      expect(actual(upperPath, APP())).toBe(1);
    });

    it('answers the root path / through its own route', async () => {
      const page = await contexts.pageAt(APP());
      const v = await fetchFrom(page, `${api}/?case=root-${payload}`, { method: 'PUT', headers: { 'x-trace-id': 'root' } });
      expectAllowed(v);
      expect(JSON.parse(v.body)).toMatchObject({ method: 'PUT', path: '/' });
      expect(preflights('/', APP())).toBe(1);
    });
  });

  describe('credentials', () => {
    it('allows a credentialed request when the policy allows credentials: exact origin, Allow-Credentials true, cookie sent', async () => {
      const path = fresh('account');
      const ctx = await contexts.context();
      await ctx.addCookies([{ name: 'session', value: 'abc', domain: 'api.example.test', path: '/', sameSite: 'Lax' }]);
      const page = await contexts.pageAt(APP(), ctx);
      const v = await fetchFrom(page, api + path, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}', credentials: 'include' });
      expectAllowed(v);
      expect(JSON.parse(v.body)).toMatchObject({ cookieReceived: true, cookieNames: ['session'] });
      expect(preflights(path, APP())).toBe(1);
      expect(actual(path, APP())).toBe(1);
      const [preflight, request] = stack.counters.records({ path, origin: APP() });
      // The preflight never carries cookies; the actual request does.
      expect(preflight).toMatchObject({ kind: 'preflight', cookie: false });
      expect(preflight?.responseHeaders['access-control-allow-origin']).toBe(APP());
      expect(preflight?.responseHeaders['access-control-allow-credentials']).toBe('true');
      expect(request).toMatchObject({ kind: 'actual', cookie: true });
      expect(request?.responseHeaders['access-control-allow-origin']).toBe(APP());
      expect(request?.responseHeaders['access-control-allow-credentials']).toBe('true');
    });

    it('blocks a credentialed request when the policy does not allow credentials, although the origin is allowed', async () => {
      const path = fresh('items');
      const ctx = await contexts.context();
      await ctx.addCookies([{ name: 'session', value: 'abc', domain: 'api.example.test', path: '/', sameSite: 'Lax' }]);
      const page = await contexts.pageAt(APP(), ctx);
      expectBlocked(await fetchFrom(page, api + path, { credentials: 'include' }));
      expect(preflights(path, APP())).toBe(0);
      expect(actual(path, APP())).toBe(1);
      const request = stack.counters.records({ path, origin: APP() })[0];
      expect(request?.cookie).toBe(true);
      expect(request?.responseHeaders['access-control-allow-origin']).toBe(APP());
      expect(request?.responseHeaders['access-control-allow-credentials']).toBeUndefined();
    });

    it('sends Authorization when the policy lists it, and refuses it under allowHeaders "*"', async () => {
      const listedPath = fresh('account');
      const starPath = fresh('public');
      const otherPath = fresh('public');
      const page = await contexts.pageAt(APP());
      const listed = await fetchFrom(page, api + listedPath, { headers: { Authorization: 'Bearer t' }, credentials: 'include' });
      expectAllowed(listed);
      expect(JSON.parse(listed.body).authorizationReceived).toBe(true);
      // Per the Fetch standard "*" never covers Authorization; the preflight function refuses it
      // (Chromium itself would still accept "*" for it, so this is the server's doing).
      expectBlocked(await fetchFrom(page, api + starPath, { headers: { Authorization: 'Bearer t' } }));
      expect(stack.counters.lastPreflight({ path: starPath, origin: APP() })?.denyReason).toMatch(/^header_not_allowed: header authorization/);
      expect(actual(starPath, APP())).toBe(0);
      // The same "*" policy lets any other header through.
      expectAllowed(await fetchFrom(page, api + otherPath, { headers: { 'x-anything': '1' } }));
      expect(preflights(listedPath, APP())).toBe(1);
      expect(preflights(starPath, APP())).toBe(1);
      expect(preflights(otherPath, APP())).toBe(1);
    });
  });

  describe('response headers a script can read', () => {
    it('shows exposed headers and hides the others', async () => {
      const itemsPath = fresh('items');
      const accountPath = fresh('account');
      const page = await contexts.pageAt(APP());
      const items = await fetchFrom(page, api + itemsPath);
      expectAllowed(items);
      expect(items.headers.etag).toMatch(/^"[0-9a-f]{16}"$/);
      expect(items.headers['x-request-id']).toBeUndefined();
      expect(items.headers['content-type']).toBe('application/json');
      const account = await fetchFrom(page, api + accountPath, { credentials: 'include' });
      expectAllowed(account);
      expect(account.headers.etag).toBeDefined();
      expect(account.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(preflights(itemsPath, APP())).toBe(0);
      expect(preflights(accountPath, APP())).toBe(0);
    });
  });

  describe('preflight cache (Access-Control-Max-Age)', () => {
    it('reuses one preflight for repeated requests and for another allowed method on the same URL', async () => {
      const path = fresh('items');
      const page = await contexts.pageAt(APP());
      const init = { method: 'PUT', headers: { 'x-trace-id': 'a' }, body: '1' };
      expectAllowed(await fetchFrom(page, api + path, init));
      expectAllowed(await fetchFrom(page, api + path, init));
      // The first answer listed every allowed method and header, so PATCH with content-type is covered too.
      expectAllowed(await fetchFrom(page, api + path, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{}' }));
      expect(preflights(path, APP())).toBe(1);
      expect(actual(path, APP())).toBe(3);
      expect(stack.counters.lastPreflight({ path, origin: APP() })?.responseHeaders['access-control-max-age']).toBe('600');
    });
  });

  describe('origins', () => {
    it('refuses a preflighted request from a page on a denied origin, before it reaches the API', async () => {
      const path = fresh('items');
      const evil = origin('evil');
      const page = await contexts.pageAt(evil);
      expectBlocked(await fetchFrom(page, api + path, { method: 'PUT', body: 'x' }));
      expect(preflights(path, evil)).toBe(1);
      expect(actual(path, evil)).toBe(0);
      expect(stack.counters.lastPreflight({ path, origin: evil })?.denyReason).toMatch(/^origin_not_allowed/);
    });

    it('refuses the null origin of a sandboxed iframe', async () => {
      const path = fresh('items');
      const page = await contexts.pageAt(APP());
      expectBlocked(await fetchFromSandboxedFrame(page, api + path, { method: 'PUT', headers: { 'x-trace-id': 'n' }, body: 'x' }));
      expect(preflights(path, 'null')).toBe(1);
      expect(actual(path, 'null')).toBe(0);
      expect(stack.counters.lastPreflight({ path, origin: 'null' })?.status).toBe(403);
    });

    it('accepts a subdomain under a *. pattern and refuses the apex and look-alike hosts', async () => {
      const accepted = origin('a.app');
      const path = fresh('tenants');
      const ok = await fetchFrom(await contexts.pageAt(accepted), api + path, { method: 'PUT', headers: { 'x-trace-id': 's' }, body: 'x' });
      expectAllowed(ok);
      expect(preflights(path, accepted)).toBe(1);
      expect(actual(path, accepted)).toBe(1);
      const refused = [origin('app'), origin('evilapp'), `http://app.example.test.evil.test:${port}`, `http://a-app.example.test:${port}`];
      for (const from of refused) {
        const p = fresh('tenants');
        const v = await fetchFrom(await contexts.pageAt(from), api + p, { method: 'PUT', headers: { 'x-trace-id': 's' }, body: 'x' });
        expect({ from, blocked: !v.ok }).toEqual({ from, blocked: true });
        expect({ from, preflights: preflights(p, from), actual: actual(p, from) }).toEqual({ from, preflights: 1, actual: 0 });
      }
    });

    it('refuses an http origin for a policy that lists only the https one', async () => {
      const preflighted = fresh('secure');
      const simple = fresh('secure');
      const page = await contexts.pageAt(APP());
      expectBlocked(await fetchFrom(page, api + preflighted, { method: 'PUT', headers: { 'x-trace-id': 'h' }, body: 'x' }));
      expect(preflights(preflighted, APP())).toBe(1);
      expect(actual(preflighted, APP())).toBe(0);
      expect(stack.counters.lastPreflight({ path: preflighted, origin: APP() })?.denyReason).toMatch(/^origin_not_allowed/);
      expectBlocked(await fetchFrom(page, api + simple));
      expect(actual(simple, APP())).toBe(1);
    });
  });

  describe('shared caches', () => {
    it('serves a cacheable response to two same-site origins, each with its own Allow-Origin (Vary: Origin)', async () => {
      const path = fresh('cacheable');
      const second = origin('app2');
      const ctx = await contexts.context();
      const first = await contexts.pageAt(APP(), ctx);
      const other = await contexts.pageAt(second, ctx);
      const a = await fetchFrom(first, api + path);
      expectAllowed(a);
      // The same origin again is served from the HTTP cache: the cache is live in this context.
      expectAllowed(await fetchFrom(first, api + path));
      expect(actual(path, APP())).toBe(1);
      // The other origin shares the cache (same site) but must not get the first origin's answer.
      const b = await fetchFrom(other, api + path);
      expectAllowed(b);
      expect(actual(path, second)).toBe(1);
      expect(stack.counters.records({ path, origin: second })[0]?.responseHeaders).toMatchObject({
        'access-control-allow-origin': second,
        vary: 'Origin',
        'cache-control': 'public, max-age=60',
      });
      expect(preflights(path, APP()) + preflights(path, second)).toBe(0);
    });
  });

  describe('live policy edits', () => {
    it('applies a policy edited in Parameter Store within the TTL, without restarting anything', async () => {
      const path = fresh('live');
      const second = origin('app2');
      const page = await contexts.pageAt(second);
      const init = { method: 'PUT', headers: { 'x-trace-id': 'live' }, body: 'x' };
      expectBlocked(await fetchFrom(page, api + path, init));
      expect(preflights(path, second)).toBe(1);
      const coldStarts = stack.functions.preflight.stats.coldStarts;

      const edited = (await readPolicy(join(POLICIES, 'live.json'))) as { allowOrigins: string[] };
      edited.allowOrigins = [...edited.allowOrigins, 'http://app2.example.test:*'];
      if (payload === 'v1') {
        // As a user would: edit the file and push it with the project's CLI.
        const dir = await mkdtemp(join(tmpdir(), 'browser-live-'));
        try {
          await writeFile(join(dir, 'live.json'), JSON.stringify(edited, null, 2));
          await pushPolicies(dir, stack.policyPath, stack.env);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      } else {
        // As `aws ssm put-parameter --overwrite` would.
        await stack.putPolicy('live', edited);
      }

      // Refused preflights are not cached by the browser, so each attempt reaches the gateway.
      // The edit's change event makes the compiler write a new snapshot at once.
      // Until the preflight function's cache expires it keeps answering from the policies it
      // loaded before the edit; the first attempt that makes it reload (a Parameter Store call
      // during that attempt) sees the edit. The loop is bounded by the TTL plus a margin.
      //
      // The API function (the layer) caches the policies too, with its own jittered TTL: when the
      // preflight function reloads first, the browser may get an allowed preflight and still refuse
      // the actual response until the layer reloads. That attempt's preflight stays in the browser's
      // cache, so the next attempts go straight to the actual request.
      // A reload is the preflight function downloading a new snapshot (the edit, compiled), or in
      // direct mode listing the path.
      const reloads = () =>
        stack.snapshot
          ? stack.snapshot.s3.preflight.calls({ method: 'GET', status: 200 })
          : stack.parameterStore.calls({ app: 'cors-preflight', operation: 'GetParametersByPath' });
      const preflightStatuses = () =>
        stack.counters
          .records({ path, origin: second })
          .filter((r) => r.kind === 'preflight')
          .map((r) => r.status);
      const deadline = Date.now() + (2 * TTL_SECONDS + 5) * 1000;
      const attempts: Array<{ allowed: boolean; reloaded: boolean }> = [];
      for (;;) {
        const before = reloads();
        const v = await fetchFrom(page, api + path, init);
        attempts.push({ allowed: v.ok, reloaded: reloads() > before });
        if (v.ok || Date.now() > deadline) break;
        await page.waitForTimeout(200);
      }
      expect(attempts[attempts.length - 1]?.allowed).toBe(true);
      const firstReload = attempts.findIndex((a) => a.reloaded);
      expect(firstReload).toBeGreaterThanOrEqual(0);
      // Every attempt before the reload was refused at the preflight, from the policies as they were;
      // the preflight of the reloading attempt was allowed; no preflight came after it.
      expect(attempts.slice(0, firstReload).every((a) => !a.allowed)).toBe(true);
      expect(preflightStatuses()).toEqual([...Array<number>(firstReload + 1).fill(403), 204]);
      expect(actual(path, second)).toBe(attempts.length - firstReload);
      expect(stack.functions.preflight.stats.coldStarts).toBe(coldStarts);
    });
  });
});
