import type { PolicySet } from '../core/policy-set';
import { levelFrom, type LogLevel, type Logger } from './logger';

/**
 * CloudWatch metrics in Embedded Metric Format (EMF): JSON log lines that
 * carry an `_aws` block naming the metrics, which CloudWatch Logs turns into
 * metrics of a Lambda function's log group. No API call, no extra latency:
 * the metrics ride on the lines the functions write anyway.
 *
 * - A denied preflight's log line carries its own `PreflightsDenied` (with
 *   the deny reason as a dimension), so there is still one line per denial.
 *   With LOG_LEVEL WARN or ERROR (no denial lines) denials are counted by
 *   reason and flushed with the rest, one line per reason.
 * - Everything else is counted in memory and written at most once per flush
 *   interval (`CORS_METRICS_FLUSH_SECONDS`, default 60), at the end of an
 *   invocation, synchronously: Lambda freezes the container after the
 *   response, so nothing is left pending in a timer. A denial line flushes the
 *   pending counts too. A failed refresh flushes at once. An allowed preflight
 *   therefore usually writes nothing.
 * - Metrics-only lines carry the configured log level, so that Lambda's
 *   log-level filter (which reads the same setting) never drops them.
 * - Dimensions are `service` (cors-preflight or cors-layer), `function_name`
 *   and, for denials, `reason`: bounded sets. Origins, paths and header values
 *   stay in the log line, never in a dimension.
 *
 * Format: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */

export const DEFAULT_METRICS_NAMESPACE = 'ApigwCors';
export const DEFAULT_FLUSH_SECONDS = 60;

/** Metric names; docs/operate.md explains each one. */
export const METRIC = {
  preflightsAllowed: 'PreflightsAllowed',
  preflightsDenied: 'PreflightsDenied',
  actualAllowed: 'ActualAllowed',
  actualDenied: 'ActualDenied',
  refreshes: 'PolicyRefreshes',
  refreshFailures: 'PolicyRefreshFailures',
  invalidParameters: 'InvalidPolicyParameters',
  policyAge: 'PolicyAgeSeconds',
  snapshotAge: 'SnapshotAgeSeconds',
  snapshotNotModified: 'SnapshotNotModified',
  snapshotDownloads: 'SnapshotDownloads',
  snapshotFallbacks: 'SnapshotFallbacks',
  snapshotReadFailures: 'SnapshotReadFailures',
} as const;

export type Counter = 'PreflightsAllowed' | 'ActualAllowed' | 'ActualDenied';

/** Settings of the metrics, read from the environment once per container. */
export interface MetricsConfig {
  /** `CORS_METRICS`: `false` writes no metrics. Default true. */
  readonly enabled: boolean;
  /** `CORS_METRICS_NAMESPACE`: the CloudWatch namespace. Default `ApigwCors`. */
  readonly namespace: string;
  /** `CORS_METRICS_FLUSH_SECONDS`: how often pending counts are written, 0 = at the end of every invocation. Default 60, 0-3600. */
  readonly flushSeconds: number;
  /** Every setting that was refused, with its value and why; metrics are then off. */
  readonly problems: readonly string[];
}

