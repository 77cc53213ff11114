// `cors-policy verify` (the built binary) against the local stack: the BUILT
// preflight function and layer behind the API Gateway emulator, healthy and
// misconfigured the way real APIs are. Every misconfiguration must exit 3
// with the right diagnosis on exactly the probes it affects.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProbeReport, VerifyReport } from '../../functions/cli/json';
import { SAMPLE_CORS_CONFIGURATION, type Misconfiguration } from '../../scripts/local/misconfig';
import { startLocalStack, type LocalStack } from '../../scripts/local/stack';
import { assertBuilt, cliEnv, motoEndpoint, releaseBuilt, removeDir, runCli, tempDir } from './support/cli';

const POLICIES = join(__dirname, '..', '..', 'examples');
let home: string;
// Two local stacks per payload (moto, the gateway, the compiler's first run): seconds each on a loaded 2-core machine.
jest.setTimeout(120_000);

beforeAll(async () => {
  assertBuilt();
  home = await tempDir('verify-home');
});
afterAll(async () => {
  await removeDir(home);
  await releaseBuilt();
});

interface Run {
  code: number | null;
  report: VerifyReport;
  stderr: string;
}

async function verify(stack: LocalStack, extra: string[] = [], dir = POLICIES): Promise<Run> {
  // A fast rate: the emulator is local; the defaults are for real APIs.
  const r = await runCli(['verify', '--url', stack.urls.api, '--dir', dir, '--rate', '100', '--json', ...extra], {
    env: cliEnv(undefined, home),
    timeoutMs: 60_000,
  });
  return { code: r.code, report: JSON.parse(r.stdout) as VerifyReport, stderr: r.stderr };
}

const diagnosesOf = (probes: readonly ProbeReport[]) => [...new Set(probes.map((p) => p.diagnosis))];

