import type { PolicySet } from '../core/policy-set';
import type { ObservedStore } from './metrics';

/**
 * What the preflight function and the layer need from a container's policy
 * store, whatever the policies come from: Parameter Store listed directly
 * ({@link import('./ssm-policy-store').SsmPolicyStore}, direct mode) or the
 * fleet's snapshot in S3 ({@link import('./snapshot-policy-store').SnapshotPolicyStore}).
 * functions/aws/default-store.ts chooses one from the environment.
 */
export interface PolicyStore extends ObservedStore {
  /** The current policy set, refreshed first if due; undefined if none could ever be loaded (callers deny). */
  current(): Promise<PolicySet | undefined>;
  /** The set when no refresh is due, else undefined: lets callers skip a promise on the hot path. */
  fresh(): PolicySet | undefined;
  /** Loads ahead of the first request (the init phase). Never throws. */
  warmUp(): Promise<void>;
  /** The set as it is now, without refreshing. */
  peek(): PolicySet | undefined;
  /** When {@link current} or {@link fresh} last read the clock (the metrics reuse that reading). */
  readonly checkedAt: number | undefined;
  /** Which Parameter Store client the store lists with, once it has listed. */
  readonly clientKind?: string | undefined;
}
