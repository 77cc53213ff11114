/**
 * Property-based fuzzing of the policy engine and the preflight handler
 * against the reference model in support/reference-model.ts.
 *
 * Bounded: every property has a fixed numRuns. The seed is printed at the end
 * and FUZZ_SEED=<n> replays that run (fast-check also prints the seed and
 * shrink path of any failure); FUZZ_RUNS_FACTOR=<x> scales every numRuns.
 */
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import {
  actualResponseHeaders,
  compilePolicySet,
  decidePreflight,
  formatProblem,
  parsePolicy,
  parseRoutePattern,
  PolicyValidationError,
  RouteTable,
  type PolicyEntry,
} from '../../functions/core';
import { resetDefaultStore } from '../../functions/aws/default-store';
import { corsRequestFromEvent } from '../../functions/aws/event';
import { corsHeaders, withCors } from '../../functions/layer/index';
import { handler } from '../../functions/preflight/handler';
import { policiesWithEvents, policiesWithRequests, token, validPolicyDocument } from './support/arbitraries';
import {
  modelActualHeaders,
  modelDecide,
  modelEventMethod,
  modelFindPolicy,
  modelHandlerResult,
  modelOriginAllowed,
  modelRequestFromEvent,
  modelRouteKey,
  modelConflictedRoutes,
  modelServingPolicies,
  type ModelPolicy,
} from './support/reference-model';

// A fresh seed per run unless one is given; always printed, so any run can be replayed.
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : (Math.random() * 2 ** 31) | 0;
const FACTOR = Number(process.env.FUZZ_RUNS_FACTOR ?? '1') || 1;
/** Each property gets its own seed (SEED + a fixed offset), so no two see the same inputs and `-t` still replays one. */
const runs = (n: number, offset: number): fc.Parameters<unknown> => ({ numRuns: Math.max(1, Math.round(n * FACTOR)), seed: (SEED + offset) | 0 });

/** What ran, printed at the end so the figures in docs/reliability.md come from a real run. */
const counts = { properties: 0, cases: 0, requests: 0, handlerInvocations: 0, validatorInputs: 0 };
/** How the model decided, so a generator drifting towards all-denied (a fuzz that tests nothing) shows. */
const outcomes: Record<string, number> = {};
const tally = (key: string): void => {
  outcomes[key] = (outcomes[key] ?? 0) + 1;
};
afterAll(() => {
  process.stderr.write(`reliability fuzz: ${JSON.stringify(counts)} outcomes: ${JSON.stringify(outcomes)} seed=${SEED} (FUZZ_SEED=${SEED} replays this run)\n`);
});

function entriesOf(policies: readonly ModelPolicy[]): PolicyEntry[] {
  return policies.map((p) => ({ source: p.source, value: JSON.stringify(p.doc), type: 'String' }));
}

const isCorsHeader = (name: string): boolean => name.toLowerCase().startsWith('access-control-');

/** A browser would have produced exactly this serialization (WHATWG URL), so echoing it is meaningful. */
function isCanonicalOrigin(origin: string): boolean {
  try {
    return new URL(origin).origin === origin;
  } catch {
    return false;
  }
}

/**
 * Security invariants that hold whatever the model says: an echoed origin is the
 * request's own, canonical and allowed by the matched policy; `*` never comes
 * with credentials; a denial carries no Access-Control-* header at all.
 */
function checkSecurity(
  headers: Record<string, string>,
  status: number | 'allowed' | 'denied',
  origin: string | undefined,
  policy: ModelPolicy | undefined,
): void {
  const acao = headers['Access-Control-Allow-Origin'];
  const acac = headers['Access-Control-Allow-Credentials'];
  if (status === 403 || status === 'denied') expect(Object.keys(headers).filter(isCorsHeader)).toEqual([]);
  if (acac !== undefined) expect(acac).toBe('true');
  if (acao === undefined) return;
  expect(policy).toBeDefined();
  if (acao === '*') {
    expect(acac).toBeUndefined();
    expect(policy!.doc.allowOrigins).toContain('*');
    return;
  }
  expect(acao).toBe(origin);
  expect(modelOriginAllowed(policy!.doc, acao)).toBe(true);
  expect(isCanonicalOrigin(acao)).toBe(true);
}

