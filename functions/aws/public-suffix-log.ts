import { publicSuffixListProblem } from '../core/public-suffix';
import type { Logger } from './logger';

/**
 * Logs that the Public Suffix List data file is missing or damaged: every
 * wildcard origin is then refused, whether or not a policy has one today.
 * The preflight function and the layer call it once per instance, at init, so
 * the line is the same wherever the engine runs.
 */
export function logPublicSuffixListProblem(logger: Pick<Logger, 'error'>): void {
  const problem = publicSuffixListProblem();
  if (problem !== undefined)
    logger.error('Public Suffix List unusable; every wildcard origin is refused', { error: problem, code: 'origin_wildcard_unverified' });
}
