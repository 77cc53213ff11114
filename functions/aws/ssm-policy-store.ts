import type { SSMClient } from '@aws-sdk/client-ssm';
import { formatProblem } from '../core/problems';
import { assemblePolicySet, checkEntry, describeClaims, type PolicySet } from '../core/policy-set';
import type { StoreConfig } from './config';
import type { Logger } from './logger';
import { readParameterHistory, type HistorySender } from './parameter-history';
import { listParametersByPath, type ListedParameter, type PageSender } from './parameters-by-path';
import { HistoryCache, resolveInvalidParameters } from './policy-compile';
import { RefreshSchedule } from './refresh-schedule';
import { listStable } from './stable-listing';
import { defaultPageSender, loadSdkModule, type SsmClientKind } from './ssm-page-sender';

/** Options of {@link SsmPolicyStore}; every field but the config has a production default. */
export interface PolicyStoreOptions {
  readonly config: StoreConfig;
  readonly logger: Logger;
  /** An SDK client to send GetParametersByPath with (tests, the CLI). Default: see `sendPage`. */
  readonly client?: Pick<SSMClient, 'send'>;
  /**
   * Sends one GetParametersByPath page. Default: when no `client` is given, the
   * light signed client on the plain Lambda path, else the full SDK client
   * (functions/aws/ssm-page-sender.ts), created on the first load.
   */
  readonly sendPage?: PageSender;
  /**
   * Sends one GetParameterHistory page, for parameters whose current value does
   * not validate. Default: the full SDK client (`client` when given).
   */
  readonly sendHistory?: HistorySender;
  /** Clock in ms. Default: `Date.now`. */
  readonly now?: () => number;
  /** Uniform [0, 1). Default: `Math.random`. Spreads refreshes of a fleet apart. */
  readonly random?: () => number;
}

/** History reads in flight at once during a refresh: a few invalid parameters load in one round trip, many do not flood the account's quota. */
const HISTORY_CONCURRENCY = 4;
/** Listings per refresh at most when one must be confirmed (functions/aws/stable-listing.ts). */
const MAX_LISTINGS = 3;

export class PolicyLoadError extends Error {
  override readonly name = 'PolicyLoadError';
}

export interface PolicyStoreStats {
  /** GetParametersByPath calls made (pages). */
  ssmCalls: number;
  /** GetParameterHistory calls made (pages), only ever for parameters whose current value does not validate. */
  historyCalls: number;
  refreshes: number;
  failedRefreshes: number;
  /** Refreshes that listed the path again because the first listing lost a name or listed one twice. */
  confirmingListings: number;
}

/**
 * The policies under one Parameter Store path, loaded with GetParametersByPath,
 * compiled, and cached for the TTL. Refreshes happen inline when the cache is
 * stale (Lambda freezes after a response, so no background timers), never more
 * than one at a time, and always within the load budget. A failed refresh keeps
 * the last good set and retries with backoff; with nothing ever loaded the
 * store has no set and callers deny (fail closed).
 */
export class SsmPolicyStore {
  readonly stats: PolicyStoreStats = { ssmCalls: 0, historyCalls: 0, refreshes: 0, failedRefreshes: 0, confirmingListings: 0 };
  private set: PolicySet | undefined;
  /** When the next refresh is due, and the backoff after failures (functions/aws/refresh-schedule.ts). */
  private readonly schedule: RefreshSchedule;
  /** One refresh, as the schedule runs it (created once: the common path allocates nothing). */
  private readonly refreshNow = (): Promise<void> => this.refresh();
  private sendPage: PageSender | undefined;
  private sendHistory: HistorySender | undefined;
  /** Which client the store loads with, once it has loaded (`custom` for an injected one). */
  clientKind: SsmClientKind | 'custom' | undefined;
  private loggedProblems = new Set<string>();
  /** History outcomes of invalid parameters by their current version (functions/aws/policy-compile.ts): saves calls, never changes an answer. */
  private readonly history = new HistoryCache();
  /** Names of the last accepted listing: a listing that lost one of them is confirmed before it is served. */
  private listedNames: ReadonlySet<string> = new Set();
  /** Invalid parameters of the last load whose history could not be read (served as nothing, see docs/reliability.md). */
  private unreadable: ReadonlyArray<{ name: string; error: unknown }> = [];
  private readonly now: () => number;