describe('the policy engine against the reference model', () => {
  it('decides every preflight exactly as the model does, and never unsafely', () => {
    counts.properties++;
    fc.assert(
      fc.property(policiesWithRequests, ([policies, requests]) => {
        counts.cases++;
        const set = compilePolicySet(entriesOf(policies));
        // Every generated policy is valid and serves; a contested route is denied to all of them.
        const serving = modelServingPolicies(policies);
        expect([...set.policies.keys()].sort()).toEqual(serving.map((p) => p.source).sort());
        for (const p of policies) expect(set.status.get(p.source)).toBe('current');
        expect(set.conflicts.map((c) => c.key).sort()).toEqual([...modelConflictedRoutes(policies)].sort());
        for (const req of requests) {
          counts.requests++;
          const decision = decidePreflight(set, { method: 'OPTIONS', ...req });
          const expected = modelDecide(policies, req);
          tally(expected.kind === 'denied' ? expected.reason : expected.kind);
          if (expected.kind === 'allowed') {
            expect(decision).toMatchObject({ kind: 'allowed' });
            if (decision.kind !== 'allowed') continue;
            expect(decision.policy.source).toBe(expected.source);
            expect(decision.headers).toEqual(expected.headers);
          } else if (expected.kind === 'denied') {
            expect(decision).toMatchObject({ kind: 'denied', reason: expected.reason });
          } else expect(decision).toEqual({ kind: 'not-preflight' });
          const matched = modelFindPolicy(serving, req.path);
          checkSecurity(decision.kind === 'allowed' ? decision.headers : {}, decision.kind === 'allowed' ? 'allowed' : 'denied', req.origin, matched);
        }
      }),
      runs(1500, 1),
    );
  });

  it('adds actual-response headers exactly as the model does, always with Vary: Origin', () => {
    counts.properties++;
    fc.assert(
      fc.property(
        policiesWithRequests,
        fc.constantFrom('GET', 'POST', 'PATCH', 'patch', 'DELETE', 'OPTIONS', 'x y', ''),
        ([policies, requests], fallbackMethod) => {
          counts.cases++;
          const set = compilePolicySet(entriesOf(policies));
          const serving = modelServingPolicies(policies);
          for (const req of requests) {
            counts.requests++;
            const method = req.requestMethod ?? fallbackMethod;
            const actual = actualResponseHeaders(set, { method, path: req.path, origin: req.origin });
            const expected = modelActualHeaders(policies, { method, path: req.path, origin: req.origin });
            expect(actual.headers).toEqual(expected);
            expect(actual.allowed).toBe('Access-Control-Allow-Origin' in expected);
            checkSecurity(actual.headers, actual.allowed ? 'allowed' : 'denied', req.origin, modelFindPolicy(serving, req.path));
          }
        },
      ),
      runs(800, 2),
    );
  });

  it('denies every preflight when nothing could be loaded, and sends nothing on actual responses', () => {
    counts.properties++;
    fc.assert(
      fc.property(policiesWithRequests, ([, requests]) => {
        counts.cases++;
        for (const req of requests) {
          counts.requests++;
          const decision = decidePreflight(undefined, { method: 'OPTIONS', ...req });
          expect(decision).toEqual(
            req.origin === undefined || req.requestMethod === undefined
              ? { kind: 'not-preflight' }
              : expect.objectContaining({ kind: 'denied', reason: 'no_policies_loaded' }),
          );
          expect(actualResponseHeaders(undefined, { method: 'GET', path: req.path, origin: req.origin })).toEqual({
            allowed: false,
            headers: { Vary: 'Origin' },
          });
        }
      }),
      runs(200, 3),
    );
  });
});

