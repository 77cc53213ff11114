/**
 * When a policy store refreshes, the one rule of both modes (direct mode's
 * SsmPolicyStore, snapshot mode's SnapshotPolicyStore): at most one refresh
 * at a time; after a success the next one between 90% and 100% of the TTL,
 * so that containers started together do not refresh together; after a
 * failure a retry after 1 s doubling, capped at the TTL, jittered over its
 * upper half. Lambda freezes after a response, so refreshes are inline: the
 * store asks {@link RefreshSchedule.due} on each request, no timer runs.
 */

/** Each refresh between 90% and 100% of the TTL. */
const TTL_JITTER = 0.1;
/** The first retry after a failure, ms; doubled on each further failure. */
const RETRY_BASE_MS = 1000;

export class RefreshSchedule {
  /** When the next refresh is due, on the store's clock (ms); 0: at once. */
  dueAt = 0;
  /** Failed refreshes since the last success. */
  failures = 0;
  /**
   * When {@link due} last read the clock. The preflight path reads the time
   * once per request and its metrics reuse it: on some hosts a clock read costs
   * a tenth of a warm preflight.
   */
  checkedAt: number | undefined;
  private inflight: Promise<void> | undefined;

  constructor(
    private readonly ttlSeconds: number,
    private readonly now: () => number,
    private readonly random: () => number,
  ) {}

  /** Whether a refresh is due; reads the clock once (see {@link checkedAt}). */
  due(): boolean {
    const now = this.now();
    this.checkedAt = now;
    return now >= this.dueAt;
  }

  /**
   * Runs `refresh` when one is due and reads the clock again once it is done;
   * undefined when none is due, so that the caller's common path awaits nothing.
   */
  refreshIfDue(refresh: () => Promise<void>): Promise<void> | undefined {
    if (!this.due()) return undefined;
    return this.run(refresh).then(() => {
      this.checkedAt = this.now();
    });
  }

  /** Runs `refresh`, or joins the one in flight: never more than one at a time. */
  run(refresh: () => Promise<void>): Promise<void> {
    this.inflight ??= refresh().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** After a success: the next refresh a jittered TTL away. */
  succeeded(): void {
    this.failures = 0;
    this.dueAt = this.now() + this.ttlSeconds * 1000 * (1 - TTL_JITTER * this.random());
  }

  /** After a failure: the next try after the backoff; returns that delay (ms), for the logs. */
  failed(): number {
    this.failures++;
    const backoff = Math.min(this.ttlSeconds * 1000, RETRY_BASE_MS * 2 ** (this.failures - 1));
    const delay = backoff / 2 + (backoff / 2) * this.random();
    this.dueAt = this.now() + delay;
    return delay;
  }
}
