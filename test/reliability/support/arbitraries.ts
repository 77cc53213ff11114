/**
 * fast-check generators for the reliability suite: valid policies built only
 * from safe pieces (so the validator must accept every one), requests derived
 * from those policies (so matches are common) mixed with hostile ones, and
 * API Gateway events (v1 and v2) encoding them, then mangled.
 */
import fc from 'fast-check';
import { modelRouteKey, type ModelPolicy, type ModelPolicyDocument, type ModelRequest } from './reference-model';

// ---------------------------------------------------------------- tokens

const TCHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~";
const tokenChar = fc.constantFrom(...TCHARS.split(''));
export const token = (maxLength = 12): fc.Arbitrary<string> => fc.string({ unit: tokenChar, minLength: 1, maxLength });

const FORBIDDEN_METHODS = ['CONNECT', 'TRACE', 'TRACK'];
const NORMALIZED_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'];

/** A method token the contract accepts in allowMethods (no forbidden methods, no lower-case spelling of a normalized one). */
const policyMethod = fc
  .oneof(
    { weight: 3, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'patch', 'HEAD', 'OPTIONS', 'QUERY', 'PROPFIND', 'Custom-Verb', 'x') },
    { weight: 1, arbitrary: token(10) },
  )
  .filter((m) => m !== '*' && !FORBIDDEN_METHODS.includes(m.toUpperCase()) && (m === m.toUpperCase() || !NORMALIZED_METHODS.includes(m.toUpperCase())));

const FORBIDDEN_REQUEST_HEADERS = [
  'accept-charset',
  'accept-encoding',
  'access-control-request-headers',
  'access-control-request-method',
  'connection',
  'content-length',
  'cookie',
  'cookie2',
  'date',
  'dnt',
  'expect',
  'host',
  'keep-alive',
  'origin',
  'referer',
  'set-cookie',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'via',
];

const headerNameChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_'.split(''));
const headerName = fc
  .oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        'content-type',
        'Content-Type',
        'authorization',
        'Authorization',
        'x-api-key',
        'X-Request-Id',
        'x-amz-date',
        'accept',
        'range',
        'If-Match',
      ),
    },
    { weight: 1, arbitrary: fc.string({ unit: headerNameChar, minLength: 1, maxLength: 10 }).map((s) => `x-${s}`) },
  )
  .filter((h) => {
    const l = h.toLowerCase();
    return !FORBIDDEN_REQUEST_HEADERS.includes(l) && !l.startsWith('sec-') && !l.startsWith('proxy-');
  });
const exposeName = fc.oneof(
  fc.constantFrom('etag', 'ETag', 'x-request-id', 'content-length', 'x-total'),
  fc.string({ unit: headerNameChar, minLength: 1, maxLength: 8 }).map((s) => `x-${s}`),
);

// ---------------------------------------------------------------- origins

export const EXACT_HOSTS = [
  'app.example.com',
  'example.com',
  'a.b.example.org',
  'shop.example.net',
  'x-1.example.com',
  'localhost',
  '127.0.0.1',
  '[::1]',
  'api.localhost',
];
export const WILDCARD_BASES = ['example.com', 'example.org', 'b.example.org', 'preview.example.net', 'localhost'];
const LOOPBACK = (host: string): boolean => host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || host.startsWith('127.');

type OriginSpec = { kind: 'any' } | { kind: 'exact' | 'anyPort' | 'subdomains'; scheme: 'http' | 'https'; host: string; port: string };

const scheme = fc.constantFrom<'http' | 'https'>('https', 'http');
/** '' (the default), a concrete port that is never the scheme's default, or '*'. */
const portFor = (s: 'http' | 'https', allowStar: boolean): fc.Arbitrary<string> =>
  fc
    .oneof(fc.constant(''), fc.constantFrom('1', '443', '80', '3000', '8080', '8443', '65535'), ...(allowStar ? [fc.constant('*')] : []))
    .filter((p) => p !== (s === 'https' ? '443' : '80'));