describe('conflicts and history', () => {
  const ROUTES = ['/a', '/b', '/c/{id}', '/c/{other}', '/d/{rest+}', '/d/{more+}', '$default', '/'];
  const NAMES = ['/fuzz/p', '/fuzz/q', '/fuzz/r', '/fuzz/s'];
  const doc = (routes: string[], n: number, wide = false) =>
    JSON.stringify({ route: routes, allowOrigins: wide ? ['*'] : [`https://v${n}.example.com`], allowMethods: ['GET'] });
  const routeSubset = fc.uniqueArray(fc.constantFrom(...ROUTES), { minLength: 1, maxLength: 3, selector: modelRouteKey });
  const PATHS = ['/a', '/b', '/c/1', '/d/1', '/d/1/2', '/', '/elsewhere', '/c/1/x'];
  const ORIGINS = ['https://v1.example.com', 'https://v2.example.com', 'https://v3.example.com', 'https://evil.example'];

  /** The route (its key) by which one policy answers for a path, routed by the engine's own table. */
  const answeringKey = (routes: readonly string[], path: string): string | undefined => {
    const table = new RouteTable<string>();
    for (const r of routes) {
      const parsed = parseRoutePattern(r);
      if (parsed.ok) table.add(parsed.pattern, parsed.pattern.key);
    }
    return table.match(path);
  };

  // The fleet rule: a policy added to a set never widens access on a route the set already held.
  // Whatever its name sorts as, a request is then answered exactly as before or denied.
  it('adding a policy never widens a route already claimed, whatever the names sort as', () => {
    counts.properties++;
    fc.assert(
      fc.property(
        fc
          .uniqueArray(fc.constantFrom(...NAMES), { minLength: 2, maxLength: 4 })
          .chain((names) =>
            fc.tuple(
              fc.constant(names),
              fc.array(routeSubset, { minLength: names.length, maxLength: names.length }),
              fc.array(fc.boolean(), { minLength: names.length, maxLength: names.length }),
            ),
          ),
        ([names, routes, wide]) => {
          counts.cases++;
          const entries = names.map((source, i) => ({ source, value: doc(routes[i]!, i + 1, wide[i]), type: 'String' }));
          const before = compilePolicySet(entries.slice(1));
          const after = compilePolicySet(entries);
          const added = names[0]!;
          const heldBefore = new Set(entries.slice(1).flatMap((e) => (JSON.parse(e.value).route as string[]).map(modelRouteKey)));
          const model = entries.map((e) => ({ source: e.source, doc: JSON.parse(e.value) }));
          for (const path of PATHS) {
            for (const origin of ORIGINS) {
              counts.requests++;
              const req = { method: 'OPTIONS', path, origin, requestMethod: 'GET', requestHeaders: undefined };
              const now = decidePreflight(after, req);
              const was = decidePreflight(before, req);
              expect(now.kind === 'denied' ? now.reason : now.kind).toBe(
                (() => {
                  const d = modelDecide(model, req);
                  return d.kind === 'denied' ? d.reason : d.kind;
                })(),
              );
              if (now.kind !== 'allowed') continue;
              if (now.policy.source === added) {
                // The newcomer answers only on a route nobody held before.
                expect(heldBefore.has(answeringKey(model[0]!.doc.route as string[], path) ?? '')).toBe(false);
              } else {
                expect(was).toMatchObject({ kind: 'allowed', policy: { source: now.policy.source }, headers: now.headers });
              }
            }
          }
        },
      ),
      runs(1000, 4),
    );
  });

  it('serves the newest valid version of each invalid parameter, whatever came before or after it', () => {
    counts.properties++;
    const version = fc.oneof(
      { weight: 3, arbitrary: routeSubset.map((r) => ({ valid: true as const, routes: r })) },
      { weight: 2, arbitrary: fc.constant({ valid: false as const }) },
    );
    fc.assert(
      fc.property(
        fc
          .uniqueArray(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 4 })
          .chain((names) =>
            fc.tuple(fc.constant(names), fc.array(fc.array(version, { minLength: 1, maxLength: 6 }), { minLength: names.length, maxLength: names.length })),
          ),
        ([names, histories]) => {
          counts.cases++;
          const entries: PolicyEntry[] = names.map((source, i) => {
            const history = histories[i]!.map((v, n) => ({ version: n + 1, value: v.valid ? doc(v.routes, n + 1) : '{"route": ', type: 'String' }));
            return { source, value: history[history.length - 1]!.value, type: 'String', version: history.length, history };
          });
          const set = compilePolicySet(entries);
          // The model: each parameter's newest valid version, or nothing.
          const model: ModelPolicy[] = [];
          names.forEach((source, i) => {
            const h = histories[i]!;
            for (let n = h.length - 1; n >= 0; n--) {
              const v = h[n]!;
              if (!v.valid) continue;
              model.push({ source, doc: JSON.parse(doc(v.routes, n + 1)) });
              expect(set.status.get(source)).toBe(n === h.length - 1 ? 'current' : 'earlier-version');
              if (n < h.length - 1) expect(set.versions.get(source)).toBe(n + 1);
              return;
            }
            expect(set.status.get(source)).toBe('rejected');
          });
          for (const path of PATHS) {
            for (let n = 1; n <= 6; n++) {
              counts.requests++;
              const req = { method: 'OPTIONS', path, origin: `https://v${n}.example.com`, requestMethod: 'GET', requestHeaders: undefined };
              const d = decidePreflight(set, req);
              const expected = modelDecide(model, req);
              expect(d.kind === 'denied' ? d.reason : d.kind).toBe(expected.kind === 'denied' ? expected.reason : expected.kind);
              if (d.kind === 'allowed' && expected.kind === 'allowed') expect(d.headers).toEqual(expected.headers);
            }
          }
        },
      ),
      runs(1000, 11),
    );
  });

  it('example: issue 11, a wide newcomer on /products/{pid} against a credentialed /products/{id}', () => {
    const products = {
      source: '/fuzz/products',
      value: JSON.stringify({ route: '/products/{id}', allowOrigins: ['https://shop.example.com'], allowMethods: ['GET'], allowCredentials: true }),
      type: 'String',
    };
    const newcomer = {
      source: '/fuzz/a-newcomer',
      value: JSON.stringify({ route: '/products/{pid}', allowOrigins: ['*'], allowMethods: ['GET'] }),
      type: 'String',
    };
    const set = compilePolicySet([products, newcomer]);
    const d = decidePreflight(set, { method: 'OPTIONS', path: '/products/1', origin: 'https://evil.example', requestMethod: 'GET', requestHeaders: undefined });
    expect(d).toMatchObject({ kind: 'denied', reason: 'route_conflict' });
  });
});

