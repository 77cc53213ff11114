/**
 * Load with live policy edits (issue 8, part 4). The local stack (moto, the
 * API Gateway emulator, the BUILT preflight function and the example API on
 * the BUILT layer, TTL 5 s) takes a bounded autocannon load on 127.0.0.1:
 * preflights and actual requests from several origins, on a route whose
 * policy is rewritten in moto three times during the load, alternating
 * between two valid versions:
 *   A allows https://alpha.example.com (with credentials, GET/PUT, x-version-a)
 *   B allows https://beta.example.com  (no credentials, GET/DELETE, x-version-b)
 * and both allow https://both.example.com, with different answers. A second,
 * never edited policy must give the same answer throughout.
 *
 * Asserted:
 * - no failed request: only 200, 204 and 403, no socket error, no timeout, no
 *   gateway error, no error or warning logged by the functions;
 * - every answer equals, header for header, version A's or version B's answer
 *   to that request, AND that version could be served while the request was in
 *   flight: from its PutParameter until the next edit's PutParameter returned
 *   plus TTL plus the load budget (see support/load-timeline.ts). A mix of both
 *   versions, a version never put, or an old version served past the TTL fails;
 * - in the stretches where only one version is admissible, both functions
 *   answered requests that tell the versions apart (so the check is never
 *   vacuous, and every edit was picked up by both);
 * - after the last edit + TTL + budget, a final burst sees only the last version;
 * - Parameter Store calls: at most one refresh per 0.9 TTL per function (plus
 *   room for two SDK retries; none per request), and at least one per version
 *   served.
 * Speed is reported (requests/s, latency percentiles), never asserted.
 *
 * Each edit is made just after one function's refresh (seen on the stack's
 * Parameter Store call counter), so that function goes on serving the old
 * version for nearly a whole TTL: the worst case, where serving it longer than
 * promised cannot go unnoticed. Edits are at least 8 s apart because a version
 * may legitimately be served up to TTL + budget (7 s) after the next edit:
 * closer edits would leave no moment where only one version is admissible.
 */
import autocannon from 'autocannon';
import { DEFAULT_LOAD_BUDGET_MS } from '../../functions/aws/config';
import { startLocalStack, type FunctionLog, type LocalStack } from '../../scripts/local/stack';
import {
  AnswerPool,
  corsView,
  discriminates,
  exclusiveStretches,
  inconsistency,
  matchingVersions,
  servingWindows,
  type Answer,
  type Edit,
  type Observation,
  type RequestKind,
  type Version,
} from './support/load-timeline';

const TTL_SECONDS = 5;
const TTL_MS = TTL_SECONDS * 1000;
/** The stack does not set CORS_POLICY_LOAD_BUDGET_MS, so the functions run with the default. */
const BUDGET_MS = DEFAULT_LOAD_BUDGET_MS;
const CONNECTIONS = 4;
/** Upper bounds of the load: it is stopped earlier, once the last edit's window has passed. */
const LOAD_MAX_SECONDS = 50;
const LOAD_MAX_REQUESTS = 500_000;
/** The edits of the load, each made just after a refresh of the function named. */
const EDITS: ReadonlyArray<{ version: Version; after: 'cors-preflight' | 'example-api' }> = [
  { version: 'B', after: 'cors-preflight' },
  { version: 'A', after: 'example-api' },
  { version: 'B', after: 'cors-preflight' },
];
const FIRST_EDIT_MS = 1000;
const EDIT_GAP_MS = 8000;
/** After the call counter moved: time for that refresh to read the old version before the put. */
const ALIGN_DELAY_MS = 150;
/** The load goes on this long after the last edit's old version may no longer be served. */
const TAIL_MS = 1000;
const FINAL_BURST = { seconds: 5, maxRequests: 1100 };
const GET_PARAMETERS = 'GetParametersByPath';
/** autocannon gives up on a request after this many seconds (counted as a timeout). */
const REQUEST_TIMEOUT_SECONDS = 10;

const X = 'https://alpha.example.com';
const Y = 'https://beta.example.com';
const Z = 'https://both.example.com';
const W = 'https://evil.example.com';
const S = 'https://steady.example.com';

