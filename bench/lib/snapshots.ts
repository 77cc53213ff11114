/**
 * Policy snapshots for the benchmarks, written to moto's S3 with the SDK (as
 * the compiler would write them) before any measurement.
 */
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { serializeSnapshot, type SnapshotParameter } from '../../functions/core/snapshot';

export function s3SeedClient(endpoint: string): S3Client {
  return new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
}

/** Creates the bucket if needed (moto answers an existing one with an error we ignore). */
export async function ensureBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if (!/BucketAlready/.test((err as Error).name)) throw err;
  }
}

/** Writes a snapshot of `docs` under `policyPath` at `key`; returns its size in bytes. */
export async function writeSnapshot(
  client: S3Client,
  bucket: string,
  key: string,
  policyPath: string,
  docs: ReadonlyArray<{ name: string; value: string }>,
  sequence = 1,
): Promise<number> {
  const now = new Date().toISOString();
  const parameters: SnapshotParameter[] = docs.map((d) => ({
    name: `${policyPath}/${d.name}`,
    version: sequence,
    status: 'current',
    servedVersion: sequence,
    value: d.value,
  }));
  const body = serializeSnapshot({ format: 1, sequence, policyPath, listedAt: now, writtenAt: now, parameters });
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }));
  return Buffer.byteLength(body);
}
