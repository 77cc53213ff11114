import { parameterNameProblem } from '../core/parameter-name';
import { defaultSnapshotKey } from '../core/snapshot';

/** Where the fleet's policy snapshot is (snapshot mode: `CORS_SNAPSHOT_BUCKET` set). */
export interface SnapshotConfig {
  /** `CORS_SNAPSHOT_BUCKET`: the bucket holding the snapshot the compiler writes. */
  readonly bucket: string;
  /** `CORS_SNAPSHOT_KEY`: its key. Default `defaultSnapshotKey(policyPath)`, e.g. `cors-snapshots/cors/shop-api.json`. */
  readonly key: string;
  /**
   * `CORS_SNAPSHOT_MAX_AGE_SECONDS`: a snapshot whose listing is older than this
   * is stale: still served, logged and counted (`SnapshotAgeSeconds`), never a
   * reason to list Parameter Store. Default 900 (three runs of the compiler's
   * default 5-minute schedule), 60-604800.
   */
  readonly maxAgeSeconds: number;
}

/** Settings of the preflight function and the layer, read from the environment once per container. */
export interface StoreConfig {
  /** `CORS_POLICY_PATH`: every parameter under it (recursively) is a policy. Required. */
  readonly policyPath: string;
  /** `CORS_POLICY_TTL_SECONDS`: how long loaded policies are served before a refresh. Default 60, 5-86400. */
  readonly ttlSeconds: number;
  /** `CORS_POLICY_LOAD_BUDGET_MS`: total time one refresh may take, every page and retry included. Default 2000, 100-20000. */
  readonly loadBudgetMs: number;
  /** Present in snapshot mode: instances read this object instead of listing the path. */
  readonly snapshot?: SnapshotConfig;
}

export const DEFAULT_TTL_SECONDS = 60;
export const DEFAULT_LOAD_BUDGET_MS = 2000;
export const DEFAULT_SNAPSHOT_MAX_AGE_SECONDS = 900;

/** A client's timeouts, derived from the load budget: a quarter to connect, half per attempt. */
export interface ClientTimeouts {
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

/**
 * The one rule for every client a store uses (the light SSM and S3 clients and
 * the full SDK client): a hung connection or request costs at most a share of
 * the load budget, so a retry still fits in it.
 */
export function clientTimeouts(loadBudgetMs: number): ClientTimeouts {
  return { connectionTimeoutMs: Math.max(100, Math.floor(loadBudgetMs / 4)), requestTimeoutMs: Math.max(200, Math.floor(loadBudgetMs / 2)) };
}

/** S3's bucket naming rules (general purpose buckets): 3-63 of a-z 0-9 . -, starting and ending with a letter or digit, not an IP address. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IP_ADDRESS = /^\d+\.\d+\.\d+\.\d+$/;

function bucketProblem(bucket: string): string | undefined {
  if (!BUCKET_NAME.test(bucket)) return 'must be 3-63 characters of a-z 0-9 . - starting and ending with a letter or digit';
  if (IP_ADDRESS.test(bucket) || bucket.includes('..')) return 'must not be an IP address nor hold two dots in a row';
  return undefined;
}

function keyProblem(key: string): string | undefined {
  if (Buffer.byteLength(key) > 1024) return 'must be at most 1024 bytes';
  if (key.startsWith('/')) return 'must not start with / (S3 keys are relative to the bucket)';
  // Control characters would need XML escaping in S3 and are never a sensible key.
  if (/[\x00-\x1f\x7f]/.test(key)) return 'must not hold control characters';
  return undefined;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function intSetting(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number, errors: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    errors.push(`${name}="${raw}" must be a whole number from ${min} to ${max}`);
    return fallback;
  }
  return n;
}

/**
 * The one normalisation of a policy path, wherever it is given (CORS_POLICY_PATH,
 * the CLI's --path): a trailing slash is tolerated, "/cors/api/" and "/cors/api"
 * mean the same path. SSM's naming rules (core/parameter-name.ts) apply after it.
 */
export function normalisePolicyPath(raw: string): string {
  return raw.length > 1 ? raw.replace(/\/+$/, '') : raw;
}

/**
 * `CORS_POLICY_PATH`, normalised, for every function that reads it (the
 * instances and the compiler); a missing or invalid value is added to `errors`.
 */
export function readPolicyPath(env: NodeJS.ProcessEnv, errors: string[]): string {
  const rawPath = env.CORS_POLICY_PATH?.trim() ?? '';
  const policyPath = normalisePolicyPath(rawPath);
  if (!policyPath) errors.push('CORS_POLICY_PATH is not set (the Parameter Store path holding the policies, e.g. /cors/shop-api)');
  else {
    const problem = parameterNameProblem(policyPath, 'path');
    if (problem) errors.push(`CORS_POLICY_PATH="${rawPath}" ${problem}`);
  }
  return policyPath;
}

/** Reads and checks the configuration; every problem is reported at once. */
export function readStoreConfig(env: NodeJS.ProcessEnv = process.env): StoreConfig {
  const errors: string[] = [];
  const policyPath = readPolicyPath(env, errors);
  const ttlSeconds = intSetting(env, 'CORS_POLICY_TTL_SECONDS', DEFAULT_TTL_SECONDS, 5, 86400, errors);
  const loadBudgetMs = intSetting(env, 'CORS_POLICY_LOAD_BUDGET_MS', DEFAULT_LOAD_BUDGET_MS, 100, 20000, errors);
  const snapshot = readSnapshotConfig(env, policyPath, errors);
  if (errors.length > 0) throw new ConfigError(`invalid configuration: ${errors.join('; ')}`);
  return snapshot ? { policyPath, ttlSeconds, loadBudgetMs, snapshot } : { policyPath, ttlSeconds, loadBudgetMs };
}

/** Snapshot mode's settings, or undefined without `CORS_SNAPSHOT_BUCKET` (direct mode); problems go to `errors`. */
function readSnapshotConfig(env: NodeJS.ProcessEnv, policyPath: string, errors: string[]): SnapshotConfig | undefined {
  const bucket = env.CORS_SNAPSHOT_BUCKET?.trim() ?? '';
  const rawKey = env.CORS_SNAPSHOT_KEY;
  const maxAgeSeconds = intSetting(env, 'CORS_SNAPSHOT_MAX_AGE_SECONDS', DEFAULT_SNAPSHOT_MAX_AGE_SECONDS, 60, 604800, errors);
  // Without a bucket the key means nothing: a stack in direct mode may still pass it along (docs/configuration.md).
  if (!bucket) return undefined;
  const bucketIssue = bucketProblem(bucket);
  if (bucketIssue) errors.push(`CORS_SNAPSHOT_BUCKET="${env.CORS_SNAPSHOT_BUCKET}" ${bucketIssue}`);
  let key = rawKey === undefined || rawKey.trim() === '' ? '' : rawKey.trim();
  if (key) {
    const keyIssue = keyProblem(key);
    if (keyIssue) errors.push(`CORS_SNAPSHOT_KEY="${rawKey}" ${keyIssue}`);
  } else key = policyPath ? defaultSnapshotKey(policyPath) : '';
  return { bucket, key, maxAgeSeconds };
}