const originSpec: fc.Arbitrary<OriginSpec> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<OriginSpec>({ kind: 'any' }) },
  {
    weight: 4,
    arbitrary: scheme.chain((s) =>
      fc.record({ kind: fc.constant('exact' as const), scheme: fc.constant(s), host: fc.constantFrom(...EXACT_HOSTS), port: portFor(s, false) }),
    ),
  },
  {
    weight: 2,
    arbitrary: scheme.chain((s) =>
      fc.record({ kind: fc.constant('anyPort' as const), scheme: fc.constant(s), host: fc.constantFrom(...EXACT_HOSTS), port: fc.constant('*') }),
    ),
  },
  {
    weight: 3,
    arbitrary: scheme.chain((s) =>
      fc.record({ kind: fc.constant('subdomains' as const), scheme: fc.constant(s), host: fc.constantFrom(...WILDCARD_BASES), port: portFor(s, true) }),
    ),
  },
);

function originPatternText(o: OriginSpec): string {
  if (o.kind === 'any') return '*';
  const host = o.kind === 'subdomains' ? `*.${o.host}` : o.host;
  return `${o.scheme}://${host}${o.port ? `:${o.port}` : ''}`;
}

// ---------------------------------------------------------------- routes

const LITERALS = ['products', 'orders', 'a', 'b', 'v1', 'x.y', "it's", '~u', 'Products', '42'];

/** An API Gateway path pattern: `$default`, `/`, or literals and {params} with an optional trailing {greedy+}. */
export const routePattern: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom('$default', '/') },
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.array(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...LITERALS) }, { weight: 1, arbitrary: fc.constant('{}') }), { minLength: 0, maxLength: 3 }),
        fc.boolean(),
      )
      .filter(([segs, greedy]) => segs.length > 0 || greedy)
      .map(([segs, greedy]) => {
        const parts = segs.map((s, i) => (s === '{}' ? `{p${i}}` : s));
        if (greedy) parts.push('{rest+}');
        return `/${parts.join('/')}`;
      }),
  },
);

// ---------------------------------------------------------------- policies

/** A policy document the validator must accept, built only from safe pieces. */
export const validPolicyDocument: fc.Arbitrary<ModelPolicyDocument> = fc
  .record({
    credentials: fc.boolean(),
    insecure: fc.boolean(),
    routes: fc.uniqueArray(routePattern, { minLength: 1, maxLength: 3, selector: modelRouteKey }),
    routeAsString: fc.boolean(),
    origins: fc.uniqueArray(originSpec, { minLength: 1, maxLength: 4, selector: originPatternText }),
    methods: fc.uniqueArray(policyMethod, { minLength: 1, maxLength: 4 }),
    anyMethod: fc.boolean(),
    headers: fc.option(fc.uniqueArray(headerName, { maxLength: 4, selector: (h) => h.toLowerCase() }), { nil: undefined }),
    anyHeader: fc.boolean(),
    expose: fc.option(fc.uniqueArray(exposeName, { maxLength: 3, selector: (h) => h.toLowerCase() }), { nil: undefined }),
    maxAge: fc.option(fc.oneof(fc.constantFrom(0, 5, 600, 7200, 86400), fc.integer({ min: 0, max: 86400 })), { nil: undefined }),
    description: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
  })
  .map((r) => {
    // Credentials rule out every wildcard and, without the explicit opt-in, non-loopback http origins.
    let origins = r.origins.filter((o) => !r.credentials || (o.kind !== 'any' && (o.scheme === 'https' || r.insecure || LOOPBACK(o.host))));
    if (origins.length === 0) origins = [{ kind: 'exact', scheme: 'https', host: 'app.example.com', port: '' }];
    const doc: ModelPolicyDocument = {
      route: r.routeAsString && r.routes.length === 1 ? r.routes[0]! : r.routes,
      allowOrigins: origins.map(originPatternText),
      allowMethods: r.anyMethod && !r.credentials ? [...r.methods, '*'] : r.methods,
    };
    if (r.headers !== undefined) doc.allowHeaders = r.anyHeader && !r.credentials ? ['*', ...r.headers] : r.headers;
    if (r.expose !== undefined) doc.exposeHeaders = r.expose;
    if (r.credentials || r.description !== undefined) doc.allowCredentials = r.credentials;
    if (r.credentials && r.insecure) doc.dangerouslyAllowInsecureOriginsWithCredentials = true;
    if (r.maxAge !== undefined) doc.maxAge = r.maxAge;
    if (r.description !== undefined) doc.description = r.description;
    return doc;
  });

