// The snapshot metrics on the EMF line: names, units, the counts since the
// last flush, and SnapshotAgeSeconds only while a snapshot serves.
import type { ObservedStore } from '../../functions/aws/metrics';
import { metricsFixture } from './support/metrics-fixture';

function setup() {
  const snapStats = { notModified: 0, downloads: 0, fallbacks: 0, readFailures: 0 };
  let listedAt: number | undefined;
  let invalid: number | undefined = 2;
  const t = metricsFixture({
    startMs: 1_000_000_000,
    snapshot: { stats: snapStats, servedListedAt: () => listedAt, invalidParameters: () => invalid },
  });
  listedAt = t.now() - 42_000;
  return {
    ...t,
    snapStats,
    /** Every snapshot read or fallback listing is also a refresh of the store (as SnapshotPolicyStore counts them). */
    refreshed: (n = 1) => {
      t.stats.refreshes += n;
    },
    setListedAt: (v: number | undefined) => {
      listedAt = v;
    },
    setInvalid: (v: number | undefined) => {
      invalid = v;
    },
  };
}

const metricNames = (line: Record<string, unknown>) =>
  (
    (line._aws as { CloudWatchMetrics: Array<{ Metrics: Array<{ Name: string; Unit: string }>; Dimensions: string[][] }> }).CloudWatchMetrics.at(-1)!.Metrics ??
    []
  ).map((m) => `${m.Name}:${m.Unit}`);

test('a flush carries the four snapshot counters since the last flush and the age of the served snapshot, under service and function_name', () => {
  const t = setup();
  t.snapStats.downloads = 1;
  t.snapStats.notModified = 3;
  t.refreshed(4);
  t.metrics.count('PreflightsAllowed');
  t.advance(61_000);
  t.metrics.settle(t.store);
  const [line] = t.lines;
  expect(metricNames(line!)).toEqual(
    expect.arrayContaining([
      'SnapshotNotModified:Count',
      'SnapshotDownloads:Count',
      'SnapshotFallbacks:Count',
      'SnapshotReadFailures:Count',
      'SnapshotAgeSeconds:Seconds',
    ]),
  );
  expect(line).toMatchObject({
    service: 'cors-preflight',
    function_name: 'shop-preflight',
    SnapshotNotModified: 3,
    SnapshotDownloads: 1,
    SnapshotFallbacks: 0,
    SnapshotReadFailures: 0,
    SnapshotAgeSeconds: 103,
    InvalidPolicyParameters: 2,
  });
  // Counts restart after a flush.
  t.snapStats.notModified = 4;
  t.refreshed();
  t.advance(61_000);
  t.metrics.settle(t.store);
  expect(t.lines[1]).toMatchObject({ SnapshotNotModified: 1, SnapshotDownloads: 0, SnapshotAgeSeconds: 164 });
});

test('a read failure or a fallback is written at once, and no SnapshotAgeSeconds while no snapshot serves', () => {
  const t = setup();
  t.metrics.settle(t.store);
  expect(t.lines).toHaveLength(0);
  t.snapStats.fallbacks = 1;
  t.refreshed();
  t.setListedAt(undefined);
  t.setInvalid(undefined);
  t.advance(1000);
  t.metrics.settle(t.store);
  expect(t.lines).toHaveLength(1);
  expect(t.lines[0]).toMatchObject({ SnapshotFallbacks: 1, InvalidPolicyParameters: 0 });
  expect(t.lines[0]).not.toHaveProperty('SnapshotAgeSeconds');
  t.snapStats.readFailures = 1;
  t.refreshed();
  t.advance(1000);
  t.metrics.settle(t.store);
  expect(t.lines[1]).toMatchObject({ SnapshotReadFailures: 1, SnapshotFallbacks: 0 });
});

test('a store in direct mode writes no snapshot metric', () => {
  const t = setup();
  const direct: ObservedStore = { stats: { refreshes: 1, failedRefreshes: 0 }, peek: t.store.peek };
  t.advance(61_000);
  t.metrics.settle(direct);
  expect(metricNames(t.lines[0]!).filter((n) => n.startsWith('Snapshot'))).toEqual([]);
});
