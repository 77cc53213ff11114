import { compilePolicySet, type PolicySet } from '../core/policy-set';
import { formatProblem } from '../core/problems';
import { MAX_SNAPSHOT_BYTES, SnapshotFormatError, parseSnapshot, snapshotEntries, type PolicySnapshot } from '../core/snapshot';
import { clientTimeouts, type SnapshotConfig, type StoreConfig } from './config';
import type { Logger } from './logger';
import type { SnapshotObservation } from './metrics';
import type { PolicyStore } from './policy-store';
import { RefreshSchedule } from './refresh-schedule';
import { createS3ObjectReader, objectUrl, s3ClientSettings, type ObjectRead, type ObjectReader } from './s3-light-client';
import { SsmPolicyStore } from './ssm-policy-store';

/** Options of {@link SnapshotPolicyStore}; every field but the config and logger has a production default. */
export interface SnapshotStoreOptions {
  readonly config: StoreConfig & { readonly snapshot: SnapshotConfig };
  readonly logger: Logger;
  /** Reads the snapshot object. Default: the light signed S3 client (functions/aws/s3-light-client.ts) from the environment. */
  readonly readObject?: ObjectReader;
  /** The direct-mode store used when no snapshot can serve. Default: an {@link SsmPolicyStore} of the same config, created on first need. */
  readonly direct?: () => PolicyStore;
  /** Clock in ms. Default: `Date.now`. */
  readonly now?: () => number;
  /** Uniform [0, 1). Default: `Math.random`. */
  readonly random?: () => number;
}

/** The store's counters. `refreshes`/`failedRefreshes` feed `PolicyRefreshes`/`PolicyRefreshFailures`; the rest the Snapshot* metrics. */
export interface SnapshotStoreStats {
  /** Snapshot reads plus listings of the path made while falling back. */
  refreshes: number;
  /** Failed snapshot reads while a snapshot served, plus failed fallback listings. */
  failedRefreshes: number;
  /** Conditional GETs sent (retries inside one read not counted). */
  reads: number;
  /** 304: the snapshot did not change. */
  notModified: number;
  /** 200: a snapshot body was downloaded. */
  downloads: number;
  /** Listings of the path made because no snapshot could serve (404, unknown format, a cold instance that cannot read S3). */
  fallbacks: number;
  /** Reads that failed (errors, throttling, timeouts, a body that is not a snapshot of this path). */
  readFailures: number;
  /** Downloads ignored because their sequence was below the one already served. */
  olderIgnored: number;
}

/** Why the store lists the path directly instead of serving a snapshot. */
type FallbackReason = 'missing' | 'unknown-format' | 'unreadable';

interface Served {
  readonly sequence: number;
  readonly listedAt: number;
  readonly etag: string | undefined;
  /** Parameters not serving their current version (earlier version, previous snapshot, rejected). */
  readonly notCurrent: number;
}

/**
 * The policies of a fleet in snapshot mode: one object in S3, written by the
 * compiler (functions/compiler), read here on init and then with one
 * conditional GET (`If-None-Match`) per TTL. Refreshes are inline, at most one
 * at a time, within the load budget, as in direct mode.
 *
 * - 304 keeps serving. A 200 is parsed and compiled whole, then swapped in;
 *   a snapshot whose `sequence` is below the one served is ignored.
 * - Errors, throttling, timeouts, and a body that is not a snapshot of this
 *   path keep the last good snapshot, retried with direct mode's backoff.
 * - A snapshot older than `maxAgeSeconds` keeps serving; it is logged (once,
 *   when it becomes stale) and measured (`SnapshotAgeSeconds`). Age alone
 *   never sends an instance to Parameter Store: that would send the whole
 *   fleet there at once.
 * - Only a missing object (404), a format this build does not read, or a cold
 *   instance that cannot read S3 lists the path directly (an {@link SsmPolicyStore},
 *   with its own TTL and backoff); the object is still read once per TTL and
 *   the first usable snapshot takes over again.
 */