// CloudWatch's namespace rules: printable ASCII of these classes, at most 255, not AWS/.
const NAMESPACE = /^[0-9A-Za-z.\-_/#: ]{1,255}$/;

export function readMetricsConfig(env: NodeJS.ProcessEnv = process.env): MetricsConfig {
  const problems: string[] = [];
  const rawEnabled = (env.CORS_METRICS ?? '').trim().toLowerCase();
  if (rawEnabled !== '' && rawEnabled !== 'true' && rawEnabled !== 'false') problems.push(`CORS_METRICS="${env.CORS_METRICS}" must be true or false`);
  const rawNamespace = env.CORS_METRICS_NAMESPACE;
  const namespace = rawNamespace === undefined || rawNamespace.trim() === '' ? DEFAULT_METRICS_NAMESPACE : rawNamespace;
  if (!NAMESPACE.test(namespace) || namespace.trim() === '' || namespace.startsWith('AWS/')) {
    problems.push(`CORS_METRICS_NAMESPACE="${rawNamespace}" must be 1-255 of A-Z a-z 0-9 . - _ / # : and space, not starting with AWS/`);
  }
  const rawFlush = env.CORS_METRICS_FLUSH_SECONDS;
  let flushSeconds = DEFAULT_FLUSH_SECONDS;
  if (rawFlush !== undefined && rawFlush.trim() !== '') {
    const n = Number(rawFlush);
    if (Number.isInteger(n) && n >= 0 && n <= 3600) flushSeconds = n;
    else problems.push(`CORS_METRICS_FLUSH_SECONDS="${rawFlush}" must be a whole number from 0 to 3600`);
  }
  return { enabled: rawEnabled !== 'false' && problems.length === 0, namespace, flushSeconds, problems };
}

/** What the metrics read from a store in snapshot mode (functions/aws/snapshot-policy-store.ts). */
export interface SnapshotObservation {
  /** Running totals: 304 answers, 200 answers, listings of the path made because no snapshot could serve, failed reads. */
  readonly stats: { readonly notModified: number; readonly downloads: number; readonly fallbacks: number; readonly readFailures: number };
  /** When the listing of the snapshot being served started (ms); undefined while none is served. */
  servedListedAt(): number | undefined;
  /** Parameters of the served snapshot that do not serve their current version; undefined while none is served. */
  invalidParameters(): number | undefined;
}

/** What the metrics read from a policy store: its refresh counters and the set it serves. */
export interface ObservedStore {
  readonly stats: { readonly refreshes: number; readonly failedRefreshes: number };
  peek(): PolicySet | undefined;
  /** Present in snapshot mode. */
  readonly snapshot?: SnapshotObservation | undefined;
}

type SnapshotCounter = keyof SnapshotObservation['stats'];
const SNAPSHOT_COUNTERS: ReadonlyArray<[SnapshotCounter, string]> = [
  ['notModified', METRIC.snapshotNotModified],
  ['downloads', METRIC.snapshotDownloads],
  ['fallbacks', METRIC.snapshotFallbacks],
  ['readFailures', METRIC.snapshotReadFailures],
];

export interface MetricsOptions {
  /** The `service` dimension: `cors-preflight` or `cors-layer`. */
  readonly service: string;
  /** The `function_name` dimension. */
  readonly functionName: string;
  readonly namespace: string;
  /** 0 = flush at the end of every invocation. */
  readonly flushSeconds: number;
  /** The configured log level: metrics-only lines carry it so that Lambda's level filter never drops them. */
  readonly level: LogLevel;
  /** Whether INFO lines (the denial line) are written. */
  readonly infoEnabled: boolean;
  /** Default: process.stdout. */
  readonly write?: (line: string) => void;
  /** Clock in ms. Default `Date.now`. */
  readonly now?: () => number;
}

type Doc = Record<string, unknown>;
const BASE_DIMENSIONS: readonly string[] = ['service', 'function_name'];

/**
 * The metrics of one container. Methods never throw and never wait; the only
 * output is a synchronous write of one JSON line.
 */
export class Metrics {
  private readonly counters: Record<Counter, number> = { PreflightsAllowed: 0, ActualAllowed: 0, ActualDenied: 0 };
  private readonly counterNames: readonly Counter[];
  /** Denials by reason, when the denial lines themselves are not written. */
  private readonly deniedByReason = new Map<string, number>();
  private refreshes = 0;
  private failures = 0;
  private failedSinceFlush = false;
  private pending = false;
  private lastFlush: number;
  private readonly startedAt: number;
  private loadedAt: number | undefined;
  private observed: ObservedStore['stats'] | undefined;
  private seenRefreshes = 0;
  private seenFailures = 0;
  private observedSnapshot: SnapshotObservation['stats'] | undefined;
  private readonly seenSnapshot: Record<SnapshotCounter, number> = { notModified: 0, downloads: 0, fallbacks: 0, readFailures: 0 };
  private readonly snapshotCounts: Record<SnapshotCounter, number> = { notModified: 0, downloads: 0, fallbacks: 0, readFailures: 0 };
  private snapshotSource: SnapshotObservation | undefined;
  private invalidFor: PolicySet | undefined;
  private invalidCount = 0;
  private readonly flushMs: number;
  private readonly write: (line: string) => void;
  private readonly now: () => number;

  constructor(private readonly options: MetricsOptions) {
    this.now = options.now ?? Date.now;
    this.write = options.write ?? ((line) => process.stdout.write(line));
    this.startedAt = this.lastFlush = this.now();
    this.flushMs = options.flushSeconds * 1000;
    // The layer also answers the preflights a more specific route sends to the API's own function.
    this.counterNames = options.service === 'cors-layer' ? ['PreflightsAllowed', 'ActualAllowed', 'ActualDenied'] : ['PreflightsAllowed'];
  }

  /** One more of `name` (aggregated until the next flush). */
  count(name: Counter): void {
    this.counters[name]++;
    this.pending = true;
  }

  /**
   * Records a denied preflight. Returns the fields to add to the denial's log
   * line (the EMF block, this denial and any pending counts). When INFO lines
   * are not written (LOG_LEVEL WARN or ERROR), denials are counted by reason
   * and flushed with the rest instead, and this returns undefined.
   */
  denied(reason: string, store: ObservedStore | undefined): Doc | undefined {
    const now = this.now();
    this.observe(store, now);
    if (!this.options.infoEnabled) {
      this.deniedByReason.set(reason, (this.deniedByReason.get(reason) ?? 0) + 1);
      this.flushIfDue(now, store);
      return undefined;
    }
    const doc = this.denialDocument(now, reason, 1);
    if (this.pending || this.due(now)) this.addAggregate(doc, now, store);
    return doc;
  }

  /**
   * At the end of an invocation: writes the pending counts when the interval
   * has passed or a refresh failed. `now`: a clock reading the caller took
   * moments ago in this invocation, to save another (default: read the clock).
   */
  settle(store: ObservedStore | undefined, now: number = this.now()): void {
    this.observe(store, now);
    this.flushIfDue(now, store);
  }

  private flushIfDue(now: number, store: ObservedStore | undefined): void {
    if (!this.due(now)) return;
    const { service, functionName } = this.options;
    this.writeLine(this.addAggregate({ service, function_name: functionName }, now, store), now);
    // One value per dimension per document: one line per deny reason seen.
    for (const [reason, n] of this.deniedByReason) this.writeLine(this.denialDocument(now, reason, n), now);
    this.deniedByReason.clear();
  }

  private due(now: number): boolean {
    return this.failedSinceFlush || now - this.lastFlush >= this.flushMs;
  }

  /** Notices refreshes since the last look from the store's counters: nothing in the store changes for metrics. */
  private observe(store: ObservedStore | undefined, now: number): void {
    if (!store) return;
    const stats = store.stats;
    if (stats !== this.observed) {
      // A new store (tests reset it): its counters start from here.
      this.observed = stats;
      this.seenRefreshes = 0;
      this.seenFailures = 0;
    }
    if (stats.refreshes === this.seenRefreshes && stats.failedRefreshes === this.seenFailures) return;
    // Every snapshot read and fallback listing is also a refresh: the hot path skips this until one happened.
    if (store.snapshot) this.observeSnapshot(store.snapshot);
    const refreshes = stats.refreshes - this.seenRefreshes;
    const failures = stats.failedRefreshes - this.seenFailures;
    this.seenRefreshes = stats.refreshes;
    this.seenFailures = stats.failedRefreshes;
    this.refreshes += refreshes;
    this.failures += failures;
    if (refreshes > failures) this.loadedAt = now;
    if (failures > 0) this.failedSinceFlush = true;
    this.pending = true;
  }

  /** The snapshot store's read counters since the last look, as {@link observe} does for refreshes. */
  private observeSnapshot(snapshot: SnapshotObservation): void {
    this.snapshotSource = snapshot;
    const stats = snapshot.stats;
    if (stats !== this.observedSnapshot) {
      this.observedSnapshot = stats;
      for (const [name] of SNAPSHOT_COUNTERS) this.seenSnapshot[name] = 0;
    }
    for (const [name] of SNAPSHOT_COUNTERS) {
      const delta = stats[name] - this.seenSnapshot[name];
      if (delta === 0) continue;
      this.seenSnapshot[name] = stats[name];
      this.snapshotCounts[name] += delta;
      this.pending = true;
      // A fallback or a failed read is written at once, as a failed refresh is.
      if (name === 'fallbacks' || name === 'readFailures') this.failedSinceFlush = true;
    }
  }

  private invalidParameters(set: PolicySet | undefined): number {
    if (set !== this.invalidFor) {
      this.invalidFor = set;
      this.invalidCount = set ? new Set(set.problems.map((p) => p.source)).size : 0;
    }
    return this.invalidCount;
  }

  /** A document with `n` denials of one reason, counted with and without the reason dimension. */
  private denialDocument(now: number, reason: string, n: number): Doc {
    const { namespace, service, functionName } = this.options;
    return {
      service,
      function_name: functionName,
      reason,
      [METRIC.preflightsDenied]: n,
      _aws: {
        Timestamp: now,
        CloudWatchMetrics: [
          { Namespace: namespace, Dimensions: [[...BASE_DIMENSIONS, 'reason'], BASE_DIMENSIONS], Metrics: [{ Name: METRIC.preflightsDenied, Unit: 'Count' }] },
        ],
      },
    };
  }

  /** Adds the pending counts and the gauges to `doc` and starts counting again. */
  private addAggregate(doc: Doc, now: number, store: ObservedStore | undefined): Doc {
    const metrics: Doc[] = [];
    for (const name of this.counterNames) {
      metrics.push({ Name: name, Unit: 'Count' });
      doc[name] = this.counters[name];
      this.counters[name] = 0;
    }
    if (store || this.observed) {
      metrics.push(
        { Name: METRIC.refreshes, Unit: 'Count' },
        { Name: METRIC.refreshFailures, Unit: 'Count' },
        { Name: METRIC.invalidParameters, Unit: 'Count' },
        { Name: METRIC.policyAge, Unit: 'Seconds' },
      );
      doc[METRIC.refreshes] = this.refreshes;
      doc[METRIC.refreshFailures] = this.failures;
      doc[METRIC.invalidParameters] = this.snapshotSource?.invalidParameters() ?? this.invalidParameters(store?.peek());
      // Never loaded: the policies served (none) are as old as the container.
      doc[METRIC.policyAge] = Math.floor((now - (this.loadedAt ?? this.startedAt)) / 1000);
    }
    if (this.snapshotSource) {
      for (const [name, metric] of SNAPSHOT_COUNTERS) {
        metrics.push({ Name: metric, Unit: 'Count' });
        doc[metric] = this.snapshotCounts[name];
        this.snapshotCounts[name] = 0;
      }
      // Only while a snapshot serves: a container listing the path directly has no snapshot to age (SnapshotFallbacks says so).
      const listedAt = this.snapshotSource.servedListedAt();
      if (listedAt !== undefined) {
        metrics.push({ Name: METRIC.snapshotAge, Unit: 'Seconds' });
        doc[METRIC.snapshotAge] = Math.max(0, Math.floor((now - listedAt) / 1000));
      }
    }
    const directive = { Namespace: this.options.namespace, Dimensions: [BASE_DIMENSIONS], Metrics: metrics };
    const aws = doc._aws as { CloudWatchMetrics: Doc[] } | undefined;
    if (aws) aws.CloudWatchMetrics.push(directive);
    else doc._aws = { Timestamp: now, CloudWatchMetrics: [directive] };
    this.refreshes = 0;
    this.failures = 0;
    this.failedSinceFlush = false;
    this.pending = false;
    this.lastFlush = now;
    return doc;
  }

  private writeLine(doc: Doc, now: number): void {
    const line = { timestamp: new Date(now).toISOString(), level: this.options.level, message: 'metrics', ...doc };
    this.write(`${JSON.stringify(line)}\n`);
  }
}

/** Turns metrics off without touching the call sites. */
const OFF: Pick<Metrics, 'count' | 'denied' | 'settle'> = { count: () => undefined, denied: () => undefined, settle: () => undefined };
export type ContainerMetrics = Pick<Metrics, 'count' | 'denied' | 'settle'>;

let instance: ContainerMetrics | undefined;
let instanceLogger: Logger | undefined;

/**
 * The metrics of this container, configured from the environment on first
 * use; a refused setting turns them off and is logged once. They live as long
 * as the store's logger: a new store (tests) gets new metrics.
 */
export function defaultMetrics(service: string, logger: Logger): ContainerMetrics {
  if (instance && instanceLogger === logger) return instance;
  instanceLogger = logger;
  const config = readMetricsConfig(process.env);
  if (config.problems.length > 0) logger.error('invalid metrics configuration; no metrics are written', { problems: config.problems });
  instance = config.enabled
    ? new Metrics({
        service,
        functionName: process.env.AWS_LAMBDA_FUNCTION_NAME || service,
        namespace: config.namespace,
        flushSeconds: config.flushSeconds,
        level: levelFrom(process.env),
        infoEnabled: logger.enabled('INFO'),
      })
    : OFF;
  return instance;
}

/** Forgets the container's metrics so the next use reads the environment again (tests). */
export function resetDefaultMetrics(): void {
  instance = undefined;
  instanceLogger = undefined;
}