describe('the preflight handler against the reference model', () => {
  const ssm = mockClient(SSMClient);
  const savedEnv = { ...process.env };

  beforeAll(() => {
    process.env.CORS_POLICY_PATH = '/fuzz';
    process.env.AWS_REGION = 'us-east-1';
    process.env.LOG_LEVEL = 'INFO';
  });
  afterAll(() => {
    ssm.restore();
    resetDefaultStore();
    process.env = savedEnv;
  });

  it('answers every event (v1, v2, mangled) with a valid proxy result equal to the model, and logs one JSON object per line', async () => {
    counts.properties++;
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      await fc.assert(
        fc.asyncProperty(policiesWithEvents, fc.integer({ min: 0, max: 9 }), async ([policies, events, pageSize], failRoll) => {
          counts.cases++;
          // One run in ten: Parameter Store is down from the start, so nothing is ever loaded.
          const storeDown = failRoll === 0;
          const entries = entriesOf(policies);
          ssm.reset();
          if (storeDown) ssm.on(GetParametersByPathCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
          else
            ssm.on(GetParametersByPathCommand).callsFake((input: { NextToken?: string }) => {
              const start = Number(input.NextToken ?? '0');
              const page = entries.slice(start, start + pageSize).map((e) => ({ Name: e.source, Value: e.value, Type: 'String' }));
              return { Parameters: page, ...(start + pageSize < entries.length ? { NextToken: String(start + pageSize) } : {}) };
            });
          resetDefaultStore();
          const serving = modelServingPolicies(policies);
          for (const event of events) {
            counts.handlerInvocations++;
            lines.length = 0;
            const res = await handler(event as never, { awsRequestId: 'fuzz' });
            // A valid Lambda proxy result for both payload versions.
            expect(Number.isInteger(res.statusCode)).toBe(true);
            expect(typeof res.body).toBe('string');
            expect(typeof res.headers).toBe('object');
            for (const v of Object.values(res.headers)) expect(typeof v).toBe('string');
            expect(Object.keys(res).sort()).toEqual(['body', 'headers', 'statusCode']);
            const expected = modelHandlerResult(storeDown ? undefined : policies, event);
            tally(`handler ${expected.statusCode}`);
            expect(res).toEqual(expected);
            const req = modelRequestFromEvent(event);
            checkSecurity(res.headers, res.statusCode, req.origin, modelFindPolicy(serving, req.path));
            // Hostile header values must never break a log line (log injection, broken JSON).
            for (const chunk of lines) {
              expect(chunk.endsWith('\n')).toBe(true);
              expect(chunk.slice(0, -1)).not.toContain('\n');
              expect(() => JSON.parse(chunk)).not.toThrow();
            }
          }
        }),
        runs(300, 5),
      );
    } finally {
      write.mockRestore();
    }
  });
});

