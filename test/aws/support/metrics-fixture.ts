// The fixture of the metrics tests (metrics.test.ts, snapshot-metrics.test.ts):
// a Metrics on a fake clock that keeps the lines it writes, and the store it
// observes, serving one compiled policy.
import { compilePolicySet } from '../../../functions/core/policy-set';
import { Metrics, type MetricsOptions, type ObservedStore, type SnapshotObservation } from '../../../functions/aws/metrics';

export interface MetricsFixtureOptions {
  /** Changes to the Metrics options (the function's dimensions, the flush interval, the level). */
  readonly metrics?: Partial<MetricsOptions>;
  /** The clock's first reading, ms. Default 1,000,000. */
  readonly startMs?: number;
  /** The store's snapshot observation (snapshot mode); absent: direct mode. */
  readonly snapshot?: SnapshotObservation;
}

export function metricsFixture(options: MetricsFixtureOptions = {}) {
  let now = options.startMs ?? 1_000_000;
  const lines: Array<Record<string, unknown>> = [];
  const metrics = new Metrics({
    service: 'cors-preflight',
    functionName: 'shop-preflight',
    namespace: 'ApigwCors',
    flushSeconds: 60,
    level: 'INFO',
    infoEnabled: true,
    // One JSON document per line, as CloudWatch Logs reads EMF.
    write: (line) => {
      expect(line.endsWith('\n')).toBe(true);
      expect(line.slice(0, -1)).not.toContain('\n');
      lines.push(JSON.parse(line) as Record<string, unknown>);
    },
    now: () => now,
    ...options.metrics,
  });
  const stats = { refreshes: 0, failedRefreshes: 0 };
  let set = compilePolicySet([{ source: '/p/a', value: '{"route":"/a","allowOrigins":["https://a.example.com"],"allowMethods":["GET"]}' }]);
  const store: ObservedStore = { stats, peek: () => set, ...(options.snapshot ? { snapshot: options.snapshot } : {}) };
  return {
    metrics,
    lines,
    stats,
    store,
    now: () => now,
    advance: (ms: number) => (now += ms),
    setPolicies: (entries: Parameters<typeof compilePolicySet>[0]) => (set = compilePolicySet(entries)),
  };
}