export class SnapshotPolicyStore implements PolicyStore {
  readonly stats: SnapshotStoreStats = {
    refreshes: 0,
    failedRefreshes: 0,
    reads: 0,
    notModified: 0,
    downloads: 0,
    fallbacks: 0,
    readFailures: 0,
    olderIgnored: 0,
  };
  readonly snapshot: SnapshotObservation;
  private set: PolicySet | undefined;
  private served: Served | undefined;
  /** The highest sequence taken since the object last went missing: a smaller one is never taken. */
  private highestSequence = 0;
  /** ETag of an object known to be unusable (unknown format): sent with If-None-Match so it is not downloaded again. */
  private unusableEtag: string | undefined;
  private fallback: FallbackReason | undefined;
  /** The smaller sequence last ignored (and logged). */
  private ignoredSequence: number | undefined;
  private directStore: PolicyStore | undefined;
  private directSeen = { refreshes: 0, failedRefreshes: 0 };
  /** When the next read is due, with direct mode's jitter and backoff (functions/aws/refresh-schedule.ts). */
  private readonly schedule: RefreshSchedule;
  /** One refresh, as the schedule runs it (created once: the common path allocates nothing). */
  private readonly refreshNow = (): Promise<void> => this.refresh();
  private stale = false;
  /** The failure last logged, so a failing read is logged when it starts and when it changes, not on every retry. */
  private failingWith: string | undefined;
  private reader: ObjectReader | undefined;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly where: string;

  constructor(private readonly options: SnapshotStoreOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.schedule = new RefreshSchedule(options.config.ttlSeconds, this.now, this.random);
    this.reader = options.readObject;
    this.where = objectUrl(options.config.snapshot.bucket, options.config.snapshot.key);
    this.snapshot = {
      stats: this.stats,
      servedListedAt: () => (this.fallback ? undefined : this.served?.listedAt),
      invalidParameters: () => (this.fallback || !this.served ? undefined : this.served.notCurrent + this.problemSources()),
    };
  }

  /** When {@link fresh} or {@link current} last read the clock (the preflight's metrics reuse that reading). */
  get checkedAt(): number | undefined {
    return this.schedule.checkedAt;
  }

  get clientKind(): string | undefined {
    return this.directStore?.clientKind;
  }

  async current(): Promise<PolicySet | undefined> {
    const refreshing = this.schedule.refreshIfDue(this.refreshNow);
    if (refreshing) await refreshing;
    if (!this.fallback) return this.set;
    const set = await this.direct().current();
    this.syncDirect();
    return set;
  }

  fresh(): PolicySet | undefined {
    if (this.schedule.due()) return undefined;
    return this.fallback ? this.direct().fresh() : this.set;
  }

  async warmUp(): Promise<void> {
    try {
      await this.schedule.refreshIfDue(this.refreshNow);
      if (this.fallback) {
        await this.direct().warmUp();
        this.syncDirect();
      }
    } catch (error) {
      this.options.logger.error('policy preload failed unexpectedly', { error });
    }
    // Nothing served yet: the first request tries again at once rather than waiting out a backoff.
    if (!this.peek()) this.schedule.dueAt = 0;
  }

  peek(): PolicySet | undefined {
    return this.fallback ? this.directStore?.peek() : this.set;
  }

  /** The sequence of the snapshot being served, if one is (tests, logs). */
  get servedSequence(): number | undefined {
    return this.fallback ? undefined : this.served?.sequence;
  }

  /** Why the store lists the path directly, or undefined while a snapshot serves (tests, logs). */
  get fallbackReason(): FallbackReason | undefined {
    return this.fallback;
  }

  private direct(): PolicyStore {
    this.directStore ??=
      this.options.direct?.() ?? new SsmPolicyStore({ config: this.options.config, logger: this.options.logger, now: this.now, random: this.random });
    return this.directStore;
  }

  /** Adds the fallback store's listings to this store's counters. */
  private syncDirect(): void {
    const stats = this.directStore?.stats;
    if (!stats) return;
    const refreshes = stats.refreshes - this.directSeen.refreshes;
    const failed = stats.failedRefreshes - this.directSeen.failedRefreshes;
    this.directSeen = { refreshes: stats.refreshes, failedRefreshes: stats.failedRefreshes };
    this.stats.refreshes += refreshes;
    this.stats.fallbacks += refreshes;
    this.stats.failedRefreshes += failed;
  }