/** The edited route's policy at `version`: its own origin, method, request header (x-version-a/b) and exposed header, and Z's. */
const livePolicy = (version: Version, own: { origin: string; method: string; exposed: string }, rest: object) => ({
  description: `load test, version ${version}`,
  route: '/live/{path+}',
  allowOrigins: [own.origin, Z],
  allowMethods: ['GET', own.method],
  allowHeaders: [`x-version-${version.toLowerCase()}`],
  exposeHeaders: [own.exposed],
  ...rest,
});
const POLICY: Record<Version, object> = {
  A: livePolicy('A', { origin: X, method: 'PUT', exposed: 'etag' }, { allowCredentials: true, maxAge: 600 }),
  B: livePolicy('B', { origin: Y, method: 'DELETE', exposed: 'x-request-id' }, { maxAge: 300 }),
};
const STEADY = {
  description: 'load test, never edited',
  route: '/steady/{path+}',
  allowOrigins: [S],
  allowMethods: ['GET', 'POST'],
  allowHeaders: ['content-type'],
  maxAge: 120,
};

// The answers each version must give, written out from the response table in docs/preflight.md.
const PREFLIGHT_VARY = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';
const preflightA = (origin: string): Answer => ({
  status: 204,
  cors: {
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    'access-control-allow-methods': 'GET, PUT',
    'access-control-allow-headers': 'x-version-a',
    'access-control-max-age': '600',
    vary: PREFLIGHT_VARY,
  },
});
const preflightB = (origin: string): Answer => ({
  status: 204,
  cors: {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': 'GET, DELETE',
    'access-control-allow-headers': 'x-version-b',
    'access-control-max-age': '300',
    vary: PREFLIGHT_VARY,
  },
});
const preflightDenied: Answer = { status: 403, cors: { vary: PREFLIGHT_VARY } };
const preflightSteady: Answer = {
  status: 204,
  cors: {
    'access-control-allow-origin': S,
    'access-control-allow-methods': 'GET, POST',
    'access-control-allow-headers': 'content-type',
    'access-control-max-age': '120',
    vary: PREFLIGHT_VARY,
  },
};
const actualA = (origin: string): Answer => ({
  status: 200,
  cors: { 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true', 'access-control-expose-headers': 'etag', vary: 'Origin' },
});
const actualB = (origin: string): Answer => ({
  status: 200,
  cors: { 'access-control-allow-origin': origin, 'access-control-expose-headers': 'x-request-id', vary: 'Origin' },
});
const actualNone: Answer = { status: 200, cors: { vary: 'Origin' } };
const actualSteady: Answer = { status: 200, cors: { 'access-control-allow-origin': S, vary: 'Origin' } };

const LIVE_PATH = '/live/items/42';
const STEADY_PATH = '/steady/status';

interface LoadRequest extends RequestKind {
  method: string;
  path: string;
  headers: Record<string, string>;
}

const both = (answer: Answer): Record<Version, Answer> => ({ A: answer, B: answer });
const preflightReq = (origin: string, method: string, extra: Record<string, string> = {}) => ({ origin, 'access-control-request-method': method, ...extra });

/** One cycle of the load; every connection goes through it in order, again and again. */
const KINDS: LoadRequest[] = [
  {
    name: 'preflight alpha PUT',
    target: 'preflight',
    method: 'OPTIONS',
    path: LIVE_PATH,
    headers: preflightReq(X, 'PUT'),
    expected: { A: preflightA(X), B: preflightDenied },
  },
  {
    name: 'preflight beta DELETE',
    target: 'preflight',
    method: 'OPTIONS',
    path: LIVE_PATH,
    headers: preflightReq(Y, 'DELETE'),
    expected: { A: preflightDenied, B: preflightB(Y) },
  },
  {
    name: 'preflight both GET',
    target: 'preflight',
    method: 'OPTIONS',
    path: LIVE_PATH,
    headers: preflightReq(Z, 'GET'),
    expected: { A: preflightA(Z), B: preflightB(Z) },
  },
  { name: 'GET alpha', target: 'actual', method: 'GET', path: LIVE_PATH, headers: { origin: X }, expected: { A: actualA(X), B: actualNone } },
  { name: 'preflight evil GET', target: 'preflight', method: 'OPTIONS', path: LIVE_PATH, headers: preflightReq(W, 'GET'), expected: both(preflightDenied) },
  { name: 'GET beta', target: 'actual', method: 'GET', path: LIVE_PATH, headers: { origin: Y }, expected: { A: actualNone, B: actualB(Y) } },
  {
    name: 'preflight steady GET',
    target: 'preflight',
    method: 'OPTIONS',
    path: STEADY_PATH,
    headers: preflightReq(S, 'GET', { 'access-control-request-headers': 'content-type' }),
    expected: both(preflightSteady),
  },
  { name: 'GET both', target: 'actual', method: 'GET', path: LIVE_PATH, headers: { origin: Z }, expected: { A: actualA(Z), B: actualB(Z) } },
  { name: 'GET evil', target: 'actual', method: 'GET', path: LIVE_PATH, headers: { origin: W }, expected: both(actualNone) },
  {
    name: 'preflight both DELETE x-version-b',
    target: 'preflight',
    method: 'OPTIONS',
    path: LIVE_PATH,
    headers: preflightReq(Z, 'DELETE', { 'access-control-request-headers': 'x-version-b' }),
    expected: { A: preflightDenied, B: preflightB(Z) },
  },
  { name: 'GET steady', target: 'actual', method: 'GET', path: STEADY_PATH, headers: { origin: S }, expected: both(actualSteady) },
];

const ALLOWED_STATUSES = new Set([200, 204, 403]);

interface Run {
  result: autocannon.Result;
  observations: Observation[];
}

const pool = new AnswerPool();

/**
 * One autocannon run over KINDS, recording per response which kind it was,
 * when it was in flight, and the CORS answer. `until` resolves when the run
 * should stop before its bounds.
 */
function load(url: string, bounds: { seconds: number; maxRequests: number }, until?: Promise<unknown>): Promise<Run> {
  const observations: Observation[] = [];
  type Ctx = { sentAt?: number };
  const requests: autocannon.Request[] = KINDS.map((k, kind) => ({
    method: k.method as autocannon.Request['method'],
    path: k.path,
    headers: k.headers,
    setupRequest: (req: autocannon.Request, context: object) => {
      // Called just before the request is written (one request in flight per connection).
      (context as Ctx).sentAt = Date.now();
      return req;
    },
    onResponse: (status: number, _body: string, context: object, headers: Record<string, string | string[] | undefined> | undefined) => {
      const sentAt = (context as Ctx).sentAt ?? Number.NaN;
      observations.push({ kind, sentAt, receivedAt: Date.now(), answer: pool.intern(corsView(status, headers ?? {})) });
    },
  }));
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: CONNECTIONS,
        pipelining: 1,
        duration: bounds.seconds,
        maxOverallRequests: bounds.maxRequests,
        timeout: REQUEST_TIMEOUT_SECONDS,
        requests,
      },
      (err, result) => (err ? reject(err) : resolve({ result, observations })),
    );
    const stop = () => instance.stop();
    until?.then(stop, stop);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function failures(result: autocannon.Result): Record<string, unknown> {
  const statuses = Object.keys(result.statusCodeStats ?? {}).map(Number);
  return { errors: result.errors, timeouts: result.timeouts, unexpectedStatuses: statuses.filter((s) => !ALLOWED_STATUSES.has(s)) };
}