/** A few policies under one path, named in varied sort order (which must never decide anything). */
export const policySet: fc.Arbitrary<ModelPolicy[]> = fc
  .uniqueArray(fc.constantFrom('a', 'b', 'c', 'products', 'public', 'zz', 'nested/one', 'nested/two', 'A', '0'), { minLength: 0, maxLength: 5 })
  .chain((names) => fc.tuple(...names.map(() => validPolicyDocument)).map((docs) => names.map((n, i) => ({ source: `/fuzz/${n}`, doc: docs[i]! }))));

// ---------------------------------------------------------------- requests

const LABEL_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789-'.split('');
const label = fc.string({ unit: fc.constantFrom(...LABEL_CHARS), minLength: 1, maxLength: 8 });
const anyText = (maxLength: number): fc.Arbitrary<string> =>
  fc.oneof(fc.string({ maxLength }), fc.string({ unit: 'binary', maxLength }), fc.string({ unit: 'grapheme', maxLength }));

/** An origin a browser could send that a pattern of the policy covers. */
function originFromPattern(spec: string): fc.Arbitrary<string> {
  if (spec === '*') return fc.tuple(scheme, fc.constantFrom(...EXACT_HOSTS, 'evil.com', 'b.example.org')).map(([s, h]) => `${s}://${h}`);
  const [sch, hostPort] = spec.split('://') as [string, string];
  const colon = hostPort.lastIndexOf(':');
  const hasPort = colon > hostPort.lastIndexOf(']');
  const host = hasPort ? hostPort.slice(0, colon) : hostPort;
  const port = hasPort ? hostPort.slice(colon + 1) : '';
  const concretePort = (p: string): fc.Arbitrary<string> => (p === '*' ? fc.constantFrom('', ':1', ':3000', ':8443', ':65535') : fc.constant(p ? `:${p}` : ''));
  if (host.startsWith('*.')) {
    return fc
      .tuple(fc.array(label, { minLength: 1, maxLength: 3 }), concretePort(port))
      .map(([labels, p]) => `${sch}://${labels.join('.')}.${host.slice(2)}${p}`);
  }
  return concretePort(port).map((p) => `${sch}://${host}${p}`);
}

/** Small edits that turn an allowed origin into one that must not be allowed (or must stay allowed only by another rule). */
function mutateOrigin(o: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constant(o.toUpperCase()),
    fc.constant(`${o}/`),
    fc.constant(`${o}.evil.com`),
    fc.constant(`x${o}`),
    fc.constant(o.replace('://', '://x')),
    fc.constant(o.startsWith('https://') ? `http://${o.slice(8)}` : o.replace(/^http:/, 'https:')),
    fc.constant(o.replace(/^(https?:\/\/)[^.]*\./, '$1')),
    fc.constant(`${o}:443`),
    fc.constant(`${o}:80`),
    fc.constant(`${o}:08080`),
    fc.constant(` ${o}`),
    fc.constant(`${o}\t`),
    fc.constant(`${o},${o}`),
    fc.constant(`${o} ${o}`),
    fc.constant(o.replace(/\./, '..')),
    fc.constant(o.replace(/\.([^.]*)$/, '%60.$1')),
    fc.constant(o.replace(/\.([^.]*)$/, '_.$1')),
    fc.constant(o.replace(/\.([^.]*)$/, '!.$1')),
    fc.constant(o.replace(/\./g, 'x')),
    fc.constant(`${o}@evil.com`),
    fc.constant(`${o}#`),
    fc.constant(`${o}?`),
    fc.constant(o.replace('a', 'а')), // Cyrillic a
    fc.nat({ max: o.length }).map((i) => o.slice(0, i)),
    fc.tuple(fc.nat({ max: o.length }), anyText(3)).map(([i, s]) => o.slice(0, i) + s + o.slice(i)),
  );
}

