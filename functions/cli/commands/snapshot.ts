import { SnapshotFormatError, defaultSnapshotKey, parseSnapshot, type PolicySnapshot, type SnapshotParameterStatus } from '../../core/snapshot';
import { AWS_OPTIONS, policyPath } from '../args';
import { defineCommand } from '../command';
import { AwsError, EXIT, UsageError } from '../errors';
import type { SnapshotJson } from '../json';
import { plural } from '../output';
import { callWithDeadline, clientConfig, createClient, describeAwsError, listParameters } from '../ssm';
import { PATH_OPTION } from './shared';

/**
 * Characters that must never reach a terminal from remote data: C0/C1
 * controls and DEL (escape sequences), and the Unicode bidirectional controls
 * that make text display in another order than it reads.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Remote text as it may be printed: unsafe characters as `\uXXXX`, at most `max` characters. */
export function printable(text: string, max = 200): string {
  const escaped = text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > max ? `${escaped.slice(0, max - 3)}...` : escaped;
}

/** How the snapshot compares with Parameter Store now, by names and versions. */
export interface SnapshotDrift {
  readonly matches: boolean;
  /** In Parameter Store, not in the snapshot. */
  readonly added: ReadonlyArray<{ name: string; version: number | null }>;
  /** In the snapshot, no longer in Parameter Store. */
  readonly removed: ReadonlyArray<{ name: string; version: number }>;
  /** In both, at another version. */
  readonly changed: ReadonlyArray<{ name: string; snapshotVersion: number; currentVersion: number | null }>;
}

export function snapshotDrift(snapshot: PolicySnapshot, current: ReadonlyArray<{ name: string; version?: number }>): SnapshotDrift {
  const inSnapshot = new Map(snapshot.parameters.map((p) => [p.name, p.version]));
  const now = new Map(current.map((p) => [p.name, p.version ?? null]));
  const added = [...now].filter(([name]) => !inSnapshot.has(name)).map(([name, version]) => ({ name, version }));
  const removed = [...inSnapshot].filter(([name]) => !now.has(name)).map(([name, version]) => ({ name, version }));
  const changed = [...inSnapshot]
    .filter(([name, version]) => now.has(name) && now.get(name) !== version)
    .map(([name, version]) => ({ name, snapshotVersion: version, currentVersion: now.get(name) ?? null }));
  return { matches: added.length + removed.length + changed.length === 0, added, removed, changed };
}

const S3_HINTS: Record<string, string> = {
  NoSuchKey: 'no snapshot under that key: has the compiler run? check --key (default: derived from --path)',
  NoSuchBucket: 'check --bucket (the stack output or CORS_SNAPSHOT_BUCKET)',
  AccessDenied: 'the credentials may not read the snapshot object (s3:GetObject)',
};

async function readSnapshotObject(bucket: string, key: string, region: string | undefined, profile: string | undefined): Promise<PolicySnapshot> {
  // Loaded on use: evaluating the S3 client on every cors-policy start would slow every other command.
  const { GetObjectCommand, S3Client } = await import('@aws-sdk/client-s3');
  // An object read can be larger than a Parameter Store page: the longer per-attempt timeout, scaled by CORS_POLICY_AWS_TIMEOUT_SECONDS like every call.
  const client = new S3Client({ ...clientConfig({ region, profile }, 'logsRequestTimeoutMs'), forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) });
  const endpoint = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL ?? 'the regional S3 endpoint';
  const target = `s3://${bucket}/${key}`;
  try {
    const text = await callWithDeadline(
      (err, operation, where) => describeAwsError(err, operation, where, { hints: S3_HINTS, endpoint }),
      'GetObject',
      target,
      async (abortSignal) => {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal });
        return (await out.Body?.transformToString('utf-8')) ?? '';
      },
    );
    try {
      return parseSnapshot(text);
    } catch (err) {
      if (err instanceof SnapshotFormatError)
        throw new AwsError(`${target} is not a snapshot this version reads: ${err.message}`, 'InvalidSnapshot', { cause: err });
      throw err;
    }
  } finally {
    client.destroy();
  }
}

