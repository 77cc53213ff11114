// schema/policy.schema.json (for editors) and the engine's parsePolicy agree:
// - on documents whose strings are all ones the engine accepts, the schema
//   accepts exactly what the engine accepts (shape, types, required fields,
//   ranges, unknown fields, duplicates, "*" with credentials);
// - on any document, whatever the engine accepts the schema accepts too, so an
//   editor never marks a policy the engine would serve. The engine checks more
//   (origin syntax, public suffixes, forbidden headers): validate says those.
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv from 'ajv';
import fc from 'fast-check';
import { POLICY_FIELDS, parsePolicy } from '../../functions/core/policy';

const ROOT = resolve(__dirname, '../..');
const schema = JSON.parse(readFileSync(join(ROOT, 'schema/policy.schema.json'), 'utf8')) as object;
const validateSchema = new Ajv({ allErrors: true, strict: true, strictTypes: false }).compile(schema);

function engineAccepts(doc: unknown): boolean {
  try {
    parsePolicy('generated', doc);
    return true;
  } catch {
    return false;
  }
}

const schemaAccepts = (doc: unknown): boolean => validateSchema(doc) === true;

const wrongType = fc.oneof(fc.constant(null), fc.integer(), fc.constant('text'), fc.constant({}), fc.boolean(), fc.constant(1.5));

/** A list field: a unique list from `pool`, sometimes with a repeated entry, empty, or of the wrong type. */
function list(pool: readonly string[], junk: fc.Arbitrary<unknown> = wrongType): fc.Arbitrary<unknown> {
  const unique = fc.uniqueArray(fc.constantFrom(...pool), { minLength: 1, maxLength: 4 });
  return fc.oneof(
    { weight: 6, arbitrary: unique },
    { weight: 1, arbitrary: unique.map((l) => [...l, l[0]!]) },
    { weight: 1, arbitrary: fc.constant([]) },
    { weight: 1, arbitrary: junk },
    { weight: 1, arbitrary: fc.array(wrongType, { minLength: 1, maxLength: 2 }) },
  );
}

// Every string here is one the engine accepts on its own (or refuses for a reason the schema states too).
const ROUTES = ['/products', '/products/{id}', '/', '$default', '/files/{path+}', 'products'];
const ORIGINS = [
  'https://shop.example.com',
  'https://*.preview.example.com',
  'http://localhost:*',
  '*',
  'https://a.example.org:8443',
  'shop.example.com',
  'ftp://x.example.com',
];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', '*', 'X-PURGE', 'TRACE', 'track', 'GET POST', `M${'X'.repeat(64)}`];
const HEADERS = ['content-type', 'x-request-id', 'authorization', 'etag', '*', 'bad header'];

function documents(fields: {
  routes: readonly string[];
  origins: readonly string[];
  methods: readonly string[];
  allowHeaders: readonly string[];
  exposeHeaders: readonly string[];
}): fc.Arbitrary<Record<string, unknown>> {
  const route = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...fields.routes) },
    { weight: 3, arbitrary: list(fields.routes) },
    { weight: 1, arbitrary: wrongType },
  );
  const bool = fc.oneof({ weight: 4, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constantFrom('yes', 1, null) });
  const maxAge = fc.oneof(fc.integer({ min: -10, max: 90_000 }), fc.constantFrom(0, 86_400, 86_401, -1, 600.5, '600', null));
  return fc.record(
    {
      route,
      allowOrigins: list(fields.origins),
      allowMethods: list(fields.methods),
      allowHeaders: list(fields.allowHeaders),
      exposeHeaders: list(fields.exposeHeaders),
      allowCredentials: bool,
      maxAge,
      dangerouslyAllowInsecureOriginsWithCredentials: bool,
      description: fc.oneof(fc.string(), fc.constant(5)),
      $schema: fc.oneof({ weight: 4, arbitrary: fc.constant('../schema/policy.schema.json') }, { weight: 1, arbitrary: fc.constant(1) }),
      allowedOrigins: fc.constant(['https://typo.example.com']),
    },
    { requiredKeys: [] },
  );
}