describe('the consistency check itself (positive controls)', () => {
  const edits: Edit[] = [
    { version: 'A', start: 0, end: 10 },
    { version: 'B', start: 20_000, end: 20_050 },
  ];
  const windows = servingWindows(edits, TTL_MS, BUDGET_MS);
  const at = (kind: number, t: number, answer: Answer): Observation => ({ kind, sentAt: t, receivedAt: t + 5, answer });

  it('accepts each version inside its window, including the old one for up to TTL + budget after the edit', () => {
    expect(inconsistency(KINDS, windows, at(0, 5_000, preflightA(X)))).toBeUndefined();
    expect(inconsistency(KINDS, windows, at(0, 20_050 + TTL_MS + BUDGET_MS - 10, preflightA(X)))).toBeUndefined();
    expect(inconsistency(KINDS, windows, at(0, 20_010, preflightDenied))).toBeUndefined();
    expect(inconsistency(KINDS, windows, at(4, 1_000, preflightDenied))).toBeUndefined();
  });

  it('refuses an old version past TTL + budget, a version before its put, a mix, and a version never put', () => {
    expect(inconsistency(KINDS, windows, at(0, 20_050 + TTL_MS + BUDGET_MS + 1, preflightA(X)))).toMatch(/outside every window/);
    expect(inconsistency(KINDS, windows, at(1, 19_000, preflightB(Y)))).toMatch(/outside every window/);
    const mix: Answer = { status: 204, cors: { ...preflightA(Z).cors, 'access-control-allow-methods': 'GET, DELETE' } };
    expect(inconsistency(KINDS, windows, at(2, 5_000, mix))).toMatch(/neither version A's nor version B's/);
    const neverPut: Answer = { status: 204, cors: { ...preflightB(Z).cors, 'access-control-max-age': '7200' } };
    expect(inconsistency(KINDS, windows, at(2, 30_000, neverPut))).toMatch(/neither/);
    expect(inconsistency(KINDS, windows, at(3, 5_000, { status: 502, cors: { vary: 'Origin' } }))).toMatch(/neither/);
  });

  it('7 of the 11 request kinds tell the versions apart, on both functions', () => {
    expect(KINDS.filter(discriminates).length).toBe(7);
    for (const target of ['preflight', 'actual'] as const) expect(KINDS.some((k) => k.target === target && discriminates(k))).toBe(true);
  });
});

