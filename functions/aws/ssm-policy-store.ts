import type { SSMClient } from '@aws-sdk/client-ssm';
import { formatProblem } from '../core/problems';
import { compilePolicySet, type PolicyEntry, type PolicySet } from '../core/policy-set';
import type { StoreConfig } from './config';
import type { Logger } from './logger';
import { listParametersByPath } from './parameters-by-path';
import { defaultPageSender, loadSdkModule, type PageSender, type SsmClientKind } from './ssm-page-sender';

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
  /** Clock in ms. Default: `Date.now`. */
  readonly now?: () => number;
  /** Uniform [0, 1). Default: `Math.random`. Spreads refreshes of a fleet apart. */
  readonly random?: () => number;
}

/** Refreshes are scheduled between 90% and 100% of the TTL so that containers started together do not refresh together. */
const TTL_JITTER = 0.1;
/** Retry after a failed refresh: 1 s doubling, capped at the TTL, with full jitter above half. */
const RETRY_BASE_MS = 1000;

export class PolicyLoadError extends Error {
  override readonly name = 'PolicyLoadError';
}

export interface PolicyStoreStats {
  /** GetParametersByPath calls made (pages). */
  ssmCalls: number;
  refreshes: number;
  failedRefreshes: number;
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
  readonly stats: PolicyStoreStats = { ssmCalls: 0, refreshes: 0, failedRefreshes: 0 };
  private set: PolicySet | undefined;
  private nextRefreshAt = 0;
  private failures = 0;
  private inflight: Promise<void> | undefined;
  private sendPage: PageSender | undefined;
  /** Which client the store loads with, once it has loaded (`custom` for an injected one). */
  clientKind: SsmClientKind | 'custom' | undefined;
  private loggedProblems = new Set<string>();
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly options: PolicyStoreOptions) {
    this.sendPage = options.sendPage;
    if (options.sendPage) this.clientKind = 'custom';
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /** The current policy set, refreshed first if stale; undefined if none could ever be loaded. */
  async current(): Promise<PolicySet | undefined> {
    if (this.now() >= this.nextRefreshAt) {
      this.inflight ??= this.refresh().finally(() => {
        this.inflight = undefined;
      });
      await this.inflight;
    }
    return this.set;
  }

  /** The set when no refresh is due, else undefined: lets callers skip a promise on the hot path. */
  fresh(): PolicySet | undefined {
    return this.now() < this.nextRefreshAt ? this.set : undefined;
  }

  /**
   * Loads the policies ahead of the first request (the Lambda init phase).
   * Never throws. When it fails, the failure is logged as any refresh's and
   * the first request tries again at once instead of waiting out the backoff:
   * nothing has been served yet, so a retry costs no extra calls per request.
   */
  async warmUp(): Promise<void> {
    await this.current();
    if (!this.set) this.nextRefreshAt = 0;
  }

  /** The set as it is now, without refreshing. */
  peek(): PolicySet | undefined {
    return this.set;
  }

  private async refresh(): Promise<void> {
    const { config, logger } = this.options;
    const started = this.now();
    this.stats.refreshes++;
    try {
      const entries = await this.loadWithinBudget();
      const set = compilePolicySet(entries, this.set);
      this.logProblems(set);
      this.set = set;
      this.failures = 0;
      const ttlMs = config.ttlSeconds * 1000;
      this.nextRefreshAt = this.now() + ttlMs * (1 - TTL_JITTER * this.random());
      logger.debug('policies loaded', { policyPath: config.policyPath, parameters: entries.length, policies: set.policies.size, routes: set.table.size, problems: set.problems.length, client: this.clientKind, ms: this.now() - started });
    } catch (err) {
      this.stats.failedRefreshes++;
      this.failures++;
      const backoff = Math.min(config.ttlSeconds * 1000, RETRY_BASE_MS * 2 ** (this.failures - 1));
      const delay = backoff / 2 + (backoff / 2) * this.random();
      this.nextRefreshAt = this.now() + delay;
      logger.error(this.set ? 'policy refresh failed; serving the last good policies' : 'policy load failed; denying every preflight until policies load', {
        policyPath: config.policyPath,
        error: err,
        consecutiveFailures: this.failures,
        retryInMs: Math.round(delay),
        ms: this.now() - started,
      });
    }
  }

  /** Loads every page, aborting the whole refresh when the budget runs out. */
  private async loadWithinBudget(): Promise<PolicyEntry[]> {
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

  private async loadAll(signal: AbortSignal): Promise<PolicyEntry[]> {
    const { policyPath } = this.options.config;
    const send = (this.sendPage ??= this.createSender());
    const parameters = await listParametersByPath(policyPath, (input) => {
      this.stats.ssmCalls++;
      return send(input, signal);
    });
    // The type travels along: a SecureString's value is ciphertext here, and a
    // StringList is split on commas by other tools, so only String is a policy.
    return parameters.map((p) => ({ source: p.name, value: p.value, type: p.type }));
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
        reason: problem.reason,
        status: set.status.get(problem.source),
        problem: line,
      });
    }
    this.loggedProblems = current;
  }
}