  private problemSources(): number {
    return this.set ? new Set(this.set.problems.map((p) => p.source)).size : 0;
  }

  private async refresh(): Promise<void> {
    this.stats.refreshes++;
    this.stats.reads++;
    const started = this.now();
    let read: ObjectRead;
    try {
      read = await this.readWithinBudget();
    } catch (err) {
      this.readFailed(err, started);
      return;
    }
    if (read.kind === 'not-modified') {
      this.stats.notModified++;
      // In fallback, a 304 answers the If-None-Match of an unusable object: it is still unusable.
      this.succeeded();
      return;
    }
    if (read.kind === 'missing') {
      // The object's history starts over: whatever is written next is taken, as a fresh instance would take it.
      this.highestSequence = 0;
      this.unusableEtag = undefined;
      this.fallBack('missing', `${this.where} does not exist (404 NoSuchKey)`);
      this.succeeded();
      return;
    }
    this.stats.downloads++;
    let snapshot: PolicySnapshot;
    try {
      snapshot = parseSnapshot(read.body);
      if (snapshot.policyPath !== this.options.config.policyPath) {
        throw new SnapshotFormatError(`the snapshot is of the policy path ${snapshot.policyPath}, not ${this.options.config.policyPath} (CORS_POLICY_PATH)`);
      }
    } catch (err) {
      if (err instanceof SnapshotFormatError && err.unknownFormat) {
        this.unusableEtag = read.etag;
        this.fallBack('unknown-format', `${this.where}: ${err.message}`);
        this.succeeded();
        return;
      }
      this.readFailed(err, started);
      return;
    }
    if (snapshot.sequence < this.highestSequence) {
      this.stats.olderIgnored++;
      // Logged once per object seen, not on every read while it stays.
      if (this.ignoredSequence === snapshot.sequence) {
        this.succeeded();
        return;
      }
      this.ignoredSequence = snapshot.sequence;
      this.options.logger.warn('policy snapshot ignored: its sequence is below the one already taken', {
        snapshot: this.where,
        sequence: snapshot.sequence,
        servedSequence: this.highestSequence,
      });
      this.succeeded();
      return;
    }
    try {
      this.take(snapshot, read.etag, started);
    } catch (err) {
      // Compiling never throws by design; if it ever does, the snapshot is not taken and the last good one serves.
      this.readFailed(err, started);
      return;
    }
    this.succeeded();
  }

  /** Compiles and swaps in a snapshot. */
  private take(snapshot: PolicySnapshot, etag: string | undefined, started: number): void {
    const { logger } = this.options;
    const set = compilePolicySet(snapshotEntries(snapshot));
    const changed = snapshot.sequence !== this.served?.sequence;
    const wasFallback = this.fallback;
    this.set = set;
    this.served = {
      sequence: snapshot.sequence,
      listedAt: Date.parse(snapshot.listedAt),
      etag,
      notCurrent: snapshot.parameters.filter((p) => p.status !== 'current').length,
    };
    this.highestSequence = snapshot.sequence;
    this.unusableEtag = undefined;
    this.fallback = undefined;
    if (wasFallback) logger.warn('policy snapshot serving again; no longer listing the policy path', { snapshot: this.where, sequence: snapshot.sequence });
    if (!changed) return;
    logger.debug('policy snapshot loaded', {
      snapshot: this.where,
      sequence: snapshot.sequence,
      listedAt: snapshot.listedAt,
      parameters: snapshot.parameters.length,
      policies: set.policies.size,
      routes: set.table.size,
      conflicts: set.conflicts.length,
      ms: this.now() - started,
    });
    // The compiler already validated every value; a problem here means this build's engine disagrees with it.
    for (const problem of set.problems) logger.warn('policy rejected', { snapshot: this.where, parameter: problem.source, problem: formatProblem(problem) });
  }

