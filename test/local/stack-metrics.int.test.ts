// The local stack reads the Embedded Metric Format blocks the BUILT functions
// write and shows them in /__local/stats, so the metrics are visible without AWS.
import { MetricCounters } from '../../scripts/local/metrics';
import { startLocalStack, type LocalStack } from '../../scripts/local/stack';

describe('MetricCounters', () => {
  const doc = (fields: Record<string, unknown>, metrics: string[], dims: string[][] = [['service', 'function_name']]) => ({
    service: 'cors-preflight',
    function_name: 'fn',
    ...fields,
    _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'ApigwCors', Dimensions: dims, Metrics: metrics.map((Name) => ({ Name, Unit: 'Count' })) }] },
  });

  test('sums each metric per dimension set, keeps the last value, ignores lines without EMF', () => {
    const m = new MetricCounters();
    m.ingest(doc({ PreflightsAllowed: 2 }, ['PreflightsAllowed']));
    m.ingest(doc({ PreflightsAllowed: 3 }, ['PreflightsAllowed']));
    m.ingest(
      doc(
        { reason: 'origin_not_allowed', PreflightsDenied: 1 },
        ['PreflightsDenied'],
        [
          ['service', 'function_name', 'reason'],
          ['service', 'function_name'],
        ],
      ),
    );
    m.ingest({ message: 'preflight denied' });
    m.ingest(undefined);
    expect(m.total('PreflightsAllowed')).toBe(5);
    expect(m.total('PreflightsDenied', { reason: 'origin_not_allowed' })).toBe(1);
    expect(m.snapshot().series.find((s) => s.name === 'PreflightsAllowed')).toMatchObject({
      sum: 5,
      last: 3,
      max: 3,
      samples: 2,
      dimensions: { service: 'cors-preflight', function_name: 'fn' },
    });
    expect(m.snapshot()).toMatchObject({ documents: 3, invalid: 0 });
  });

  test('counts blocks CloudWatch would reject: a metric or dimension without its value', () => {
    const m = new MetricCounters();
    m.ingest(doc({}, ['PreflightsAllowed']));
    m.ingest(doc({ PreflightsAllowed: 1 }, ['PreflightsAllowed'], [['service', 'missing']]));
    expect(m.snapshot()).toMatchObject({ documents: 2, invalid: 2, series: [] });
  });
});

describe('/__local/stats', () => {
  let stack: LocalStack | undefined;
  afterAll(async () => {
    await stack?.stop();
  });

  test('shows the counters the preflight function and the layer emitted', async () => {
    stack = await startLocalStack({
      ...(process.env.MOTO_ENDPOINT ? { motoEndpoint: process.env.MOTO_ENDPOINT } : {}),
      policyPath: `/test/local-metrics/${process.pid}`,
    });
    const api = stack.urls.api;
    const preflight = (origin: string) =>
      fetch(`${api}/products/42`, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'GET' } });
    expect((await preflight('https://shop.example.com')).status).toBe(204);
    expect((await preflight('https://shop.example.com')).status).toBe(204);
    expect((await preflight('https://evil.example.net')).status).toBe(403);
    expect((await fetch(`${api}/products/42`, { headers: { Origin: 'https://shop.example.com' } })).status).toBe(200);
    expect((await fetch(`${api}/products/42`, { headers: { Origin: 'https://evil.example.net' } })).status).toBe(200);
    // The functions' log lines arrive through the worker's stdout stream: give them a moment.
    const deadline = Date.now() + 30_000;
    let stats: { metrics: { series: Array<{ name: string; dimensions: Record<string, string>; sum: number; last: number }> } };
    const sum = (name: string, where: Record<string, string>) =>
      stats.metrics.series.filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.dimensions[k] === v)).reduce((n, s) => n + s.sum, 0);
    do {
      stats = (await (await fetch(`${api}/__local/stats`)).json()) as typeof stats;
      if (sum('ActualDenied', { service: 'cors-layer' }) === 1) break;
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < deadline);
    expect(sum('PreflightsAllowed', { service: 'cors-preflight', function_name: 'cors-preflight' })).toBe(2);
    expect(sum('PreflightsDenied', { service: 'cors-preflight', reason: 'origin_not_allowed' })).toBe(1);
    expect(sum('PolicyRefreshes', { service: 'cors-preflight' })).toBe(1);
    expect(sum('ActualAllowed', { service: 'cors-layer', function_name: 'example-api' })).toBe(1);
    expect(sum('ActualDenied', { service: 'cors-layer', function_name: 'example-api' })).toBe(1);
    const age = stats!.metrics.series.find((s) => s.name === 'PolicyAgeSeconds' && s.dimensions.service === 'cors-preflight');
    expect(age!.last).toBeLessThan(10);
  });
});