const hostileOrigin: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'null',
    '',
    '*',
    'https://*.example.com',
    'file://',
    'https://',
    'https://:443',
    'https://.example.com',
    'https://a..example.com',
    'https://example.com.',
    'https://[::1',
    'https://[]',
    'http://[::1]:65536',
    'https://localhost:0',
  ),
  anyText(40),
  fc.tuple(scheme, fc.array(label, { minLength: 1, maxLength: 200 })).map(([s, l]) => `${s}://${l.join('.')}.example.com`),
  fc.integer({ min: 1000, max: 200_000 }).map((n) => `https://${'a'.repeat(n)}.example.com`),
);

function requestOrigin(policies: readonly ModelPolicy[]): fc.Arbitrary<string | undefined> {
  const patterns = policies.flatMap((p) => p.doc.allowOrigins);
  const fromPolicy = patterns.length > 0 ? fc.constantFrom(...patterns).chain(originFromPattern) : fc.constant('https://app.example.com');
  return fc.oneof(
    { weight: 6, arbitrary: fromPolicy },
    { weight: 3, arbitrary: fromPolicy.chain(mutateOrigin) },
    { weight: 2, arbitrary: hostileOrigin },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

const PATH_SEGMENTS = [...LITERALS, '', 'products%2F1', '..', '.', 'a b', 'ü', '{id}', '{rest+}', '$default', '*'];

function pathFromRoute(route: string): fc.Arbitrary<string> {
  if (route === '$default' || route === '/') return fc.constant('/');
  const parts = route.slice(1).split('/');
  const segs = parts.map((p) =>
    p.endsWith('+}')
      ? fc.array(fc.oneof(label, fc.constantFrom(...PATH_SEGMENTS)), { minLength: 1, maxLength: 3 }).map((a) => a.join('/'))
      : p.startsWith('{')
        ? fc.oneof(label, fc.constantFrom(...PATH_SEGMENTS))
        : fc.constant(p),
  );
  return fc.tuple(...segs).map((s) => `/${s.join('/')}`);
}

const hostilePath: fc.Arbitrary<string> = fc.oneof(
  fc.array(fc.oneof(fc.constantFrom(...PATH_SEGMENTS), anyText(6)), { minLength: 0, maxLength: 6 }).map((a) => `/${a.join('/')}`),
  fc.constantFrom('/', '', '//', '///', '/products/', '/products//1', 'products'),
  fc.integer({ min: 65, max: 5000 }).map((n) => '/a'.repeat(n)),
  fc.integer({ min: 10_000, max: 100_000 }).map((n) => `/${'x'.repeat(n)}`),
);

function requestPath(policies: readonly ModelPolicy[]): fc.Arbitrary<string> {
  const routes = policies.flatMap((p) => (typeof p.doc.route === 'string' ? [p.doc.route] : p.doc.route));
  return routes.length > 0
    ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...routes).chain(pathFromRoute) }, { weight: 1, arbitrary: hostilePath })
    : hostilePath;
}