describe('load with live policy edits (local stack, autocannon on 127.0.0.1)', () => {
  let stack: LocalStack | undefined;
  const badLogs: string[] = [];
  const gatewayErrors: string[] = [];

  afterAll(async () => {
    await stack?.stop();
  });

  it('serves only the old or the new policy under load, with no failed request, and the new one everywhere after the TTL', async () => {
    const policyPath = `/test/reliability-load/${process.pid}-${Date.now()}`;
    stack = await startLocalStack({
      policiesDir: null,
      policyPath,
      ttlSeconds: TTL_SECONDS,
      // Direct mode: the edits are aligned with each function's own Parameter Store refreshes. Snapshot
      // mode's fleet behaviour is test/aws/snapshot-fleet.int.test.ts and test/local/snapshot-flow.int.test.ts.
      mode: 'direct',
      // Production settings: no deny-reason header; only warnings and errors logged.
      debug: false,
      logLevel: 'WARN',
      // The integration project's moto, when there is one (a parameter path of its own); otherwise the stack starts one.
      ...(process.env.MOTO_ENDPOINT ? { motoEndpoint: process.env.MOTO_ENDPOINT } : {}),
      onLog: (log: FunctionLog) => {
        const level = log.json?.level;
        // Metrics lines carry the configured level (so Lambda's level filter keeps them); every other warning is bad.
        if (log.json === undefined || ((level === 'WARN' || level === 'ERROR') && log.json.message !== 'metrics'))
          badLogs.push(`${log.function} ${log.stream}: ${log.line}`);
      },
      onRequest: (record) => {
        if (record.gatewayError !== undefined || record.status >= 500)
          gatewayErrors.push(`${record.method} ${record.path} ${record.status} ${record.gatewayError ?? ''}`);
      },
    });
    const s = stack;
    expect(s.ttlSeconds).toBe(TTL_SECONDS);

    // Version A and the steady policy are in place before either function first loads.
    const edits: Edit[] = [];
    const initialPut = Date.now();
    await s.putPolicy('edited', POLICY.A);
    edits.push({ version: 'A', start: initialPut, end: Date.now() });
    await s.putPolicy('steady', STEADY);

    // Warm-up: each kind once (both cold starts happen here), all answered by version A.
    const warmStart = Date.now();
    for (const k of KINDS) {
      const res = await fetch(`${s.urls.api}${k.path}`, { method: k.method, headers: k.headers, signal: AbortSignal.timeout(15_000) });
      await res.arrayBuffer();
      const headers: Record<string, string> = {};
      res.headers.forEach((v, n) => {
        headers[n] = v;
      });
      expect({ kind: k.name, answer: corsView(res.status, headers) }).toEqual({ kind: k.name, answer: k.expected.A });
    }

    // The load, with the edits made inside it, each just after a refresh of one function.
    const calls = (app: string) => s.parameterStore.calls({ app, operation: GET_PARAMETERS });
    const refreshSeenBeforeEdit: boolean[] = [];
    const drive = async (): Promise<void> => {
      let due = Date.now() + FIRST_EDIT_MS;
      for (const e of EDITS) {
        await sleep(due - Date.now());
        const before = calls(e.after);
        const giveUp = Date.now() + TTL_MS + BUDGET_MS;
        while (calls(e.after) === before && Date.now() < giveUp) await sleep(5);
        refreshSeenBeforeEdit.push(calls(e.after) > before);
        await sleep(ALIGN_DELAY_MS);
        const start = Date.now();
        await s.putPolicy('edited', POLICY[e.version]);
        edits.push({ version: e.version, start, end: Date.now() });
        due = Date.now() + EDIT_GAP_MS;
      }
      await sleep(edits[edits.length - 1]!.end + TTL_MS + BUDGET_MS + TAIL_MS - Date.now());
    };
    const loadStart = Date.now();
    const driving = drive();
    const [main] = await Promise.all([load(s.urls.api, { seconds: LOAD_MAX_SECONDS, maxRequests: LOAD_MAX_REQUESTS }, driving), driving]);
    const loadEnd = Date.now();
    expect(edits.map((e) => e.version)).toEqual(['A', ...EDITS.map((e) => e.version)]);

    // No failed request.
    expect(failures(main.result)).toEqual({ errors: 0, timeouts: 0, unexpectedStatuses: [] });
    expect(main.observations.length).toBeGreaterThan(KINDS.length * CONNECTIONS);
    expect(main.observations.length).toBe(main.result.requests.total);

    // Every answer is one version's, served while that version could be.
    const windows = servingWindows(edits, TTL_MS, BUDGET_MS);
    const problems = main.observations.map((o) => inconsistency(KINDS, windows, o, loadStart)).filter((p): p is string => p !== undefined);
    expect({ inconsistent: problems.length, examples: problems.slice(0, 5) }).toEqual({ inconsistent: 0, examples: [] });

    // Under load a function refreshes at least once in any TTL + budget, so every edit could follow one.
    expect(refreshSeenBeforeEdit).toEqual(EDITS.map(() => true));

    // Where only one version is admissible, both functions answered requests that tell the versions apart.
    const stretches = exclusiveStretches(edits, TTL_MS, BUDGET_MS, loadStart, loadEnd);
    expect(stretches.map((w) => w.version)).toEqual(edits.map((e) => e.version));
    const coverage = stretches.map((w) => {
      const inside = main.observations.filter((o) => o.sentAt >= w.from && o.receivedAt <= w.until && discriminates(KINDS[o.kind]!));
      return {
        version: w.version,
        preflight: inside.filter((o) => KINDS[o.kind]!.target === 'preflight').length,
        actual: inside.filter((o) => KINDS[o.kind]!.target === 'actual').length,
        ms: w.until - w.from,
      };
    });
    for (const c of coverage) {
      expect({ version: c.version, preflightSeen: c.preflight > 0, actualSeen: c.actual > 0 }).toEqual({
        version: c.version,
        preflightSeen: true,
        actualSeen: true,
      });
    }

    // After the last edit + TTL + budget: the last version everywhere.
    const last = edits[edits.length - 1]!;
    await sleep(Math.max(0, last.end + TTL_MS + BUDGET_MS - Date.now()));
    const finalStart = Date.now();
    const final = await load(s.urls.api, FINAL_BURST);
    expect(failures(final.result)).toEqual({ errors: 0, timeouts: 0, unexpectedStatuses: [] });
    const stale = final.observations.filter((o) => !matchingVersions(KINDS[o.kind]!, o.answer).includes(last.version));
    expect({ notTheLastVersion: stale.length, examples: stale.slice(0, 3) }).toEqual({ notTheLastVersion: 0, examples: [] });
    for (const target of ['preflight', 'actual'] as const) {
      expect(final.observations.some((o) => KINDS[o.kind]!.target === target && discriminates(KINDS[o.kind]!))).toBe(true);
    }
    const finalEnd = Date.now();

    // Nothing failed on the server side either.
    expect(gatewayErrors).toEqual([]);
    expect(badLogs).toEqual([]);

    // Parameter Store: one GetParametersByPath per refresh (2 parameters, one page).
    // A refresh starts at least 0.9 TTL after the previous one ended, so in D ms a function makes at most
    // 1 + D / (0.9 TTL) of them. The slack covers a couple of SDK retries (a connection timeout on a busy
    // machine is retried without failing the refresh); a call per request would be thousands.
    const ssmCalls = { preflight: calls('cors-preflight'), api: calls('example-api') };
    const maxRefreshes = 1 + Math.floor((finalEnd - warmStart) / (0.9 * TTL_MS));
    const SDK_RETRY_SLACK = 2;
    expect(ssmCalls.preflight).toBeLessThanOrEqual(maxRefreshes + SDK_RETRY_SLACK);
    expect(ssmCalls.api).toBeLessThanOrEqual(maxRefreshes + SDK_RETRY_SLACK);
    // Every version was picked up, so each function loaded at least once per edit.
    expect(ssmCalls.preflight).toBeGreaterThanOrEqual(edits.length);
    expect(ssmCalls.api).toBeGreaterThanOrEqual(edits.length);

    // Per edit and function: how long after the put returned the previous version was last sent (reported, bounded by the windows above).
    const lastOldSeen = edits.slice(1).map((e, i) => {
      const previous = edits[i]!.version;
      const nextStart = edits[i + 2]?.start ?? Infinity;
      const lastFor = (target: RequestKind['target']) =>
        main.observations
          .filter((o) => KINDS[o.kind]!.target === target && o.receivedAt >= e.end && o.sentAt < nextStart && discriminates(KINDS[o.kind]!))
          .filter((o) => matchingVersions(KINDS[o.kind]!, o.answer)[0] === previous)
          .reduce((m, o) => Math.max(m, o.sentAt - e.end), 0);
      return { to: e.version, editedAfterRefreshOf: EDITS[i]!.after, preflight: lastFor('preflight'), api: lastFor('actual') };
    });

    const r = main.result;
    const report = {
      load: {
        seconds: r.duration,
        connections: CONNECTIONS,
        requests: r.requests.total,
        preflights: main.observations.filter((o) => KINDS[o.kind]!.target === 'preflight').length,
        actual: main.observations.filter((o) => KINDS[o.kind]!.target === 'actual').length,
        statuses: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([k, v]) => [k, v.count])),
        requestsPerSecond: { mean: r.requests.average, min: r.requests.min, max: r.requests.max },
        latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max, mean: r.latency.average },
        errors: r.errors,
        timeouts: r.timeouts,
      },
      edits: EDITS.length,
      editPutMs: edits.map((e) => e.end - e.start),
      oldVersionLastSeenMsAfterEdit: lastOldSeen,
      exclusiveStretches: coverage,
      finalBurst: {
        requests: final.result.requests.total,
        seconds: final.result.duration,
        startedMsAfterLastEdit: finalStart - last.end,
        latencyMs: { p50: final.result.latency.p50, p99: final.result.latency.p99 },
      },
      parameterStoreCalls: s.parameterStore.snapshot(),
      maxRefreshesPerFunction: maxRefreshes,
      inconsistent: problems.length,
    };
    console.log(`load with live edits:\n${JSON.stringify(report, null, 2)}`);
  }, 150_000);
});
