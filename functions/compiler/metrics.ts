/**
 * The compiler's metrics, in Embedded Metric Format: one JSON line per run,
 * written with the run's summary, dimension `service=cors-compiler`. The
 * template's alarms are built on these names; docs/fleet.md explains each.
 */
export const COMPILER_METRIC = {
  /** 1 per run that ended with the snapshot current (written, or unchanged and skipped). */
  compiles: 'SnapshotCompiles',
  /** 1 per run that failed (listing, S3, conflicts past the retries, configuration). */
  failures: 'SnapshotCompileFailures',
  /** Parameters whose current value does not validate, in the run's accepted listing. */
  invalidParameters: 'InvalidPolicyParameters',
  /** Bytes of the snapshot the run wrote or found current. */
  bytes: 'SnapshotBytes',
  /** Parameters whose served value, version or status changed (added and removed included). */
  changes: 'PolicyChanges',
} as const;

export const COMPILER_SERVICE = 'cors-compiler';

export interface CompilerRunMetrics {
  readonly ok: boolean;
  readonly invalidParameters?: number;
  readonly bytes?: number;
  readonly changes?: number;
}

/** The EMF fields of one run, to merge into its summary log line. */
export function compilerMetricFields(namespace: string, run: CompilerRunMetrics, now: number = Date.now()): Record<string, unknown> {
  const values: Record<string, number> = {
    [COMPILER_METRIC.compiles]: run.ok ? 1 : 0,
    [COMPILER_METRIC.failures]: run.ok ? 0 : 1,
  };
  const metrics: Array<{ Name: string; Unit: string }> = [
    { Name: COMPILER_METRIC.compiles, Unit: 'Count' },
    { Name: COMPILER_METRIC.failures, Unit: 'Count' },
  ];
  if (run.invalidParameters !== undefined) {
    values[COMPILER_METRIC.invalidParameters] = run.invalidParameters;
    metrics.push({ Name: COMPILER_METRIC.invalidParameters, Unit: 'Count' });
  }
  if (run.bytes !== undefined) {
    values[COMPILER_METRIC.bytes] = run.bytes;
    metrics.push({ Name: COMPILER_METRIC.bytes, Unit: 'Bytes' });
  }
  if (run.changes !== undefined) {
    values[COMPILER_METRIC.changes] = run.changes;
    metrics.push({ Name: COMPILER_METRIC.changes, Unit: 'Count' });
  }
  return {
    _aws: { Timestamp: now, CloudWatchMetrics: [{ Namespace: namespace, Dimensions: [['service']], Metrics: metrics }] },
    service: COMPILER_SERVICE,
    ...values,
  };
}
