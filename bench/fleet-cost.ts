/**
 * The fleet's cost, direct design against snapshot design, from calls
 * MEASURED per instance: each design's store runs in this process with a fake
 * clock ("one TTL later" takes no waiting) against moto, behind counting
 * proxies for Parameter Store and for S3, and the fleet table multiplies what
 * one instance did by N and divides by the TTL.
 *
 * Prices (us-east-1, documented): S3 GET (a 304 is billed as a GET)
 * $0.0004 per 1,000; Parameter Store standard throughput free but about 40 TPS
 * per account and Region shared with everything else; higher throughput
 * $0.05 per 10,000 API interactions (not documented as raising
 * GetParametersByPath). A month is 30 days.
 */
import { DEFAULT_LOAD_BUDGET_MS } from '../functions/aws/config';
import { createLogger } from '../functions/aws/logger';
import { SnapshotPolicyStore } from '../functions/aws/snapshot-policy-store';
import { defaultSnapshotKey } from '../functions/core/snapshot';
import { motoEnv } from '../scripts/lib/moto';
import { startCountingProxy } from './lib/counting-proxy';
import { countedRead, readsOneTtlApart, withProcessEnv } from './lib/fake-clock-reads';
import { policyDocuments } from './lib/policies';
import { ensureBucket, s3SeedClient, writeSnapshot } from './lib/snapshots';
import { median } from './lib/stats';
import { DEFAULT_QUOTA_TPS, MEAN_JITTER_FACTOR, measureSsmCost } from './ssm-cost';

export const S3_GET_USD_PER_1000 = 0.0004;
export const SSM_HIGHER_THROUGHPUT_USD_PER_10000 = 0.05;
export const SECONDS_PER_MONTH = 30 * 24 * 3600;

/** What one instance did, measured. */
export interface InstanceCalls {
  policies: number;
  direct: { ssmAtColdStart: number; ssmPerTtl: number };
  snapshot: {
    s3AtColdStart: number;
    /** Reads per TTL when the snapshot did not change (304). */
    s3PerTtlUnchanged: number;
    /** Reads per TTL when it did (200). */
    s3PerTtlChanged: number;
    /** Parameter Store calls over the whole run (cold start and every TTL). */
    ssmCalls: number;
    snapshotBytes: number;
    /** Median time of a read that downloads, parses and compiles the snapshot, against moto, ms. */
    downloadMs: number;
    /** Median time of a 304 read, ms. */
    notModifiedMs: number;
  };
}

export interface FleetCostRow {
  design: 'direct' | 'snapshot';
  instances: number;
  policies: number;
  ttlSeconds: number;
  ssmCallsPerSecond: number;
  /** Share of the default 40 TPS. */
  ssmQuotaShare: number;
  s3GetsPerSecond: number;
  /** S3 GETs a month, priced. */
  s3UsdPerMonth: number;
  /** Parameter Store calls a month at the higher-throughput price (were it to apply to GetParametersByPath). */
  ssmHigherThroughputUsdPerMonth: number;
}

const TTL_FOR_MEASURING_S = 60;

export async function measureInstanceCalls(motoEndpoint: string, counts: readonly number[], loads: number): Promise<InstanceCalls[]> {
  const direct = await measureSsmCost(motoEndpoint, counts, loads);
  const s3Proxy = await startCountingProxy(motoEndpoint);
  const ssmProxy = await startCountingProxy(motoEndpoint);
  const seeder = s3SeedClient(motoEndpoint);
  const problems: string[] = [];
  const logger = createLogger({ service: 'bench', write: (line) => problems.push(line), env: { LOG_LEVEL: 'WARN' } });
  const bucket = 'bench-fleet-cost';
  const out: InstanceCalls[] = [];
  try {
    await withProcessEnv({ ...motoEnv(ssmProxy.endpoint), AWS_ENDPOINT_URL_S3: s3Proxy.endpoint }, async () => {
      await ensureBucket(seeder, bucket);
      for (const policies of counts) {
        const policyPath = `/bench/fleet-cost/p${policies}`;
        const key = defaultSnapshotKey(policyPath);
        const docs = policyDocuments(policies);
        let sequence = 1;
        const snapshotBytes = await writeSnapshot(seeder, bucket, key, policyPath, docs, sequence);
        let clock = 1_000_000;
        const store = new SnapshotPolicyStore({
          config: {
            policyPath,
            ttlSeconds: TTL_FOR_MEASURING_S,
            loadBudgetMs: DEFAULT_LOAD_BUDGET_MS * 5,
            snapshot: { bucket, key, maxAgeSeconds: 604800 },
          },
          logger,
          now: () => clock,
        });
        const read = () => store.current();
        ssmProxy.reset();
        const first = await countedRead(s3Proxy, read);
        if (!first.value || first.value.policies.size !== policies) throw new Error(`snapshot ${key} did not load whole: ${problems.join('').slice(0, 2000)}`);
        // Within the TTL: nothing.
        clock += TTL_FOR_MEASURING_S * 500;
        const withinTtl = (await countedRead(s3Proxy, read)).calls;
        if (withinTtl !== 0) throw new Error(`the snapshot store read S3 within its TTL (${withinTtl} reads)`);
        const nextTtl = () => {
          clock += TTL_FOR_MEASURING_S * 1000;
        };
        const unchanged = await readsOneTtlApart({ rounds: loads, nextTtl, proxy: s3Proxy, read });
        const changed = await readsOneTtlApart({
          rounds: loads,
          nextTtl,
          proxy: s3Proxy,
          read,
          before: async () => {
            await writeSnapshot(seeder, bucket, key, policyPath, docs, ++sequence);
          },
          after: () => {
            if (store.servedSequence !== sequence) throw new Error(`snapshot ${sequence} was not taken (serving ${store.servedSequence})`);
          },
        });
        if (store.stats.fallbacks !== 0 || store.stats.readFailures !== 0) throw new Error(`snapshot reads failed: ${problems.join('').slice(0, 2000)}`);
        const d = direct.find((r) => r.policies === policies)!;
        out.push({
          policies,
          direct: { ssmAtColdStart: d.callsAtColdStart, ssmPerTtl: d.callsPerTtl },
          snapshot: {
            s3AtColdStart: first.calls,
            s3PerTtlUnchanged: median(unchanged.calls),
            s3PerTtlChanged: median(changed.calls),
            ssmCalls: ssmProxy.total(),
            snapshotBytes,
            downloadMs: median([first.ms, ...changed.ms]),
            notModifiedMs: median(unchanged.ms),
          },
        });
      }
    });
  } finally {
    seeder.destroy();
    await s3Proxy.close();
    await ssmProxy.close();
  }
  return out;
}