/** Values the engine accepts in every combination, but for "*" with credentials. */
const ok = {
  routes: ['/products', '/products/{id}', '/', '$default', '/files/{path+}'],
  origins: ['https://shop.example.com', 'https://*.preview.example.com', 'http://localhost:*', '*', 'https://a.example.org:8443'],
  methods: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', '*', 'X-PURGE'],
  headers: ['content-type', 'x-request-id', 'authorization', 'etag', '*'],
};
const some = (pool: readonly string[]) => fc.uniqueArray(fc.constantFrom(...pool), { minLength: 1, maxLength: 4 });
/** A document that is valid but for "*" together with credentials, and for optional fields left out. */
const base = fc.record(
  {
    route: fc.oneof(fc.constantFrom(...ok.routes), some(ok.routes)),
    allowOrigins: some(ok.origins),
    allowMethods: some(ok.methods),
    allowHeaders: some(ok.headers),
    exposeHeaders: some(ok.headers),
    allowCredentials: fc.boolean(),
    maxAge: fc.integer({ min: 0, max: 86_400 }),
    dangerouslyAllowInsecureOriginsWithCredentials: fc.boolean(),
    description: fc.string({ maxLength: 20 }),
    $schema: fc.constant('../schema/policy.schema.json'),
  },
  { requiredKeys: ['route', 'allowOrigins', 'allowMethods'] },
);

