// Environment settings of the preflight function: CORS_POLICY_PATH is
// required and checked against Parameter Store naming rules; the TTL and load
// budget have documented defaults and bounds.
import { ConfigError, DEFAULT_LOAD_BUDGET_MS, DEFAULT_TTL_SECONDS, readStoreConfig } from '../../functions/aws/config';

describe('readStoreConfig', () => {
  test('defaults: TTL 60 s and a 2000 ms load budget', () => {
    expect(readStoreConfig({ CORS_POLICY_PATH: '/cors/shop-api' })).toEqual({ policyPath: '/cors/shop-api', ttlSeconds: 60, loadBudgetMs: 2000 });
    expect(DEFAULT_TTL_SECONDS).toBe(60);
    expect(DEFAULT_LOAD_BUDGET_MS).toBe(2000);
  });

  test('reads the TTL and budget when set', () => {
    expect(readStoreConfig({ CORS_POLICY_PATH: '/cors/a', CORS_POLICY_TTL_SECONDS: '300', CORS_POLICY_LOAD_BUDGET_MS: '1500' })).toMatchObject({
      ttlSeconds: 300,
      loadBudgetMs: 1500,
    });
  });

  test('a trailing slash on the path is tolerated', () => {
    expect(readStoreConfig({ CORS_POLICY_PATH: '/cors/shop-api/' }).policyPath).toBe('/cors/shop-api');
  });

  test.each([
    ['a missing path', {}],
    ['an empty path', { CORS_POLICY_PATH: ' ' }],
    ['a path without a leading slash', { CORS_POLICY_PATH: 'cors/api' }],
    ['a path with braces', { CORS_POLICY_PATH: '/cors/{api}' }],
    ['a path under the reserved aws prefix', { CORS_POLICY_PATH: '/aws/cors' }],
    ['a TTL that is not a number', { CORS_POLICY_PATH: '/cors/a', CORS_POLICY_TTL_SECONDS: 'soon' }],
    ['a fractional TTL', { CORS_POLICY_PATH: '/cors/a', CORS_POLICY_TTL_SECONDS: '1.5' }],
    ['a negative budget', { CORS_POLICY_PATH: '/cors/a', CORS_POLICY_LOAD_BUDGET_MS: '-1' }],
  ])('refuses %s', (_what, env) => {
    expect(() => readStoreConfig(env)).toThrow(ConfigError);
  });

  test('reports every problem at once', () => {
    let message = '';
    try {
      readStoreConfig({ CORS_POLICY_TTL_SECONDS: 'x', CORS_POLICY_LOAD_BUDGET_MS: 'y' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('CORS_POLICY_PATH');
    expect(message).toContain('CORS_POLICY_TTL_SECONDS');
    expect(message).toContain('CORS_POLICY_LOAD_BUDGET_MS');
  });
});