function requestMethod(policies: readonly ModelPolicy[]): fc.Arbitrary<string | undefined> {
  const listed = policies.flatMap((p) => p.doc.allowMethods).filter((m) => m !== '*');
  const fromPolicy = listed.length > 0 ? fc.constantFrom(...listed) : fc.constant('GET');
  return fc.oneof(
    { weight: 5, arbitrary: fromPolicy },
    { weight: 2, arbitrary: fromPolicy.map((m) => (m === m.toLowerCase() ? m.toUpperCase() : m.toLowerCase())) },
    { weight: 2, arbitrary: fc.constantFrom('GET', 'PATCH', 'patch', 'DELETE', 'CONNECT', 'OPTIONS', '*') },
    { weight: 1, arbitrary: token(20) },
    { weight: 1, arbitrary: fc.constantFrom('', ' GET', 'GET ', 'GE T', 'GET,POST', 'GET\r\n', 'PÜT') },
    { weight: 1, arbitrary: anyText(10) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

const randomCase = (s: string): fc.Arbitrary<string> =>
  fc
    .array(fc.boolean(), { minLength: s.length, maxLength: s.length })
    .map((flags) => [...s].map((c, i) => (flags[i] ? c.toUpperCase() : c.toLowerCase())).join(''));

function requestHeaders(policies: readonly ModelPolicy[]): fc.Arbitrary<string | undefined> {
  const listed = [...new Set(policies.flatMap((p) => p.doc.allowHeaders ?? []).filter((h) => h !== '*')), 'authorization', 'x-unlisted', 'content-type'];
  const names = fc.array(fc.constantFrom(...listed).chain(randomCase), { minLength: 0, maxLength: 5 });
  const separator = fc.constantFrom(',', ', ', ' , ', ',\t', ',,', ' ,', '\t,\t');
  return fc.oneof(
    {
      weight: 5,
      arbitrary: names.map((n) =>
        n
          .map((h) => h.toLowerCase())
          .sort()
          .join(','),
      ),
    }, // as a browser sends it
    { weight: 3, arbitrary: fc.tuple(names, separator).map(([n, sep]) => n.join(sep)) },
    { weight: 1, arbitrary: fc.integer({ min: 60, max: 70 }).map((n) => ','.repeat(n)) },
    { weight: 1, arbitrary: fc.integer({ min: 60, max: 70 }).map((n) => Array.from({ length: n }, () => 'x-a').join(',')) },
    { weight: 1, arbitrary: fc.integer({ min: 1000, max: 100_000 }).map((n) => ' ,'.repeat(n)) },
    { weight: 1, arbitrary: fc.integer({ min: 4090, max: 4100 }).map((n) => `x-${'a'.repeat(n - 2)}`) },
    { weight: 1, arbitrary: fc.constantFrom('authorization', '*', 'x-a;b', 'x-a\n', 'x-é', '\u0000', ' ', '\t', 'content-type,authorization') },
    { weight: 1, arbitrary: anyText(30) },
    { weight: 3, arbitrary: fc.constant(undefined) },
  );
}

/** A request aimed at one policy: its route, one of its origins, one of its methods, some of its headers. Mostly allowed. */
function coherentRequest(p: ModelPolicy): fc.Arbitrary<ModelRequest> {
  const routes = typeof p.doc.route === 'string' ? [p.doc.route] : p.doc.route;
  const listedHeaders = (p.doc.allowHeaders ?? []).filter((h) => h !== '*');
  const headerPool = p.doc.allowHeaders?.includes('*') ? [...listedHeaders, 'x-anything', 'X-Other', 'content-type'] : listedHeaders;
  const names =
    headerPool.length > 0 ? fc.uniqueArray(fc.constantFrom(...headerPool), { maxLength: 3, selector: (h) => h.toLowerCase() }) : fc.constant([] as string[]);
  return fc.record({
    path: fc.constantFrom(...routes).chain(pathFromRoute),
    origin: fc.constantFrom(...p.doc.allowOrigins).chain(originFromPattern),
    requestMethod: fc.constantFrom(...p.doc.allowMethods.filter((m) => m !== '*'), ...(p.doc.allowMethods.includes('*') ? ['QUERY', 'PUT', 'trace'] : [])),
    requestHeaders: fc.oneof(
      names.map((n) =>
        n
          .map((h) => h.toLowerCase())
          .sort()
          .join(','),
      ),
      names.map((n) => n.join(' , ')),
      fc.constant(undefined),
    ),
  });
}

export function requestFor(policies: readonly ModelPolicy[]): fc.Arbitrary<ModelRequest> {
  const independent = fc.record({
    path: requestPath(policies),
    origin: requestOrigin(policies),
    requestMethod: requestMethod(policies),
    requestHeaders: requestHeaders(policies),
  });
  if (policies.length === 0) return independent;
  return fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...policies).chain(coherentRequest) }, { weight: 3, arbitrary: independent });
}

