import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

/** The snapshot object as read: its text and the ETag a conditional write compares with. */
export interface StoredSnapshot {
  readonly etag: string;
  readonly text: string;
}

/** The write lost a race: the object changed (or appeared) since it was read. */
export class WriteConflictError extends Error {
  override readonly name = 'WriteConflictError';
}

/** Reads and writes the one snapshot object; the compiler's only contact with S3. */
export interface SnapshotObjects {
  /** The object, or undefined when there is none (404). */
  read(): Promise<StoredSnapshot | undefined>;
  /**
   * Writes `body` only if the object is still the one read: `If-Match` on its
   * ETag, or `If-None-Match: *` when there was none. Returns the new ETag.
   * @throws {@link WriteConflictError} on 412 Precondition Failed or 409 ConditionalRequestConflict
   */
  write(body: string, readEtag: string | undefined): Promise<string | undefined>;
  /** Deletes the object (nothing when it is absent). */
  remove(): Promise<void>;
  readonly bucket: string;
  readonly key: string;
}

const status = (err: unknown): number | undefined => (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
const named = (err: unknown): string | undefined => (err as { name?: string })?.name;

/**
 * The compiler's S3 client: path-style addressing when `AWS_ENDPOINT_URL_S3`
 * is set (moto locally, as the instances do), explicit timeouts (the SDK's are
 * off by default), the SDK's standard retries.
 */
export function createSnapshotS3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  return new S3Client({
    forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3),
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 3000, requestTimeout: 10_000, throwOnRequestTimeout: true },
  });
}

export function s3SnapshotObjects(client: Pick<S3Client, 'send'>, bucket: string, key: string): SnapshotObjects {
  return {
    bucket,
    key,
    async read() {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const text = (await out.Body?.transformToString('utf-8')) ?? '';
        if (!out.ETag) throw new Error(`s3://${bucket}/${key} was read without an ETag; a conditional write needs one`);
        return { etag: out.ETag, text };
      } catch (err) {
        if (named(err) === 'NoSuchKey' || status(err) === 404) return undefined;
        throw err;
      }
    },
    async write(body, readEtag) {
      try {
        const out = await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: body,
            ContentType: 'application/json',
            ...(readEtag ? { IfMatch: readEtag } : { IfNoneMatch: '*' }),
          }),
        );
        return out.ETag;
      } catch (err) {
        const code = status(err);
        if (code === 412 || code === 409 || named(err) === 'PreconditionFailed' || named(err) === 'ConditionalRequestConflict') {
          throw new WriteConflictError(`s3://${bucket}/${key} changed since it was read (${named(err) ?? code}); another run wrote it`, { cause: err });
        }
        throw err;
      }
    },
    async remove() {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
  };
}
