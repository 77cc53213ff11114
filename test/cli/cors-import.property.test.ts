// import never widens: for random sources (REST MOCK answers, HTTP API
// CorsConfigurations, hostile values included) and random browser requests,
// whatever the imported policy lets through, the source let through too.
// "Lets through" is judged the way a browser does (Fetch's CORS check) on the
// answer each side gives; the HTTP API side follows what API Gateway documents.
import fc from 'fast-check';
import { fromCorsConfiguration, fromRestOptions, type CorsConfiguration } from '../../functions/cli/cors-import';
import { compilePolicySet } from '../../functions/core/policy-set';
import { decidePreflight } from '../../functions/core/preflight';
import { isToken } from '../../functions/core/tokens';

interface BrowserRequest {
  readonly origin: string;
  readonly method: string;
  /** Non-safelisted request header names, lower case. */
  readonly headers: readonly string[];
  readonly credentials: boolean;
}

const SAFELISTED_METHODS = ['GET', 'HEAD', 'POST'];

/** Fetch's "extracting header list values": a list of tokens, or failure (undefined) on anything else. */
function headerList(value: string | undefined): string[] | undefined {
  if (value === undefined) return [];
  const items = value.split(',').map((v) => v.replace(/^[ \t]+|[ \t]+$/g, ''));
  return items.every(isToken) ? items : undefined;
}

/** Fetch's CORS check and CORS-preflight check of an answer (header names lower case), as a browser runs them. */
function browserAccepts(answer: Record<string, string>, req: BrowserRequest): boolean {
  const acao = answer['access-control-allow-origin']?.replace(/^[ \t]+|[ \t]+$/g, '');
  if (acao === undefined) return false;
  if (req.credentials) {
    if (acao !== req.origin || answer['access-control-allow-credentials']?.trim() !== 'true') return false;
  } else if (acao !== '*' && acao !== req.origin) return false;
  const methods = headerList(answer['access-control-allow-methods']);
  const headers = headerList(answer['access-control-allow-headers']);
  if (!methods || !headers) return false;
  const methodOk = methods.includes(req.method) || (methods.includes('*') && !req.credentials) || SAFELISTED_METHODS.includes(req.method);
  if (!methodOk) return false;
  const names = headers.map((h) => h.toLowerCase());
  return req.headers.every((h) => names.includes(h) || (names.includes('*') && !req.credentials && h !== 'authorization'));
}

/** What the imported policy lets through: the engine's answer to the preflight, judged by the browser. */
function policyAllows(document: unknown, path: string, req: BrowserRequest): boolean {
  const set = compilePolicySet([{ source: 'imported', value: JSON.stringify(document) }]);
  expect(set.problems).toEqual([]);
  const decision = decidePreflight(set, {
    method: 'OPTIONS',
    path,
    origin: req.origin,
    requestMethod: req.method,
    requestHeaders: req.headers.length > 0 ? [...req.headers].sort().join(',') : undefined,
  });
  if (decision.kind !== 'allowed') return false;
  const answer = Object.fromEntries(Object.entries(decision.headers).map(([k, v]) => [k.toLowerCase(), v]));
  return browserAccepts(answer, req);
}

/** An HTTP API's CorsConfiguration, as API Gateway documents it (an origin, "*", "https://*", "http://*"; "*" lists). */
function httpApiAllows(cors: CorsConfiguration, req: BrowserRequest): boolean {
  const origins = cors.AllowOrigins ?? [];
  // Read narrowly where the documentation is silent: no wildcard counts for a credentialed request.
  const originOk =
    origins.includes(req.origin) ||
    (!req.credentials && (origins.includes('*') || origins.some((o) => (o === 'https://*' || o === 'http://*') && req.origin.startsWith(o.slice(0, -1)))));
  if (!originOk || (req.credentials && cors.AllowCredentials !== true)) return false;
  const methods = cors.AllowMethods ?? [];
  if (!(methods.includes(req.method) || (methods.includes('*') && !req.credentials) || SAFELISTED_METHODS.includes(req.method))) return false;
  const names = (cors.AllowHeaders ?? []).map((h) => h.toLowerCase());
  return req.headers.every((h) => names.includes(h) || (names.includes('*') && !req.credentials && h !== 'authorization'));
}