/** Policies and a batch of requests against them. */
export const policiesWithRequests = policySet.chain((policies) =>
  fc.tuple(fc.constant(policies), fc.array(requestFor(policies), { minLength: 1, maxLength: 25 })),
);

// ---------------------------------------------------------------- events

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** One header line set: name (in some casing) and value. */
function headerLines(req: ModelRequest): fc.Arbitrary<Array<[string, string]>> {
  const lines: Array<fc.Arbitrary<Array<[string, string]>>> = [];
  const add = (name: string, value: string | undefined, splittable: boolean): void => {
    if (value === undefined) return;
    const cased = randomCase(name);
    // A value may be split over several lines only at commas: joining with "," restores it exactly.
    const parts = splittable && value.includes(',') ? fc.boolean().map((split) => (split ? value.split(/(?<=^[^,]*),/) : [value])) : fc.constant([value]);
    lines.push(fc.tuple(cased, parts).map(([n, ps]) => ps.map((p): [string, string] => [n, p])));
  };
  add('origin', req.origin, false);
  add('access-control-request-method', req.requestMethod, false);
  add('access-control-request-headers', req.requestHeaders, true);
  return lines.length === 0 ? fc.constant([]) : fc.tuple(...lines).map((l) => l.flat());
}

const junkHeaders = fc.dictionary(
  fc.oneof(fc.constantFrom('Host', 'User-Agent', 'X-Forwarded-For', '__proto__', 'constructor', 'toString', 'originx', 'x-origin'), anyText(8)),
  anyText(20),
  { maxKeys: 4 },
);

/** A REST API (payload v1) event as API Gateway builds it for `OPTIONS /{proxy+}` or `OPTIONS /`. */
function v1Event(req: ModelRequest): fc.Arbitrary<Record<string, Json>> {
  return fc.tuple(headerLines(req), junkHeaders, fc.constantFrom('multi', 'single', 'single-null-multi')).map(([lines, junk, shape]) => {
    const headers: Record<string, Json> = { ...junk };
    const multi: Record<string, Json> = {};
    for (const [k, v] of junk ? Object.entries(junk) : []) multi[k] = [v];
    for (const [name, value] of lines) {
      headers[name] = value; // API Gateway keeps the last line in `headers`
      const list = (multi[name] as string[] | undefined) ?? [];
      multi[name] = [...list, value];
    }
    const root = req.path === '/' || req.path === '';
    const proxy = req.path.startsWith('/') ? req.path.slice(1) : req.path;
    return {
      resource: root ? '/' : '/{proxy+}',
      path: `/base${req.path}`,
      httpMethod: 'OPTIONS',
      headers,
      multiValueHeaders: shape === 'multi' ? multi : shape === 'single-null-multi' ? null : {},
      pathParameters: root ? null : { proxy },
      requestContext: { stage: 'prod', resourcePath: root ? '/' : '/{proxy+}' },
      body: null,
      isBase64Encoded: false,
    };
  });
}

/** An HTTP API (payload v2) event: lower-case names, duplicate lines joined with commas. */
function v2Event(req: ModelRequest): fc.Arbitrary<Record<string, Json>> {
  return fc
    .tuple(headerLines(req), junkHeaders, fc.constantFrom('OPTIONS /{proxy+}', '$default'), fc.constantFrom('$default', 'dev'))
    .map(([lines, junk, routeKey, stage]) => {
      const headers: Record<string, Json> = {};
      for (const [k, v] of Object.entries(junk)) headers[k.toLowerCase()] = v;
      for (const [name, value] of lines) {
        const n = name.toLowerCase();
        const before = headers[n];
        headers[n] = typeof before === 'string' ? `${before},${value}` : value;
      }
      const root = req.path === '/' || req.path === '';
      const proxy = req.path.startsWith('/') ? req.path.slice(1) : req.path;
      const key = routeKey === '$default' ? '$default' : root ? 'OPTIONS /' : routeKey;
      return {
        version: '2.0',
        routeKey: key,
        rawPath: `${stage === '$default' ? '' : `/${stage}`}${req.path}`,
        rawQueryString: '',
        headers,
        pathParameters: root || key === '$default' ? null : { proxy },
        requestContext: { http: { method: 'OPTIONS', path: req.path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'fuzz' }, routeKey: key, stage },
        isBase64Encoded: false,
      };
    });
}