describe('the layer against the reference model', () => {
  /** Gives an event the method of an actual request (the generators build preflights). */
  function withMethod(event: unknown, method: string): unknown {
    if (typeof event !== 'object' || event === null || Array.isArray(event)) return event;
    const e = event as Record<string, unknown>;
    if (e.version === '2.0') {
      const ctx = typeof e.requestContext === 'object' && e.requestContext !== null ? (e.requestContext as Record<string, unknown>) : undefined;
      const http = ctx && typeof ctx.http === 'object' && ctx.http !== null ? (ctx.http as Record<string, unknown>) : undefined;
      return http ? { ...e, requestContext: { ...ctx, http: { ...http, method } } } : e;
    }
    return 'httpMethod' in e ? { ...e, httpMethod: method } : e;
  }

  it('adds exactly the headers the model gives for any event, and wrapping never breaks a response', async () => {
    counts.properties++;
    await fc.assert(
      fc.asyncProperty(policiesWithEvents, fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'patch', 'DELETE', 'QUERY'), async ([policies, events], method) => {
        counts.cases++;
        const set = compilePolicySet(entriesOf(policies));
        const source = { current: async () => set };
        const serving = modelServingPolicies(policies);
        for (const raw of events) {
          counts.requests++;
          const event = withMethod(raw, method);
          const req = modelRequestFromEvent(event);
          const expected = modelActualHeaders(policies, { method: modelEventMethod(event), path: req.path, origin: req.origin });
          tally(`layer ${'Access-Control-Allow-Origin' in expected ? 'allowed' : 'none'}`);
          const body = { statusCode: 201, headers: { 'Content-Type': 'text/plain', 'Access-Control-Allow-Origin': 'https://handler-set.example' }, body: 'ok' };
          const wrapped = withCors(async () => structuredClone(body), { source });
          const result = (await wrapped(event as never, {} as never)) as typeof body;
          if (typeof event === 'object' && event !== null) {
            const headers = await corsHeaders(event as never, { source });
            expect(headers).toEqual(expected);
            checkSecurity(headers, 'Access-Control-Allow-Origin' in headers ? 'allowed' : 'denied', req.origin, modelFindPolicy(serving, req.path));
            // The policy, not the handler, decides every Access-Control-* header; the rest is untouched.
            expect(result).toEqual({ statusCode: 201, body: 'ok', headers: { 'Content-Type': 'text/plain', ...expected } });
          } else {
            expect(result).toEqual(body);
          }
        }
      }),
      runs(300, 6),
    );
  });
});