describe.each(['v1', 'v2'] as const)('verify against the local stack with payload %s', (payload) => {
  let stack: LocalStack;
  let legacy: LocalStack;

  beforeAll(async () => {
    const common = { payload, motoEndpoint: motoEndpoint(), policiesDir: POLICIES, logLevel: 'ERROR' };
    [stack, legacy] = await Promise.all([
      startLocalStack({ ...common, policyPath: `/test/cli-verify/${payload}` }),
      // An API function wrapped by a withCors that leaves preflights to the handler.
      startLocalStack({ ...common, policyPath: `/test/cli-verify/${payload}-legacy`, layerAnswersPreflights: false }),
    ]);
  });
  afterEach(() => stack.misconfigure({}));
  afterAll(async () => {
    await stack?.stop();
    await legacy?.stop();
  });

  it('exits 0 when every preflight and actual response matches the policies', async () => {
    const { code, report } = await verify(stack, ['--actual']);
    expect(report.probes.filter((p) => !p.match)).toEqual([]);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    const kinds = new Set(report.probes.map((p) => p.kind));
    expect(kinds).toEqual(new Set(['allowed', 'look-alike-origin', 'unlisted-method', 'unlisted-header', 'actual']));
    // Every route of every policy got probes, with the sample path values.
    expect([...new Set(report.probes.map((p) => `${p.route} ${p.request.path}`))].sort()).toEqual(
      ['$default /cors-verify-default', '/ /', '/products /products', '/products/{id} /products/cors-verify', '/public/{path+} /public/cors-verify/a'].sort(),
    );
    // The negative probes really were denied, and the positive ones allowed.
    for (const p of report.probes.filter((q) => q.request.method === 'OPTIONS')) {
      expect([p.id, 'status' in p.observed && p.observed.status]).toEqual([p.id, p.kind === 'allowed' ? 204 : 403]);
    }
  });

  it('sends preflights as a browser does: no cookies, no Authorization', async () => {
    const since = stack.counters.lastSeq;
    await verify(stack);
    const records = stack.counters.records({ since });
    expect(records.length).toBeGreaterThan(20);
    expect(records.every((r) => r.kind === 'preflight' && !r.cookie)).toBe(true);
  });

  it('passes with a more specific own route when withCors answers the preflights it receives', async () => {
    stack.misconfigure({ shadowRoutes: ['/products/{id}'] });
    const since = stack.counters.lastSeq;
    const { code, report } = await verify(stack);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    // They did reach the API's own function.
    expect(stack.counters.records({ since, path: '/products/cors-verify' }).map((r) => r.function)).toContain('api');
  });

  it('diagnoses a more specific route answered by a function without the layer’s preflight answer', async () => {
    legacy.misconfigure({ shadowRoutes: ['/products/{id}'] });
    const { code, report } = await verify(legacy);
    expect(code).toBe(3);
    const bad = report.probes.filter((p) => !p.match);
    expect(new Set(bad.map((p) => p.route))).toEqual(new Set(['/products/{id}']));
    expect(bad).toHaveLength(report.probes.filter((p) => p.route === '/products/{id}').length);
    expect(diagnosesOf(bad)).toEqual(['answered-by-something-else']);
    expect(report.diagnoses[0]?.fixes.join(' ')).toMatch(/withCors/);
  });

  it('diagnoses an authorizer on OPTIONS on every preflight', async () => {
    stack.misconfigure({ optionsAuthorizer: true });
    const { code, report } = await verify(stack);
    expect(code).toBe(3);
    expect(report.summary.matched).toBe(0);
    expect(diagnosesOf(report.probes)).toEqual(['authorizer']);
    expect(report.probes[0]?.observed).toMatchObject({ status: 401, headers: { 'x-amzn-errortype': 'UnauthorizedException' } });
    expect(report.diagnoses[0]?.fixes.join(' ')).toMatch(/AuthorizationType NONE/);
  });

  it('diagnoses missing OPTIONS routes as not deployed', async () => {
    stack.misconfigure({ missingOptionsRoutes: true });
    const { code, report } = await verify(stack);
    expect(code).toBe(3);
    expect(diagnosesOf(report.probes)).toEqual(['not-deployed']);
    expect(report.probes[0]?.observed).toMatchObject(
      payload === 'v1' ? { status: 403, body: '{"message":"Missing Authentication Token"}' } : { status: 404, body: '{"message":"Not Found"}' },
    );
    expect(report.diagnoses[0]?.fixes.join(' ')).toMatch(/redeploy|deployed/);
  });

  it('tells each misconfiguration apart when they come together', async () => {
    stack.misconfigure({ shadowRoutes: ['/products/{id}'], optionsAuthorizer: true, missingOptionsRoutes: true });
    const { code, report } = await verify(stack);
    expect(code).toBe(3);
    // The own route exists (and has the authorizer); every other OPTIONS route is missing.
    expect(diagnosesOf(report.probes.filter((p) => p.route === '/products/{id}'))).toEqual(['authorizer']);
    expect(diagnosesOf(report.probes.filter((p) => p.route !== '/products/{id}'))).toEqual(['not-deployed']);
  });

  it('diagnoses a different policy when the function serves other policies than the files', async () => {
    const products = JSON.parse(await readFile(join(POLICIES, 'products.json'), 'utf8')) as { allowOrigins: string[] };
    const dir = await tempDir('verify-policies', {
      'default.json': await readFile(join(POLICIES, 'default.json'), 'utf8'),
      'public.json': await readFile(join(POLICIES, 'public.json'), 'utf8'),
      'products.json': { ...products, allowOrigins: [...products.allowOrigins, 'https://new.example.com'] },
    });
    try {
      const { code, report } = await verify(stack, [], dir);
      expect(code).toBe(3);
      const bad = report.probes.filter((p) => !p.match);
      expect(bad.map((p) => [p.request.headers.Origin, p.diagnosis])).toEqual([
        ['https://new.example.com', 'different-policy'],
        ['https://new.example.com', 'different-policy'],
      ]);
      expect(bad[0]?.detail).toMatch(/expected allowed, the function denied \(origin_not_allowed/);
    } finally {
      await removeDir(dir);
    }
  });

  if (payload === 'v2') {
    it('diagnoses an HTTP API CorsConfiguration answering preflights itself', async () => {
      stack.misconfigure({ corsConfiguration: SAMPLE_CORS_CONFIGURATION });
      const { code, report } = await verify(stack, ['--actual']);
      expect(code).toBe(3);
      const preflights = report.probes.filter((p) => p.request.method === 'OPTIONS');
      expect(preflights.every((p) => !p.match)).toBe(true);
      expect(diagnosesOf(preflights)).toEqual(['answered-by-something-else']);
      expect(report.diagnoses.find((d) => d.diagnosis === 'answered-by-something-else')?.fixes.join(' ')).toMatch(/CorsConfiguration/);
    });
  } else {
    it('refuses a CorsConfiguration on a REST API', () => {
      expect(() => stack.misconfigure({ corsConfiguration: SAMPLE_CORS_CONFIGURATION } as Misconfiguration)).toThrow(/only on HTTP APIs/);
    });
  }
});

describe('verify usage and network errors', () => {
  it('exits 2 with a network-error diagnosis when nothing answers', async () => {
    const r = await runCli(['verify', '--url', 'http://127.0.0.1:9', '--dir', POLICIES, '--retries', '0', '--json'], { env: cliEnv(undefined, home) });
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout) as VerifyReport;
    expect(diagnosesOf(report.probes)).toEqual(['network-error']);
  });

  it.each([
    [['--dir', POLICIES], /--url is required/],
    [['--url', 'ftp://x', '--dir', POLICIES], /must be http/],
    [['--url', 'https://api.example.test/prod?x=1', '--dir', POLICIES], /query or fragment/],
    [['--url', 'https://api.example.test/prod', '--dir', POLICIES, '--rate', '0'], /--rate must be/],
    [['--url', 'https://api.example.test/prod'], /exactly one of --path/],
  ])('exits 2 on bad usage: %j', async (args, message) => {
    const r = await runCli(['verify', ...args], { env: cliEnv(undefined, home) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
