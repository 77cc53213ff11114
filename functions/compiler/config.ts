import { readPolicyPath } from '../aws/config';
import { defaultSnapshotKey } from '../core/snapshot';

/** Settings of the compiler, read from the environment once per container. */
export interface CompilerConfig {
  /** `CORS_POLICY_PATH`: every parameter under it (recursively) is a policy. Required. */
  readonly policyPath: string;
  /** `CORS_SNAPSHOT_BUCKET`: the bucket the snapshot is written to. Required. */
  readonly bucket: string;
  /** `CORS_SNAPSHOT_KEY`: the object key. Default `defaultSnapshotKey(policyPath)` (`cors-snapshots/<path>.json`). */
  readonly key: string;
  /** `CORS_SNAPSHOT_DELETE_ON_STACK_DELETE`: `true` deletes the snapshot when the stack's custom resource is deleted. Default false. */
  readonly deleteOnStackDelete: boolean;
  /** `CORS_METRICS_NAMESPACE`: the CloudWatch namespace of the compiler's metrics. Default `ApigwCors`. */
  readonly metricsNamespace: string;
}

export class CompilerConfigError extends Error {
  override readonly name = 'CompilerConfigError';
}

export const DEFAULT_COMPILER_METRICS_NAMESPACE = 'ApigwCors';

// S3's rules for general purpose bucket names (no dots next to each other or to a hyphen, not an IP address).
const BUCKET = /^[a-z0-9](?:[a-z0-9.-]{1,61})[a-z0-9]$/;
// CloudWatch's namespace rules: printable ASCII of these classes, at most 255, not AWS/.
const NAMESPACE = /^[0-9A-Za-z.\-_/#: ]{1,255}$/;

/** Reads and checks the configuration; every problem is reported at once, each naming its variable. */
export function readCompilerConfig(env: NodeJS.ProcessEnv = process.env): CompilerConfig {
  const errors: string[] = [];
  const policyPath = readPolicyPath(env, errors);
  const bucket = env.CORS_SNAPSHOT_BUCKET?.trim() ?? '';
  if (!bucket) errors.push('CORS_SNAPSHOT_BUCKET is not set (the S3 bucket the policy snapshot is written to)');
  else if (!BUCKET.test(bucket) || bucket.includes('..') || /\.-|-\./.test(bucket) || /^\d+\.\d+\.\d+\.\d+$/.test(bucket)) {
    errors.push(`CORS_SNAPSHOT_BUCKET="${bucket}" is not an S3 bucket name (3-63 of a-z 0-9 . -, starting and ending with a letter or digit)`);
  }
  const rawKey = env.CORS_SNAPSHOT_KEY;
  let key = rawKey === undefined || rawKey.trim() === '' ? '' : rawKey;
  if (key) {
    if (Buffer.byteLength(key) > 1024) errors.push(`CORS_SNAPSHOT_KEY is ${Buffer.byteLength(key)} bytes; S3 keys are at most 1024`);
    else if (/[\x00-\x1f\x7f]/.test(key) || key.startsWith('/'))
      errors.push(`CORS_SNAPSHOT_KEY=${JSON.stringify(key)} must not start with / or hold control characters`);
  } else if (policyPath) key = defaultSnapshotKey(policyPath);
  const rawDelete = (env.CORS_SNAPSHOT_DELETE_ON_STACK_DELETE ?? '').trim().toLowerCase();
  if (rawDelete !== '' && rawDelete !== 'true' && rawDelete !== 'false') {
    errors.push(`CORS_SNAPSHOT_DELETE_ON_STACK_DELETE="${env.CORS_SNAPSHOT_DELETE_ON_STACK_DELETE}" must be true or false`);
  }
  const rawNamespace = env.CORS_METRICS_NAMESPACE;
  const metricsNamespace = rawNamespace === undefined || rawNamespace.trim() === '' ? DEFAULT_COMPILER_METRICS_NAMESPACE : rawNamespace;
  if (!NAMESPACE.test(metricsNamespace) || metricsNamespace.startsWith('AWS/')) {
    errors.push(`CORS_METRICS_NAMESPACE="${rawNamespace}" must be 1-255 of A-Z a-z 0-9 . - _ / # : and space, not starting with AWS/`);
  }
  if (errors.length > 0) throw new CompilerConfigError(`invalid configuration: ${errors.join('; ')}`);
  return { policyPath, bucket, key, deleteOnStackDelete: rawDelete === 'true', metricsNamespace };
}