function age(ms: number): string {
  if (!Number.isFinite(ms)) return 'unknown';
  const s = Math.round(ms / 1000);
  if (s < 0) return `${-s} s in the future (clock skew)`;
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export const snapshot = defineCommand({
  name: 'snapshot',
  usage: 'cors-policy snapshot --bucket BUCKET (--path /cors/my-api | --key KEY) [--json]',
  summary:
    'Shows the policy snapshot the compiler wrote to S3 (snapshot mode): its sequence, when its listing was taken and how old it is, what each parameter serves and why, and whether it still matches Parameter Store now (same parameter names and versions).',
  options: {
    bucket: { type: 'string', value: 'BUCKET', help: "the snapshot bucket (the stack output, or the compiler's CORS_SNAPSHOT_BUCKET) (required)" },
    key: { type: 'string', value: 'KEY', help: 'the object key (default: cors-snapshots/<path>.json, derived from --path)' },
    ...PATH_OPTION,
    ...AWS_OPTIONS,
  },
  details:
    "Parameter Store is listed under the snapshot's own policy path (or --path when given). Text from the snapshot is printed with control and bidirectional characters escaped.\nexit codes: 0 the snapshot matches Parameter Store, 3 it does not (a compile is pending or failing), 2 usage, AWS or format errors",
  async run({ values }, out) {
    const { bucket } = values;
    if (!bucket) throw new UsageError('--bucket is required: the S3 bucket holding the snapshot (the stack output SnapshotBucket, or CORS_SNAPSHOT_BUCKET)');
    const path = policyPath(values.path, false);
    const key = values.key ?? (path ? defaultSnapshotKey(path) : undefined);
    if (!key) throw new UsageError('--key or --path is required: the snapshot key defaults to cors-snapshots/<path>.json');
    const snap = await readSnapshotObject(bucket, key, values.region, values.profile);
    const listPath = path ?? snap.policyPath;
    const current = await listParameters(createClient(values), listPath);
    const drift = snapshotDrift(snap, current);
    const now = Date.now();
    const counts: Partial<Record<SnapshotParameterStatus, number>> = {};
    for (const p of snap.parameters) counts[p.status] = (counts[p.status] ?? 0) + 1;

    const doc: SnapshotJson = {
      command: 'snapshot',
      ok: true,
      bucket,
      key,
      sequence: snap.sequence,
      // Remote text is escaped in the document too: a terminal showing it must not be steered by it.
      policyPath: printable(snap.policyPath, 2000),
      listedAt: printable(snap.listedAt, 100),
      writtenAt: printable(snap.writtenAt, 100),
      ageSeconds: Math.round((now - Date.parse(snap.listedAt)) / 1000),
      parameters: snap.parameters.map((p) => ({
        name: printable(p.name, 2048),
        version: p.version,
        status: p.status,
        servedVersion: p.servedVersion ?? null,
        reason: p.reason === undefined ? null : printable(p.reason, 2000),
      })),
      matchesParameterStore: drift.matches,
      comparedPath: listPath,
      drift: { added: drift.added, removed: drift.removed, changed: drift.changed },
    };
    out.document(doc);

    out.line(`Snapshot s3://${printable(bucket)}/${printable(key)}`);
    out.line(`  sequence ${snap.sequence}, policy path ${printable(snap.policyPath)}`);
    out.line(`  listed at ${printable(snap.listedAt)} (age ${age(now - Date.parse(snap.listedAt))}), written at ${printable(snap.writtenAt)}`);
    out.line(
      `  ${plural(snap.parameters.length, 'parameter')}: ${
        Object.entries(counts)
          .map(([status, n]) => `${n} ${status}`)
          .join(', ') || 'none'
      }`,
    );
    for (const p of snap.parameters) {
      const serving = p.status === 'current' ? '' : p.servedVersion !== undefined ? ` (serving version ${p.servedVersion})` : ' (nothing serves)';
      out.line(`  ${printable(p.name)}  version ${p.version}  ${p.status}${serving}`);
      if (p.reason) out.line(`      ${printable(p.reason, 300)}`);
    }
    if (drift.matches) out.line(`Parameter Store now: matches (${plural(current.length, 'parameter')} under ${printable(listPath)}, same names and versions)`);
    else {
      out.line(`Parameter Store now: does NOT match under ${printable(listPath)} (a compile is pending, or failing: see the compiler's logs)`);
      for (const a of drift.added) out.line(`  + ${printable(a.name)} version ${a.version ?? '?'}: not in the snapshot`);
      for (const r of drift.removed) out.line(`  - ${printable(r.name)} version ${r.version}: in the snapshot, no longer in Parameter Store`);
      for (const c of drift.changed) out.line(`  ~ ${printable(c.name)}: version ${c.snapshotVersion} in the snapshot, ${c.currentVersion ?? '?'} now`);
    }
    return drift.matches ? EXIT.ok : EXIT.negative;
  },
});
