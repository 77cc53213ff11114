// Builders shared by the core, store and handler tests: a valid baseline
// policy that each test bends in one place, and a way to collect the
// problems a parse reports.
import {
  PolicyValidationError,
  compilePolicySet,
  isRouteConflict,
  parsePolicy,
  type CompiledPolicy,
  type PolicyProblem,
  type PolicySet,
} from '../../functions/core';

/** A policy that passes every rule; tests override one field to break one rule. */
export function basePolicy(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    route: '/products/{id}',
    allowOrigins: ['https://shop.example.com'],
    allowMethods: ['GET', 'PUT'],
    ...overrides,
  };
}

/** Parses and returns the problems; fails the test when the policy is accepted. */
export function problemsOf(doc: unknown, source = '/cors/test/policy'): readonly PolicyProblem[] {
  try {
    parsePolicy(source, typeof doc === 'string' ? doc : JSON.stringify(doc));
  } catch (err) {
    if (err instanceof PolicyValidationError) return err.problems;
    throw err;
  }
  throw new Error(`expected the policy to be rejected: ${JSON.stringify(doc)}`);
}

/** Parses a policy that must be valid, with a readable failure if it is not. */
export function accept(doc: unknown, source = '/cors/test/policy'): CompiledPolicy {
  try {
    return parsePolicy(source, typeof doc === 'string' ? doc : JSON.stringify(doc));
  } catch (err) {
    if (err instanceof PolicyValidationError) throw new Error(`expected the policy to be accepted, got:\n${err.message}`);
    throw err;
  }
}

/** A compiled set from `{source: document}`; documents may be raw strings. */
export function setOf(docs: Record<string, unknown>): PolicySet {
  return compilePolicySet(Object.entries(docs).map(([source, doc]) => ({ source, value: typeof doc === 'string' ? doc : JSON.stringify(doc) })));
}

/** A preflight request with browser-like defaults. */
export function preflight(
  overrides: Partial<{ path: string; origin: string | undefined; requestMethod: string | undefined; requestHeaders: string | undefined }> = {},
) {
  return {
    method: 'OPTIONS',
    path: '/products/42',
    origin: 'https://shop.example.com',
    requestMethod: 'GET',
    requestHeaders: undefined,
    ...overrides,
  };
}

/** Every preflight answer's Vary, spelled out (not imported) so the tests check the engine's value. */
export const PREFLIGHT_VARY_EXPECTED = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';

/** The exact allowed answer of the sample examples/products.json to https://shop.example.com. */
export const SAMPLE_PRODUCTS_ALLOWED: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': 'https://shop.example.com',
  'Access-Control-Allow-Credentials': 'true',
  'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, PATCH',
  'Access-Control-Allow-Headers': 'content-type, authorization, x-request-id',
  'Access-Control-Max-Age': '600',
  Vary: PREFLIGHT_VARY_EXPECTED,
};

/** Who answers for a path: the serving policy's source, `conflict <key>` for a contested route, or undefined. */
export function holderAt(set: PolicySet, path: string): string | undefined {
  const holder = set.table.match(path);
  return isRouteConflict(holder) ? `conflict ${holder.key}` : holder?.source;
}
