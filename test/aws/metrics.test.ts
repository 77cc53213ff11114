// The Embedded Metric Format lines: their shape (checked against the
// documented specification, not against our own reader), what is aggregated
// and when it is written, and the configuration.
import { readMetricsConfig, type MetricsOptions } from '../../functions/aws/metrics';
import { metricsFixture } from './support/metrics-fixture';

/**
 * Checks a document against the EMF specification
 * (CloudWatch_Embedded_Metric_Format_Specification): `_aws.Timestamp` in ms,
 * `CloudWatchMetrics` directives each with a Namespace, dimension sets of at
 * most 30 keys whose values are top-level strings, and metrics whose values
 * are top-level numbers. Returns the metric values by "name|dim=value,...".
 */
function emfValues(doc: Record<string, unknown>): Record<string, number> {
  const aws = doc._aws as { Timestamp: unknown; CloudWatchMetrics: unknown };
  expect(typeof aws.Timestamp).toBe('number');
  expect(Array.isArray(aws.CloudWatchMetrics)).toBe(true);
  const out: Record<string, number> = {};
  for (const d of aws.CloudWatchMetrics as Array<{ Namespace: unknown; Dimensions: unknown; Metrics: unknown }>) {
    expect(typeof d.Namespace).toBe('string');
    expect(Array.isArray(d.Dimensions)).toBe(true);
    const metrics = d.Metrics as Array<{ Name: string; Unit?: string }>;
    expect(metrics.length).toBeGreaterThan(0);
    expect(metrics.length).toBeLessThanOrEqual(100);
    for (const set of d.Dimensions as string[][]) {
      expect(set.length).toBeLessThanOrEqual(30);
      for (const key of set) expect([key, typeof doc[key]]).toEqual([key, 'string']);
      for (const m of metrics) {
        expect([m.Name, typeof doc[m.Name]]).toEqual([m.Name, 'number']);
        expect(['Count', 'Seconds']).toContain(m.Unit);
        out[`${m.Name}|${set.map((k) => `${k}=${String(doc[k])}`).join(',')}`] = doc[m.Name] as number;
      }
    }
  }
  return out;
}

const setup = (metrics: Partial<MetricsOptions> = {}) => metricsFixture({ metrics });

const DIMS = 'service=cors-preflight,function_name=shop-preflight';

describe('allowed preflights', () => {
  test('are counted in memory and written once the flush interval has passed', () => {
    const t = setup();
    t.stats.refreshes = 1;
    for (let i = 0; i < 5; i++) {
      t.metrics.count('PreflightsAllowed');
      t.metrics.settle(t.store);
    }
    expect(t.lines).toEqual([]);
    t.advance(60_000);
    t.metrics.count('PreflightsAllowed');
    t.metrics.settle(t.store);
    expect(t.lines).toHaveLength(1);
    expect(t.lines[0]).toMatchObject({ level: 'INFO', message: 'metrics', service: 'cors-preflight', function_name: 'shop-preflight' });
    expect(emfValues(t.lines[0]!)).toEqual({
      [`PreflightsAllowed|${DIMS}`]: 6,
      [`PolicyRefreshes|${DIMS}`]: 1,
      [`PolicyRefreshFailures|${DIMS}`]: 0,
      [`InvalidPolicyParameters|${DIMS}`]: 0,
      [`PolicyAgeSeconds|${DIMS}`]: 60,
    });
    // The counts start again from zero.
    t.advance(60_000);
    t.metrics.settle(t.store);
    expect(emfValues(t.lines[1]!)[`PreflightsAllowed|${DIMS}`]).toBe(0);
    expect(emfValues(t.lines[1]!)[`PolicyRefreshes|${DIMS}`]).toBe(0);
  });

  test('flush interval 0 writes at the end of every invocation', () => {
    const t = setup({ flushSeconds: 0 });
    t.metrics.count('PreflightsAllowed');
    t.metrics.settle(t.store);
    t.metrics.count('PreflightsAllowed');
    t.metrics.settle(t.store);
    expect(t.lines.map((l) => l.PreflightsAllowed)).toEqual([1, 1]);
  });
});

describe('denied preflights', () => {
  test('the denial line carries its own count with the reason as a dimension, and the total', () => {
    const t = setup();
    const fields = t.metrics.denied('origin_not_allowed', t.store)!;
    expect(t.lines).toEqual([]);
    expect(fields).toMatchObject({ reason: 'origin_not_allowed', PreflightsDenied: 1 });
    expect(emfValues(fields)).toEqual({
      [`PreflightsDenied|${DIMS},reason=origin_not_allowed`]: 1,
      [`PreflightsDenied|${DIMS}`]: 1,
    });
  });

  test('a denial line also flushes pending counts, so they are not written twice', () => {
    const t = setup();
    t.metrics.count('PreflightsAllowed');
    t.metrics.count('PreflightsAllowed');
    const fields = t.metrics.denied('header_not_allowed', t.store)!;
    expect(emfValues(fields)).toMatchObject({ [`PreflightsDenied|${DIMS},reason=header_not_allowed`]: 1, [`PreflightsAllowed|${DIMS}`]: 2 });
    t.advance(60_000);
    t.metrics.settle(t.store);
    expect(emfValues(t.lines[0]!)[`PreflightsAllowed|${DIMS}`]).toBe(0);
  });

  test('when INFO lines are not written, denials are counted by reason and flushed at the configured level, one line per reason', () => {
    const t = setup({ infoEnabled: false, level: 'WARN' });
    expect(t.metrics.denied('method_not_allowed', t.store)).toBeUndefined();
    expect(t.metrics.denied('method_not_allowed', t.store)).toBeUndefined();
    expect(t.metrics.denied('origin_not_allowed', t.store)).toBeUndefined();
    expect(t.lines).toEqual([]);
    t.advance(60_000);
    t.metrics.settle(t.store);
    expect(t.lines).toHaveLength(3);
    for (const l of t.lines) expect(l).toMatchObject({ level: 'WARN', message: 'metrics' });
    expect(emfValues(t.lines[1]!)).toEqual({ [`PreflightsDenied|${DIMS},reason=method_not_allowed`]: 2, [`PreflightsDenied|${DIMS}`]: 2 });
    expect(emfValues(t.lines[2]!)).toEqual({ [`PreflightsDenied|${DIMS},reason=origin_not_allowed`]: 1, [`PreflightsDenied|${DIMS}`]: 1 });
    // Request values are never part of a metrics line.
    expect(Object.keys(t.lines[1]!).sort()).toEqual(['PreflightsDenied', '_aws', 'function_name', 'level', 'message', 'reason', 'service', 'timestamp']);
    t.advance(60_000);
    t.metrics.settle(t.store);
    expect(t.lines).toHaveLength(4);
  });
});