// Source values as people write them, hostile and broken ones included.
const SOURCE_ORIGINS = [
  'https://a.example.com',
  'https://b.example.com',
  'http://a.example.com',
  'http://localhost:3000',
  '*',
  'https://*.example.com',
  'http://localhost:*',
  'null',
  'https://*',
  'http://*',
  'https://A.example.com',
  'https://a.example.com/',
  'https://a.example.com:443',
  'https://a.example.com, https://b.example.com',
  ' https://a.example.com ',
];
const SOURCE_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', '*', 'get', 'patch', 'X-CUSTOM', 'TRACE', 'a b', ''];
const SOURCE_HEADERS = ['content-type', 'X-Trace', 'authorization', '*', 'x-a', 'Authorization', 'bad header', 'Cookie'];

// Requests as browsers send them.
const REQUEST_ORIGINS = ['https://a.example.com', 'https://b.example.com', 'http://a.example.com', 'http://localhost:3000', 'https://x.example.com'];
const REQUEST_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'patch', 'X-CUSTOM', 'OPTIONS', 'HEAD'];
const REQUEST_HEADERS = ['x-trace', 'authorization', 'x-a', 'x-b'];

const request = fc.record({
  origin: fc.constantFrom(...REQUEST_ORIGINS),
  method: fc.constantFrom(...REQUEST_METHODS),
  headers: fc.subarray(REQUEST_HEADERS),
  credentials: fc.boolean(),
});
const requests = fc.array(request, { minLength: 1, maxLength: 8 });
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

/*
 * The property says something only about requests the imported policy allows. Sources drawn
 * freely from the lists above allow few of the requests drawn beside them (an origin must
 * match, every requested header be listed), so sources are mostly built from what the
 * requests of the same run carry, well-formed values mixed in; the free draw, hostile values
 * included, stays as the smaller share. Each case counts the allowed pairs and asserts a floor.
 */
const unique = <T>(values: readonly T[]): T[] => [...new Set(values)];
/** Origins the requests send, and `*`. */
const sentOrigins = (rs: readonly BrowserRequest[]) => unique(['*', ...rs.map((r) => r.origin)]);
/** Methods the requests ask for, with the well-formed source methods: a non-empty list. */
const sentMethods = (rs: readonly BrowserRequest[]) => fc.subarray(unique([...rs.map((r) => r.method), ...SOURCE_METHODS.filter(isToken)]), { minLength: 1 });
/** Header names the requests send (lower or upper case, as sources write either), and a few more well-formed ones. */
const sentHeaders = (rs: readonly BrowserRequest[]) =>
  fc
    .tuple(fc.subarray(unique(rs.flatMap((r) => r.headers))), fc.subarray(SOURCE_HEADERS.filter(isToken), { maxLength: 2 }), fc.boolean())
    .map(([sent, more, upper]) => unique([...(upper ? sent.map((h) => h.toUpperCase()) : sent), ...more]));