/** The fleet rates and monthly cost implied by the measured per-instance calls. */
export function fleetCostTable(measured: readonly InstanceCalls[], instances = [1000, 10000], ttls = [60, 5]): FleetCostRow[] {
  const rows: FleetCostRow[] = [];
  for (const m of measured) {
    for (const ttlSeconds of ttls) {
      for (const n of instances) {
        const perSecond = (perTtl: number) => (n * perTtl) / (ttlSeconds * MEAN_JITTER_FACTOR);
        const ssmDirect = perSecond(m.direct.ssmPerTtl);
        rows.push({
          design: 'direct',
          instances: n,
          policies: m.policies,
          ttlSeconds,
          ssmCallsPerSecond: ssmDirect,
          ssmQuotaShare: ssmDirect / DEFAULT_QUOTA_TPS,
          s3GetsPerSecond: 0,
          s3UsdPerMonth: 0,
          ssmHigherThroughputUsdPerMonth: (ssmDirect * SECONDS_PER_MONTH * SSM_HIGHER_THROUGHPUT_USD_PER_10000) / 10000,
        });
        // Steady state: the snapshot is unchanged on almost every read (one change is one 200 instead of one 304: the same count).
        const gets = perSecond(Math.max(m.snapshot.s3PerTtlUnchanged, m.snapshot.s3PerTtlChanged));
        rows.push({
          design: 'snapshot',
          instances: n,
          policies: m.policies,
          ttlSeconds,
          ssmCallsPerSecond: 0,
          ssmQuotaShare: 0,
          s3GetsPerSecond: gets,
          s3UsdPerMonth: (gets * SECONDS_PER_MONTH * S3_GET_USD_PER_1000) / 1000,
          ssmHigherThroughputUsdPerMonth: 0,
        });
      }
    }
  }
  return rows;
}

/** What compressing the snapshot would cost and save an instance's cold start. */
export interface CompressionRow {
  policies: number;
  bytes: number;
  gzipBytes: number;
  /** Median, in a fresh process: `require('node:zlib')` plus gunzipSync of the snapshot, ms. */
  zlibLoadAndInflateMs: number;
  /** Of which the load of node:zlib alone, ms. */
  zlibLoadMs: number;
  /** The bandwidth below which the bytes saved take longer to transfer than the inflate costs, MB/s. */
  breakEvenMBps: number;
}

const ZLIB_CHILD = `
const { readFileSync } = require('node:fs');
const gz = readFileSync(process.argv[1]);
const t0 = performance.now();
const zlib = require('node:zlib');
const t1 = performance.now();
const text = zlib.gunzipSync(gz).toString('utf8');
const t2 = performance.now();
if (!text.startsWith('{')) process.exit(1);
process.stdout.write(JSON.stringify({ load: t1 - t0, total: t2 - t0 }));
`;

/** Measures, in fresh processes of `node`, whether a gzipped snapshot would pay for loading node:zlib. */
export async function measureCompression(node: string, counts: readonly number[], rounds: number, tmp: string): Promise<CompressionRow[]> {
  const { gzipSync } = await import('node:zlib');
  const { writeFileSync } = await import('node:fs');
  const { execFileSync } = await import('node:child_process');
  const { join } = await import('node:path');
  const rows: CompressionRow[] = [];
  for (const policies of counts) {
    const now = new Date().toISOString();
    const { serializeSnapshot } = await import('../functions/core/snapshot');
    const body = serializeSnapshot({
      format: 1,
      sequence: 1,
      policyPath: '/bench/zlib',
      listedAt: now,
      writtenAt: now,
      parameters: policyDocuments(policies).map((d) => ({ name: `/bench/zlib/${d.name}`, version: 1, status: 'current', servedVersion: 1, value: d.value })),
    });
    const gz = gzipSync(body);
    const file = join(tmp, `snapshot-${policies}.json.gz`);
    writeFileSync(file, gz);
    const loads: number[] = [];
    const totals: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const out = JSON.parse(execFileSync(node, ['-e', ZLIB_CHILD, file], { encoding: 'utf8', env: { PATH: process.env.PATH } })) as {
        load: number;
        total: number;
      };
      loads.push(out.load);
      totals.push(out.total);
    }
    const bytes = Buffer.byteLength(body);
    const total = median(totals);
    rows.push({
      policies,
      bytes,
      gzipBytes: gz.length,
      zlibLoadAndInflateMs: total,
      zlibLoadMs: median(loads),
      breakEvenMBps: (bytes - gz.length) / 1e6 / (total / 1000),
    });
  }
  return rows;
}