describe('policy health', () => {
  test('a failed refresh is written at once, and the age counts from the last successful load', () => {
    const t = setup();
    t.stats.refreshes = 1;
    t.metrics.settle(t.store); // loaded now
    t.advance(90_000);
    t.stats.refreshes = 2;
    t.stats.failedRefreshes = 1;
    t.advance(10);
    t.metrics.settle(t.store);
    expect(t.lines).toHaveLength(1);
    expect(emfValues(t.lines[0]!)).toMatchObject({ [`PolicyRefreshes|${DIMS}`]: 2, [`PolicyRefreshFailures|${DIMS}`]: 1, [`PolicyAgeSeconds|${DIMS}`]: 90 });
  });

  test('policies never loaded are as old as the container', () => {
    const t = setup();
    t.stats.refreshes = 3;
    t.stats.failedRefreshes = 3;
    t.advance(125_000);
    t.metrics.settle(t.store);
    expect(emfValues(t.lines[0]!)[`PolicyAgeSeconds|${DIMS}`]).toBe(125);
  });

  test('invalid parameters count each rejected parameter once', () => {
    const t = setup();
    t.setPolicies([
      { source: '/p/ok', value: '{"route":"/a","allowOrigins":["https://a.example.com"],"allowMethods":["GET"]}' },
      { source: '/p/bad', value: '{"route":"/b","allowOrigins":["https://*.com", "http://x"],"allowMethods":["GET"]}' },
      { source: '/p/json', value: '{' },
    ]);
    t.advance(60_000);
    t.metrics.settle(t.store);
    expect(emfValues(t.lines[0]!)[`InvalidPolicyParameters|${DIMS}`]).toBe(2);
  });

  test('the layer counts actual responses, and the preflights it answers for shadowing routes', () => {
    const t = setup({ service: 'cors-layer', functionName: 'orders-api' });
    t.metrics.count('ActualAllowed');
    t.metrics.count('ActualDenied');
    t.metrics.count('ActualDenied');
    t.metrics.count('PreflightsAllowed');
    t.advance(60_000);
    t.metrics.settle(t.store);
    const dims = 'service=cors-layer,function_name=orders-api';
    expect(emfValues(t.lines[0]!)).toMatchObject({ [`ActualAllowed|${dims}`]: 1, [`ActualDenied|${dims}`]: 2, [`PreflightsAllowed|${dims}`]: 1 });
  });

  test('the preflight function reports no actual-response counts', () => {
    const t = setup({ service: 'cors-preflight', functionName: 'shop-cors-preflight' });
    t.metrics.count('PreflightsAllowed');
    t.advance(60_000);
    t.metrics.settle(t.store);
    expect(t.lines[0]).toHaveProperty('PreflightsAllowed', 1);
    expect(t.lines[0]).not.toHaveProperty('ActualAllowed');
  });
});

describe('configuration', () => {
  test('defaults: on, namespace ApigwCors, flushed every 60 s', () => {
    expect(readMetricsConfig({})).toEqual({ enabled: true, namespace: 'ApigwCors', flushSeconds: 60, problems: [] });
    expect(readMetricsConfig({ CORS_METRICS: 'false' }).enabled).toBe(false);
    expect(readMetricsConfig({ CORS_METRICS_NAMESPACE: 'Shop/Cors', CORS_METRICS_FLUSH_SECONDS: '0' })).toMatchObject({
      namespace: 'Shop/Cors',
      flushSeconds: 0,
      enabled: true,
    });
  });

  test('every refused setting is reported with its value, and metrics are then off', () => {
    const config = readMetricsConfig({ CORS_METRICS: 'yes', CORS_METRICS_NAMESPACE: 'AWS/Lambda', CORS_METRICS_FLUSH_SECONDS: '-1' });
    expect(config.enabled).toBe(false);
    expect(config.problems).toEqual([
      expect.stringContaining('CORS_METRICS="yes"'),
      expect.stringContaining('CORS_METRICS_NAMESPACE="AWS/Lambda"'),
      expect.stringContaining('CORS_METRICS_FLUSH_SECONDS="-1"'),
    ]);
    expect(readMetricsConfig({ CORS_METRICS_NAMESPACE: 'bad{name}' }).problems).toHaveLength(1);
  });
});