describe('import never widens', () => {
  it('REST MOCK: whatever the imported policy allows, the static answer allowed', () => {
    const sourceFor = (rs: BrowserRequest[]) =>
      fc.record({
        origin: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...sentOrigins(rs)) }, { weight: 1, arbitrary: maybe(fc.constantFrom(...SOURCE_ORIGINS)) }),
        methods: fc.oneof(
          { weight: 4, arbitrary: sentMethods(rs) },
          { weight: 1, arbitrary: maybe(fc.subarray(SOURCE_METHODS, { minLength: 0, maxLength: 5 })) },
        ),
        headers: fc.oneof({ weight: 4, arbitrary: sentHeaders(rs) }, { weight: 1, arbitrary: maybe(fc.subarray(SOURCE_HEADERS, { maxLength: 4 })) }),
        credentials: maybe(fc.constantFrom('true', 'false', ' true', 'TRUE')),
        separator: fc.constantFrom(',', ', ', ' , '),
      });
    let imported = 0;
    let allowedPairs = 0;
    fc.assert(
      fc.property(
        requests.chain((rs) => fc.tuple(sourceFor(rs), fc.constant(rs))),
        ([s, rs]) => {
          const answer: Record<string, string> = {};
          if (s.origin !== undefined) answer['access-control-allow-origin'] = s.origin;
          if (s.methods !== undefined) answer['access-control-allow-methods'] = s.methods.join(s.separator);
          if (s.headers !== undefined) answer['access-control-allow-headers'] = s.headers.join(s.separator);
          if (s.credentials !== undefined) answer['access-control-allow-credentials'] = s.credentials;
          const responseParameters = Object.fromEntries(Object.entries(answer).map(([k, v]) => [`method.response.header.${k}`, `'${v}'`]));
          const r = fromRestOptions('api', '/items', {
            methodIntegration: { type: 'MOCK', integrationResponses: { '200': { statusCode: '200', responseParameters } } },
          });
          if (!r.document) return;
          imported++;
          expect((r.document.allowMethods as string[]).includes('OPTIONS')).toBe(false);
          for (const h of [...(r.document.allowHeaders ?? []), ...(r.document.exposeHeaders ?? [])]) expect(h).toBe(h.toLowerCase());
          for (const req of rs)
            if (policyAllows(r.document, '/items', req)) {
              allowedPairs++;
              expect({ answer, req, allowed: browserAccepts(answer, req) }).toEqual({ answer, req, allowed: true });
            }
        },
      ),
      { numRuns: 600 },
    );
    expect(imported).toBeGreaterThan(20);
    // 75 to 117 over 38 seeds.
    expect(allowedPairs).toBeGreaterThan(50);
  });

  it('HTTP API CorsConfiguration: whatever the imported policy allows, API Gateway allowed as documented', () => {
    const sourceFor = (rs: BrowserRequest[]) =>
      fc.record(
        {
          AllowOrigins: fc.oneof(
            // Origins the requests send, next to values the import must leave out.
            {
              weight: 4,
              arbitrary: fc
                .tuple(fc.subarray(sentOrigins(rs), { minLength: 1 }), fc.subarray(SOURCE_ORIGINS, { maxLength: 2 }))
                .map(([sent, other]) => [...sent, ...other]),
            },
            { weight: 1, arbitrary: fc.subarray(SOURCE_ORIGINS, { maxLength: 4 }) },
          ),
          AllowMethods: fc.oneof({ weight: 4, arbitrary: sentMethods(rs) }, { weight: 1, arbitrary: fc.subarray(SOURCE_METHODS, { maxLength: 5 }) }),
          AllowHeaders: fc.oneof({ weight: 4, arbitrary: sentHeaders(rs) }, { weight: 1, arbitrary: fc.subarray(SOURCE_HEADERS, { maxLength: 4 }) }),
          AllowCredentials: fc.boolean(),
          MaxAge: fc.integer({ min: -10, max: 100_000 }),
        },
        { requiredKeys: ['AllowOrigins'] },
      );
    let imported = 0;
    let allowedPairs = 0;
    fc.assert(
      fc.property(
        requests.chain((rs) => fc.tuple(sourceFor(rs), fc.constant(rs))),
        fc.constantFrom('/', '/orders/7'),
        ([cors, rs], path) => {
          const r = fromCorsConfiguration('api', cors);
          if (!r.document) return;
          imported++;
          expect((r.document.allowMethods as string[]).includes('OPTIONS')).toBe(false);
          for (const h of [...(r.document.allowHeaders ?? []), ...(r.document.exposeHeaders ?? [])]) expect(h).toBe(h.toLowerCase());
          for (const req of rs)
            if (policyAllows(r.document, path, req)) {
              allowedPairs++;
              expect({ cors, req, allowed: httpApiAllows(cors, req) }).toEqual({ cors, req, allowed: true });
            }
        },
      ),
      { numRuns: 600 },
    );
    expect(imported).toBeGreaterThan(20);
    // 149 to 201 over 38 seeds.
    expect(allowedPairs).toBeGreaterThan(100);
  });
});