const anyJson: fc.Arbitrary<Json> = fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>;

/** Breaks an event the way a misbehaving proxy, a test tool or an attacker could. */
function mangle(event: Record<string, Json>): fc.Arbitrary<unknown> {
  const set = (key: string, value: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
    value.map((v) => {
      const copy: Record<string, Json> = { ...event };
      if (v === undefined) delete copy[key];
      else copy[key] = v as Json;
      return copy;
    });
  const inHeaders = (f: (h: Record<string, Json>) => Record<string, Json>): fc.Arbitrary<unknown> =>
    fc.constant({ ...event, headers: f({ ...(event.headers as Record<string, Json>) }) });
  return fc.oneof(
    set('headers', fc.constantFrom(null, undefined, 'origin: https://app.example.com', 42, [])),
    set(
      'multiValueHeaders',
      fc.oneof(
        fc.constantFrom(null, undefined, 'x', 7, []),
        fc.constant({ Origin: 'https://app.example.com' }),
        fc.constant({ Origin: ['https://evil.example'] }),
        fc.constant({ origin: [null, 1, 'https://app.example.com'] }),
        fc.constant({ origin: [] }),
        fc.constant({ Origin: [1, 2] }),
      ),
    ),
    set(
      'pathParameters',
      fc.oneof(
        fc.constantFrom(null, undefined, 'proxy', 1, []),
        fc.constant({ proxy: null }),
        fc.constant({ proxy: 5 }),
        fc.constant({ proxy: '' }),
        fc.constant({ proxy: '../../etc' }),
        fc.constant({ rest: 'a' }),
      ),
    ),
    set('resource', fc.constantFrom(null, undefined, '', '/', '/{proxy+}', '/products/{id}', '/{a}/{b+}', '{proxy+}', '/{}', 5)),
    set('routeKey', fc.constantFrom(null, undefined, '', 'OPTIONS', 'OPTIONS /', 'ANY /products/{id}', '$default', ' ', 3)),
    set('rawPath', fc.constantFrom(null, undefined, '', '/dev', '/dev/', '/dev/products/1', 'nope', 9)),
    set('version', fc.constantFrom(null, undefined, '2.0', '1.0', 2, '2')),
    set(
      'requestContext',
      fc.oneof(
        fc.constantFrom(null, undefined, 'ctx'),
        fc.constant({ stage: null }),
        fc.constant({ stage: 'dev', http: null }),
        fc.constant({ stage: '' }),
        fc.constant({ http: { method: 5 } }),
      ),
    ),
    inHeaders((h) => ({ ...h, Origin: null, ORIGIN: 'https://app.example.com' })),
    inHeaders((h) => ({ ...h, origin: ['https://app.example.com'] as Json })),
    inHeaders((h) => ({ ...h, 'Access-Control-Request-Method': 7 })),
    inHeaders((h) => ({ ...h, 'access-control-request-headers': { a: 1 } })),
    fc
      .tuple(anyJson, anyJson)
      .map(([a, b]) => ({ ...event, headers: { ...(event.headers as Record<string, Json>), origin: a, 'access-control-request-method': b } })),
    fc.constantFrom(
      null,
      undefined,
      0,
      '',
      'event',
      [],
      {},
      { version: '2.0' },
      { headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET' } },
    ),
    anyJson,
  );
}

/** API Gateway events (v1 or v2) for a request, sometimes mangled. */
export function eventFor(req: ModelRequest): fc.Arbitrary<unknown> {
  const encoded = fc.oneof(v1Event(req), v2Event(req));
  return fc.oneof({ weight: 4, arbitrary: encoded }, { weight: 1, arbitrary: encoded.chain(mangle) });
}

export const policiesWithEvents = policySet.chain((policies) =>
  fc.tuple(fc.constant(policies), fc.array(requestFor(policies).chain(eventFor), { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 10 })),
);