  constructor(private readonly options: PolicyStoreOptions) {
    this.sendPage = options.sendPage;
    this.sendHistory = options.sendHistory;
    if (options.sendPage) this.clientKind = 'custom';
    this.now = options.now ?? Date.now;
    this.schedule = new RefreshSchedule(options.config.ttlSeconds, this.now, options.random ?? Math.random);
  }

  /** When {@link fresh} or {@link current} last read the clock (the preflight's metrics reuse that reading). */
  get checkedAt(): number | undefined {
    return this.schedule.checkedAt;
  }

  /** The current policy set, refreshed first if stale; undefined if none could ever be loaded. */
  async current(): Promise<PolicySet | undefined> {
    const refreshing = this.schedule.refreshIfDue(this.refreshNow);
    if (refreshing) await refreshing;
    return this.set;
  }

  /** The set when no refresh is due, else undefined: lets callers skip a promise on the hot path. */
  fresh(): PolicySet | undefined {
    return this.schedule.due() ? undefined : this.set;
  }

  /**
   * Loads the policies ahead of the first request (the Lambda init phase).
   * Never throws. When it fails, the failure is logged as any refresh's and
   * the first request tries again at once instead of waiting out the backoff:
   * nothing has been served yet, so a retry costs no extra calls per request.
   */
  async warmUp(): Promise<void> {
    await this.current();
    if (!this.set) this.schedule.dueAt = 0;
  }

  /** The set as it is now, without refreshing. */
  peek(): PolicySet | undefined {
    return this.set;
  }

  private async refresh(): Promise<void> {
    const { config, logger } = this.options;
    const started = this.now();
    const historyBefore = this.stats.historyCalls;
    this.stats.refreshes++;
    try {
      const { entries, set } = await this.loadWithinBudget();
      this.logProblems(set);
      this.logConflicts(set);
      this.logUnreadableHistory();
      this.set = set;
      this.schedule.succeeded();
      logger.debug('policies loaded', {
        policyPath: config.policyPath,
        parameters: entries.length,
        policies: set.policies.size,
        routes: set.table.size,
        problems: set.problems.length,
        earlierVersions: set.versions.size,
        historyReads: this.stats.historyCalls - historyBefore,
        conflicts: set.conflicts.length,
        client: this.clientKind,
        ms: this.now() - started,
      });
    } catch (err) {
      this.stats.failedRefreshes++;
      const delay = this.schedule.failed();
      logger.error(this.set ? 'policy refresh failed; serving the last good policies' : 'policy load failed; denying every preflight until policies load', {
        policyPath: config.policyPath,
        error: err,
        consecutiveFailures: this.schedule.failures,
        retryInMs: Math.round(delay),
        ms: this.now() - started,
      });
    }
  }

