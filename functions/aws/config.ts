import { parameterNameProblem } from '../core/parameter-name';

/** Settings of the preflight function and the layer, read from the environment once per container. */
export interface StoreConfig {
  /** `CORS_POLICY_PATH`: every parameter under it (recursively) is a policy. Required. */
  readonly policyPath: string;
  /** `CORS_POLICY_TTL_SECONDS`: how long loaded policies are served before a refresh. Default 60, 5-86400. */
  readonly ttlSeconds: number;
  /** `CORS_POLICY_LOAD_BUDGET_MS`: total time one refresh may take, every page and retry included. Default 2000, 100-20000. */
  readonly loadBudgetMs: number;
}

export const DEFAULT_TTL_SECONDS = 60;
export const DEFAULT_LOAD_BUDGET_MS = 2000;

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

/** Reads and checks the configuration; every problem is reported at once. */
export function readStoreConfig(env: NodeJS.ProcessEnv = process.env): StoreConfig {
  const errors: string[] = [];
  const rawPath = env.CORS_POLICY_PATH?.trim() ?? '';
  // A trailing slash is tolerated: "/cors/api/" and "/cors/api" mean the same path.
  const policyPath = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') : rawPath;
  if (!policyPath) errors.push('CORS_POLICY_PATH is not set (the Parameter Store path holding the policies, e.g. /cors/shop-api)');
  else {
    const problem = parameterNameProblem(policyPath, 'path');
    if (problem) errors.push(`CORS_POLICY_PATH="${rawPath}" ${problem}`);
  }
  const ttlSeconds = intSetting(env, 'CORS_POLICY_TTL_SECONDS', DEFAULT_TTL_SECONDS, 5, 86400, errors);
  const loadBudgetMs = intSetting(env, 'CORS_POLICY_LOAD_BUDGET_MS', DEFAULT_LOAD_BUDGET_MS, 100, 20000, errors);
  if (errors.length > 0) throw new ConfigError(`invalid configuration: ${errors.join('; ')}`);
  return { policyPath, ttlSeconds, loadBudgetMs };
}
