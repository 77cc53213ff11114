/**
 * Parameter Store cost: GetParametersByPath calls at cold start and per TTL
 * for 1, 10, 100 and 1,000 policies, counted at the wire (a counting proxy in
 * front of moto) and by the store itself, and the fleet-wide request rate they
 * imply. The store runs in this process with a fake clock, so "one TTL later"
 * takes no waiting; everything else (client, paging, compile) is the product's.
 */
import { SsmPolicyStore } from '../functions/aws/ssm-policy-store';
import { createLogger } from '../functions/aws/logger';
import { DEFAULT_TTL_SECONDS } from '../functions/aws/config';
import { motoEnv } from '../scripts/lib/moto';
import { startCountingProxy } from './lib/counting-proxy';
import { countedRead, readsOneTtlApart, withProcessEnv } from './lib/fake-clock-reads';
import { seedClient, seedPolicies } from './lib/policies';
import { median } from './lib/stats';

export interface SsmCostRow {
  policies: number;
  /** GetParametersByPath calls to load the policies once (a cold start), counted at the proxy. */
  callsAtColdStart: number;
  /** Calls per refresh, i.e. per TTL per warm container. */
  callsPerTtl: number;
  /** What the store counted itself (must equal the proxy's count). */
  storeCounted: number;
  /** Routes compiled from the load (checks that every policy arrived). */
  routes: number;
  /** Median time of one full load against moto, ms (real Parameter Store adds its own latency per page). */
  loadMs: number;
}

export interface FleetRow {
  containers: number;
  policies: number;
  ttlSeconds: number;
  callsPerSecond: number;
  shareOfQuota: number;
}

/** Parameter Store's default GetParametersByPath throughput per account and region (AWS Systems Manager service quotas). */
export const DEFAULT_QUOTA_TPS = 40;
/** Refreshes are scheduled uniformly between 90% and 100% of the TTL (ssm-policy-store.ts). */
export const MEAN_JITTER_FACTOR = 0.95;
export const PAGE_SIZE = 10;

/** calls/s = N × ceil(P / 10) / (TTL × 0.95) */
export function fleetCallsPerSecond(containers: number, policies: number, ttlSeconds: number): number {
  return (containers * Math.ceil(policies / PAGE_SIZE)) / (ttlSeconds * MEAN_JITTER_FACTOR);
}

export function fleetTable(ttlSeconds = DEFAULT_TTL_SECONDS): FleetRow[] {
  const rows: FleetRow[] = [];
  for (const policies of [10, 100]) {
    for (const containers of [10, 100, 1000]) {
      const callsPerSecond = fleetCallsPerSecond(containers, policies, ttlSeconds);
      rows.push({ containers, policies, ttlSeconds, callsPerSecond, shareOfQuota: callsPerSecond / DEFAULT_QUOTA_TPS });
    }
  }
  return rows;
}

/** The smallest TTL (s) that keeps `containers` warm containers under `share` of the default quota. */
export function minimumTtlSeconds(containers: number, policies: number, share = 1): number {
  return Math.ceil((containers * Math.ceil(policies / PAGE_SIZE)) / (DEFAULT_QUOTA_TPS * share * MEAN_JITTER_FACTOR));
}

export async function measureSsmCost(motoEndpoint: string, counts: readonly number[] = [1, 10, 100, 1000], loads = 5): Promise<SsmCostRow[]> {
  const proxy = await startCountingProxy(motoEndpoint);
  const seeder = seedClient(motoEndpoint);
  const errors: string[] = [];
  const logger = createLogger({ service: 'bench', write: (line) => errors.push(line), env: { LOG_LEVEL: 'WARN' } });
  const rows: SsmCostRow[] = [];
  try {
    // The store's default client reads the standard variables, as in Lambda.
    await withProcessEnv(motoEnv(proxy.endpoint), async () => {
      for (const policies of counts) {
        const policyPath = `/bench/ssm-cost/p${policies}`;
        await seedPolicies(seeder, policyPath, policies);
        let clock = 1_000_000;
        const store = new SsmPolicyStore({
          config: { policyPath, ttlSeconds: DEFAULT_TTL_SECONDS, loadBudgetMs: 20_000 },
          logger,
          now: () => clock,
          random: Math.random,
        });
        const target = 'AmazonSSM.GetParametersByPath';
        const read = () => store.current();

        const first = await countedRead(proxy, read, target);
        const callsAtColdStart = first.calls;
        if (!first.value || first.value.problems.length > 0)
          throw new Error(`policy set ${policyPath} did not load cleanly: ${errors.join('').slice(0, 2000)}`);

        // Within the TTL: served from memory, no call.
        clock += DEFAULT_TTL_SECONDS * 1000 * 0.5;
        const withinTtl = (await countedRead(proxy, read)).calls;
        if (withinTtl !== 0) throw new Error(`store called SSM within its TTL (${withinTtl} calls)`);

        // Each TTL later: one full reload.
        const nextTtl = () => {
          clock += DEFAULT_TTL_SECONDS * 1000;
        };
        const later = await readsOneTtlApart({ rounds: loads, nextTtl, proxy, read, target });
        const perTtl = later.calls;
        rows.push({
          policies,
          callsAtColdStart,
          callsPerTtl: median(perTtl),
          storeCounted: store.stats.ssmCalls,
          routes: store.peek()?.table.size ?? 0,
          loadMs: median([first.ms, ...later.ms]),
        });
        if (store.stats.ssmCalls !== callsAtColdStart + perTtl.reduce((a, b) => a + b, 0)) {
          throw new Error(`store counted ${store.stats.ssmCalls} calls, the proxy ${callsAtColdStart} + ${perTtl.join('+')}`);
        }
      }
    });
  } finally {
    seeder.destroy();
    await proxy.close();
  }
  return rows;
}