  /** Loads every page, aborting the whole refresh when the budget runs out. */
  private async loadWithinBudget(): Promise<{ entries: readonly ListedParameter[]; set: PolicySet }> {
    const { loadBudgetMs, policyPath } = this.options.config;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new PolicyLoadError(`loading ${policyPath} took longer than the ${loadBudgetMs} ms budget`));
      }, loadBudgetMs);
    });
    try {
      return await Promise.race([this.loadAll(controller.signal), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async loadAll(signal: AbortSignal): Promise<{ entries: readonly ListedParameter[]; set: PolicySet }> {
    const { policyPath } = this.options.config;
    const send = (this.sendPage ??= this.createSender());
    const listOnce = () =>
      listParametersByPath(policyPath, (input) => {
        this.stats.ssmCalls++;
        return send(input, signal);
      });
    // A listing that lists a name twice or lost a name this store had is listed again until two agree
    // (functions/aws/stable-listing.ts): a delete during paging must not drop an unrelated policy.
    const { parameters, confirmed } = await listStable(listOnce, { confirm: 'when-suspicious', previous: this.listedNames, maxListings: MAX_LISTINGS });
    if (confirmed) this.stats.confirmingListings++;
    // The type travels along: a SecureString's value is ciphertext here, and a
    // StringList is split on commas by other tools, so only String is a policy.
    const checked = parameters.map((p) =>
      checkEntry({ source: p.name, value: p.value, type: p.type, ...(p.version !== undefined ? { version: p.version } : {}) }),
    );
    const invalidNames = new Set(checked.filter((c) => !('policy' in c)).map((c) => c.entry.source));
    const outcomes = await resolveInvalidParameters(
      parameters.filter((p) => invalidNames.has(p.name)),
      (name) =>
        readParameterHistory(name, (input) => {
          this.stats.historyCalls++;
          return (this.sendHistory ??= this.createHistorySender())(input, signal);
        }),
      this.history,
      HISTORY_CONCURRENCY,
    );
    if (signal.aborted) throw new PolicyLoadError(`loading ${policyPath} was aborted`);
    const unreadable: Array<{ name: string; error: unknown }> = [];
    const set = assemblePolicySet(checked, (c) => {
      const outcome = outcomes.get(c.entry.source);
      if (outcome?.kind === 'unreadable') unreadable.push({ name: c.entry.source, error: outcome.error });
      return outcome?.kind === 'found' ? { version: outcome.version, policy: outcome.policy } : undefined;
    });
    this.listedNames = new Set(parameters.map((p) => p.name));
    this.unreadable = unreadable;
    return { entries: parameters, set };
  }

  private createHistorySender(): HistorySender {
    const sdk = loadSdkModule();
    return sdk.sdkHistorySender(this.options.client ?? sdk.createSsmClient(this.options.config.loadBudgetMs));
  }

  private createSender(): PageSender {
    if (this.options.client) {
      this.clientKind = 'sdk';
      return loadSdkModule().sdkPageSender(this.options.client);
    }
    const { kind, send } = defaultPageSender(this.options.config.loadBudgetMs);
    this.clientKind = kind;
    return send;
  }

  /** Logs each problem once, when it first appears, not on every refresh. */
  private logProblems(set: PolicySet): void {
    const current = new Set<string>();
    for (const problem of set.problems) {
      const line = formatProblem(problem);
      current.add(line);
      if (this.loggedProblems.has(line)) continue;
      this.options.logger.warn('policy rejected', {
        policyPath: this.options.config.policyPath,
        parameter: problem.source,
        field: problem.field,
        value: problem.value,
        code: problem.code,
        reason: problem.reason,
        status: set.status.get(problem.source),
        ...(set.versions.has(problem.source) ? { servingVersion: set.versions.get(problem.source) } : {}),
        problem: line,
      });
    }
    this.loggedProblems = current;
  }

  /** Logs, on every refresh, each invalid parameter whose history could not be read: nothing serves for it until a read succeeds. */
  private logUnreadableHistory(): void {
    for (const { name, error } of this.unreadable) {
      this.options.logger.warn('policy history unreadable', {
        policyPath: this.options.config.policyPath,
        parameter: name,
        status: 'rejected',
        error,
        problem: `the current value of ${name} does not validate and its history could not be read; nothing serves for it (its routes have no policy) until the next refresh reads it; the other policies are up to date`,
      });
    }
  }

  /** Logs every route conflict on every refresh, naming each claiming parameter: the route stays denied until someone resolves it. */
  private logConflicts(set: PolicySet): void {
    for (const conflict of set.conflicts) {
      this.options.logger.warn('route conflict', {
        policyPath: this.options.config.policyPath,
        route: conflict.key,
        parameters: conflict.claims.map((c) => c.source),
        routes: conflict.claims.map((c) => c.route),
        reason: 'route_conflict',
        problem: `the route ${conflict.key} is claimed by ${describeClaims(conflict)}; it is denied (route_conflict) until one of them gives it up`,
      });
    }
  }
}