  /** Schedules the next read a TTL away and logs the way back from a failure or from staleness. */
  private succeeded(): void {
    if (this.failingWith !== undefined) {
      this.failingWith = undefined;
      if (!this.fallback) this.options.logger.warn('policy snapshot read again', { snapshot: this.where, sequence: this.served?.sequence });
    }
    this.schedule.succeeded();
    this.checkStale();
  }

  private readFailed(err: unknown, started: number): void {
    const { logger } = this.options;
    this.stats.readFailures++;
    const delay = this.schedule.failed();
    const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    if (this.set && !this.fallback) {
      this.stats.failedRefreshes++;
      if (this.failingWith !== what) {
        this.failingWith = what;
        logger.error('policy snapshot read failed; serving the last good snapshot', {
          snapshot: this.where,
          error: err,
          sequence: this.served?.sequence,
          consecutiveFailures: this.schedule.failures,
          retryInMs: Math.round(delay),
          ms: this.now() - started,
        });
      }
      this.checkStale();
      return;
    }
    if (this.fallback) {
      // Already listing the path (404, unknown format or cold): keep doing so; the object is tried again later.
      if (this.failingWith !== what) {
        this.failingWith = what;
        logger.warn('policy snapshot read failed; still listing the policy path', { snapshot: this.where, error: err, fallback: this.fallback });
      }
      return;
    }
    // A cold instance that cannot read S3: nothing to serve but what the path holds.
    this.failingWith = what;
    this.fallBack('unreadable', `${this.where} cannot be read`, err);
  }

  private fallBack(reason: FallbackReason, detail: string, error?: unknown): void {
    if (this.fallback !== reason) {
      this.options.logger.error('policy snapshot unusable; listing the policy path directly', {
        snapshot: this.where,
        reason,
        detail,
        ...(error !== undefined ? { error } : {}),
        policyPath: this.options.config.policyPath,
      });
    }
    this.fallback = reason;
    this.served = undefined;
    this.set = undefined;
    if (this.stale) this.stale = false;
  }

  /** Logs once when the served snapshot becomes older than the bound, and once when it is young again. */
  private checkStale(): void {
    if (this.fallback || !this.served) return;
    const { maxAgeSeconds } = this.options.config.snapshot;
    const ageSeconds = Math.floor((this.now() - this.served.listedAt) / 1000);
    const stale = ageSeconds > maxAgeSeconds;
    if (stale === this.stale) return;
    this.stale = stale;
    if (stale)
      this.options.logger.warn('policy snapshot is stale; still serving it', {
        snapshot: this.where,
        sequence: this.served.sequence,
        listedAt: new Date(this.served.listedAt).toISOString(),
        ageSeconds,
        maxAgeSeconds,
        reason: 'the compiler has not written a newer snapshot (see its logs and metrics); instances never fall back to Parameter Store for age alone',
      });
    else this.options.logger.warn('policy snapshot is fresh again', { snapshot: this.where, sequence: this.served.sequence, ageSeconds });
  }

  /** One conditional GET, aborted when the load budget runs out. */
  private async readWithinBudget(): Promise<ObjectRead> {
    const { loadBudgetMs } = this.options.config;
    const read = (this.reader ??= this.createReader());
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new SnapshotReadTimeoutError(`reading ${this.where} took longer than the ${loadBudgetMs} ms budget`));
      }, loadBudgetMs);
    });
    try {
      const etag = this.fallback ? this.unusableEtag : this.served?.etag;
      return await Promise.race([read(etag, controller.signal), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  private createReader(): ObjectReader {
    const { snapshot, loadBudgetMs } = this.options.config;
    const settings = s3ClientSettings();
    if (typeof settings === 'string') {
      const problem = settings;
      return () => Promise.reject(new SnapshotReadError(`cannot sign S3 requests: ${problem}`));
    }
    return createS3ObjectReader(settings, snapshot.bucket, snapshot.key, {
      ...clientTimeouts(loadBudgetMs),
      maxAttempts: 3,
      maxBytes: MAX_SNAPSHOT_BYTES,
    });
  }
}

export class SnapshotReadError extends Error {
  override readonly name = 'SnapshotReadError';
}

export class SnapshotReadTimeoutError extends Error {
  override readonly name = 'SnapshotReadTimeoutError';
}