describe('policy.schema.json and the engine', () => {
  it('agree on every document made of values the engine accepts on their own, with up to three structural faults', () => {
    // The engine's own field list, so a field added to the engine is faulted here too.
    const field = fc.constantFrom(...POLICY_FIELDS);
    const listField = fc.constantFrom('allowOrigins', 'allowMethods', 'allowHeaders', 'exposeHeaders');
    type Fault = (doc: Record<string, unknown>) => void;
    const bad: Record<string, readonly unknown[]> = {
      route: ['products', 5, [], [5], ['/a', '/a']],
      allowOrigins: ['shop.example.com', 'ftp://x.example.com'],
      allowMethods: ['TRACE', 'track', 'GET POST', `M${'X'.repeat(64)}`],
      allowHeaders: ['bad header'],
      exposeHeaders: ['bad header'],
    };
    const fault: fc.Arbitrary<Fault> = fc.oneof(
      field.chain((f) =>
        wrongType.map(
          (v): Fault =>
            (doc) =>
              void (doc[f] = v),
        ),
      ),
      field.map(
        (f): Fault =>
          (doc) =>
            void delete doc[f],
      ),
      listField.map(
        (f): Fault =>
          (doc) =>
            void (doc[f] = []),
      ),
      listField.map(
        (f): Fault =>
          (doc) =>
            void (Array.isArray(doc[f]) && (doc[f] as unknown[]).length > 0 && (doc[f] as unknown[]).push((doc[f] as unknown[])[0])),
      ),
      fc.constantFrom(...Object.keys(bad)).chain((f) =>
        fc.constantFrom(...bad[f]!).map(
          (v): Fault =>
            (doc) =>
              void (f === 'route' ? (doc.route = v) : (doc[f] = [...(Array.isArray(doc[f]) ? doc[f] : []), v])),
        ),
      ),
      fc.constantFrom(-1, 86_401, 600.5, '600').map(
        (v): Fault =>
          (doc) =>
            void (doc.maxAge = v),
      ),
      fc.constant<Fault>((doc) => void (doc.allowedOrigins = ['https://typo.example.com'])),
      fc.constant<Fault>((doc) => void (doc.allowCredentials = true)),
    );
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(base, fc.array(fault, { maxLength: 3 }), (start, faults) => {
        const doc: Record<string, unknown> = structuredClone(start);
        for (const f of faults) f(doc);
        const engine = engineAccepts(doc);
        if (engine) accepted++;
        else refused++;
        expect({ doc, schema: schemaAccepts(doc) }).toEqual({ doc, schema: engine });
      }),
      { numRuns: 4000 },
    );
    // The generator reaches both answers often enough for the comparison to mean something.
    expect(Math.min(accepted, refused)).toBeGreaterThan(400);
  });

  it('the schema accepts whatever the engine accepts, whatever the strings', () => {
    const anyString = fc.string({ maxLength: 30 });
    const mixed = (pool: readonly string[]) => [...pool, 'https://*.com', 'https://shop.example.com/', 'get', 'cookie', 'set-cookie', 'Content-Type', '/a/{b'];
    const pools = {
      route: mixed(ROUTES),
      allowOrigins: mixed(ORIGINS),
      allowMethods: mixed(METHODS),
      allowHeaders: mixed(HEADERS),
      exposeHeaders: mixed(HEADERS),
    };
    const docs = documents({
      routes: pools.route,
      origins: pools.allowOrigins,
      methods: pools.allowMethods,
      allowHeaders: pools.allowHeaders,
      exposeHeaders: pools.exposeHeaders,
    });
    // A valid base with one or two fields swapped: a field's value is replaced by entries of its mixed pool
    // (now and then any string), or one such entry is added to it. Enough of these stay acceptable to the
    // engine for the property to be checked on documents it serves (the other two sources yield none).
    type Swap = (doc: Record<string, unknown>) => void;
    const swap: fc.Arbitrary<Swap> = fc.constantFrom(...(Object.keys(pools) as (keyof typeof pools)[])).chain((f) => {
      const entry = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...pools[f]) }, { weight: 1, arbitrary: anyString });
      const entries = fc.uniqueArray(entry, { minLength: 1, maxLength: 2 });
      return fc.oneof(
        (f === 'route' ? fc.oneof(entry, entries) : entries).map(
          (v): Swap =>
            (doc) =>
              void (doc[f] = v),
        ),
        entry.map(
          (v): Swap =>
            (doc) =>
              void (doc[f] = [...(Array.isArray(doc[f]) ? (doc[f] as unknown[]) : [doc[f]]), v]),
        ),
      );
    });
    const swapped = fc.tuple(base, fc.array(swap, { minLength: 1, maxLength: 2 })).map(([start, swaps]) => {
      const doc: Record<string, unknown> = structuredClone(start);
      for (const s of swaps) s(doc);
      return doc;
    });
    const okStrings = new Set<unknown>([...ok.routes, ...ok.origins, ...ok.methods, ...ok.headers]);
    const listed = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);
    let accepted = 0;
    let acceptedWithNewStrings = 0;
    fc.assert(
      fc.property(
        fc.oneof({ weight: 8, arbitrary: swapped }, { weight: 1, arbitrary: docs }, { weight: 1, arbitrary: fc.dictionary(anyString, fc.jsonValue()) }),
        (doc) => {
          if (!engineAccepts(doc)) return;
          accepted++;
          if (Object.keys(pools).some((f) => listed(doc[f]).some((v) => !okStrings.has(v)))) acceptedWithNewStrings++;
          expect({ doc, schema: schemaAccepts(doc) }).toEqual({ doc, schema: true });
        },
      ),
      { numRuns: 3000 },
    );
    // The engine accepts enough documents, many with strings beyond the first test's, for the property to mean
    // something (seeds 1 to 12 gave 300 to 375 accepted, 165 to 213 of them with such strings).
    expect(accepted).toBeGreaterThan(250);
    expect(acceptedWithNewStrings).toBeGreaterThan(120);
  });

  it.each(
    [
      ...readdirSync(join(ROOT, 'examples')).map((f) => join('examples', f)),
      ...readdirSync(join(ROOT, 'test/browser/policies')).map((f) => join('test/browser/policies', f)),
    ].filter((f) => f.endsWith('.json')),
  )('%s is valid for both', (file) => {
    const doc = JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as unknown;
    expect([engineAccepts(doc), schemaAccepts(doc)]).toEqual([true, true]);
  });

  it('a policy that names the schema in "$schema" validates, and the name is not part of the compiled document', () => {
    const doc = { $schema: '../schema/policy.schema.json', ...JSON.parse(readFileSync(join(ROOT, 'examples/products.json'), 'utf8')) };
    expect(schemaAccepts(doc)).toBe(true);
    expect(parsePolicy('products', JSON.stringify(doc)).document).not.toHaveProperty('$schema');
  });

  it('a "$schema" that is not a string is refused by both, with the field named', () => {
    const doc = { $schema: 7, route: '/a', allowOrigins: ['https://a.example.com'], allowMethods: ['GET'] };
    expect(schemaAccepts(doc)).toBe(false);
    expect(() => parsePolicy('a', doc)).toThrow(/\$schema/);
  });
});