describe('the policy validator', () => {
  const expectOnlyValidationErrors = (source: string, input: unknown): void => {
    counts.validatorInputs++;
    try {
      parsePolicy(source, input);
    } catch (err) {
      expect(err).toBeInstanceOf(PolicyValidationError);
      const problems = (err as PolicyValidationError).problems;
      expect(problems.length).toBeGreaterThan(0);
      for (const p of problems) {
        expect(p.source).toBe(source);
        expect(typeof p.reason).toBe('string');
        expect(typeof formatProblem(p)).toBe('string');
      }
    }
  };

  it('accepts every policy built from valid pieces, as an object and as JSON text', () => {
    counts.properties++;
    fc.assert(
      fc.property(validPolicyDocument, (doc) => {
        counts.validatorInputs += 2;
        const fromObject = parsePolicy('/fuzz/valid', doc);
        const fromText = parsePolicy('/fuzz/valid', JSON.stringify(doc));
        expect(fromText.document).toEqual(fromObject.document);
        expect(fromObject.document.allowOrigins).toEqual(doc.allowOrigins);
      }),
      runs(1000, 7),
    );
  });

  it('throws nothing but PolicyValidationError for arbitrary JSON values and texts', () => {
    counts.properties++;
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary', maxLength: 200 }), (value, text) => {
        expectOnlyValidationErrors('/fuzz/json', value);
        expectOnlyValidationErrors('/fuzz/json', JSON.stringify(value) ?? 'null');
        expectOnlyValidationErrors('/fuzz/text', text);
      }),
      runs(1000, 8),
    );
  });

  it('throws nothing but PolicyValidationError when one field of a valid policy is replaced, and never accepts an unsafe result', () => {
    counts.properties++;
    const fields = [
      'route',
      'allowOrigins',
      'allowMethods',
      'allowHeaders',
      'exposeHeaders',
      'allowCredentials',
      'maxAge',
      'dangerouslyAllowInsecureOriginsWithCredentials',
      'description',
      'unknownField',
      '__proto__',
      'constructor',
    ];
    const hostileValue = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.array(
        fc.oneof(
          token(12),
          fc.string({ unit: 'binary', maxLength: 30 }),
          fc.constantFrom(
            '*',
            'null',
            'https://*.com',
            'https://*.github.io',
            'http://evil.com',
            'GET',
            'get',
            'CONNECT',
            'cookie',
            'Sec-Fetch-Mode',
            '{id}',
            '/{a}/{a}',
            '/x/{p+}/y',
            '$default',
            '',
          ),
        ),
        { maxLength: 4 },
      ),
      fc.constantFrom(true, false, -1, 1.5, 86401, 1e308, Number.MAX_SAFE_INTEGER, '', '*', 'GET', '/'),
    );
    fc.assert(
      fc.property(validPolicyDocument, fc.constantFrom(...fields), hostileValue, (doc, field, value) => {
        counts.validatorInputs++;
        const mutated: Record<string, unknown> = JSON.parse(JSON.stringify(doc));
        Object.defineProperty(mutated, field, { value, enumerable: true, configurable: true, writable: true });
        let policy: ReturnType<typeof parsePolicy>;
        try {
          policy = parsePolicy('/fuzz/mutated', JSON.parse(JSON.stringify(mutated)));
        } catch (err) {
          expect(err).toBeInstanceOf(PolicyValidationError);
          return;
        }
        // Whatever got through is still safe to serve.
        if (policy.allowCredentials) {
          expect(policy.anyOrigin || policy.anyMethod || policy.anyHeader).toBe(false);
          expect(policy.document.exposeHeaders).not.toContain('*');
        }
        expect(policy.document.allowOrigins).not.toContain('null');
        expect(Number.isInteger(policy.document.maxAge) && policy.document.maxAge >= 0 && policy.document.maxAge <= 86400).toBe(true);
        for (const o of policy.document.allowOrigins) expect(o).not.toMatch(/\s|\/$|^https?:\/\/\*\.(com|io|github\.io|co\.uk)(:|$)/);
      }),
      runs(1500, 9),
    );
  });

  it('compiles any list of stored parameters without throwing, serving only policies the validator accepts', () => {
    counts.properties++;
    const entry = fc.record({
      source: fc.constantFrom('/fuzz/a', '/fuzz/b', '/fuzz/c', '/fuzz/d'),
      value: fc.oneof(
        validPolicyDocument.map((d) => JSON.stringify(d)),
        fc.jsonValue().map((v) => JSON.stringify(v) ?? ''),
        fc.string({ maxLength: 50 }),
      ),
      type: fc.constantFrom(undefined, 'String', 'StringList', 'SecureString', ''),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(entry, { maxLength: 4, selector: (e) => e.source }),
        fc.uniqueArray(entry, { maxLength: 4, selector: (e) => e.source }),
        (first, second) => {
          counts.validatorInputs += first.length + second.length;
          // The second list's values as the history of the first's: an invalid current value may fall back to them.
          const withHistory = second.map((e) => {
            const old = first.find((f) => f.source === e.source);
            return old ? { ...e, version: 2, history: [{ version: 1, value: old.value, ...(old.type !== undefined ? { type: old.type } : {}) }] } : e;
          });
          for (const set of [compilePolicySet(first), compilePolicySet(withHistory)]) {
            for (const [source, policy] of set.policies) {
              expect(set.status.get(source)).not.toBe('rejected');
              expect(policy.source).toBe(source);
            }
          }
          // A policy served in place of its current value is exactly its earlier version.
          const after = compilePolicySet(withHistory);
          for (const [source, policy] of after.policies) {
            if (after.status.get(source) !== 'earlier-version') continue;
            expect(after.versions.get(source)).toBe(1);
            expect(policy.document).toEqual(parsePolicy(source, first.find((f) => f.source === source)!.value).document);
          }
        },
      ),
      runs(1000, 10),
    );
  });
});

describe('cases the fuzzer found, kept as fixed examples', () => {
  // Found by the handler property: routePath() once mapped rawPath "/$default" on the `$default`
  // stage to "/" (the stage root), deciding the request against the root's policy (fixed in 6308f1b).
  it('routes rawPath /$default on the $default stage as the path /$default, not as the root', () => {
    const event = {
      version: '2.0',
      routeKey: '$default',
      rawPath: '/$default',
      headers: {},
      requestContext: { stage: '$default', http: { method: 'OPTIONS' } },
    };
    expect(corsRequestFromEvent(event as never).path).toBe('/$default');
    expect(modelRequestFromEvent(event).path).toBe('/$default');
  });

  it('still strips a named stage from rawPath for a $default route', () => {
    const event = { version: '2.0', routeKey: '$default', rawPath: '/dev', headers: {}, requestContext: { stage: 'dev', http: { method: 'OPTIONS' } } };
    expect(corsRequestFromEvent(event as never).path).toBe('/');
    expect(corsRequestFromEvent({ ...event, rawPath: '/dev/products/1' } as never).path).toBe('/products/1');
  });
});
