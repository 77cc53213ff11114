/**
 * GetObject without the S3 SDK: one conditional GET, signed and sent as the
 * light Parameter Store client sends its requests (functions/aws/signed-request.ts:
 * the SDK's own Signature V4 signer over node:http(s), AWS's JavaScript
 * SHA-256, the SDK's standard retry mode): a cold start loads neither
 * node:crypto nor any SDK client. The instances of the fleet design read one
 * object, the policy snapshot, once per TTL with `If-None-Match`, so this is
 * all of S3 they need.
 *
 * Addressing: virtual-hosted style (`https://BUCKET.s3.REGION.amazonaws.com/KEY`)
 * in AWS, path style on the regional endpoint for a bucket name that cannot be
 * a host label (dots, as the SDK does), and path style whenever
 * `AWS_ENDPOINT_URL_S3` (or `AWS_ENDPOINT_URL`) is set: moto locally.
 */
import { createSignedSender, sdkEnvironment, type Answer, type AwsCredentials, type RetryKind, type SignedClientOptions } from './signed-request';

/** Everything the client needs, read once from the environment. */
export interface S3ClientSettings {
  readonly region: string;
  /** The endpoint override (`AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL`); absent: AWS's regional endpoint. */
  readonly endpoint?: URL;
  readonly credentials: AwsCredentials;
  /** `AWS_USE_FIPS_ENDPOINT=true`: the `s3-fips` endpoint, as the SDK would use. */
  readonly fips?: boolean;
  /** `AWS_USE_DUALSTACK_ENDPOINT=true`: the dual-stack (IPv6) endpoint. */
  readonly dualStack?: boolean;
}

/** Timeouts, attempts and size bound of {@link createS3ObjectReader}. */
export interface S3ClientOptions extends SignedClientOptions {
  /** Largest body accepted, bytes; a larger object fails the read without being downloaded whole. */
  readonly maxBytes: number;
}

/** What a conditional GET found. */
export type ObjectRead =
  | { readonly kind: 'object'; readonly etag: string | undefined; readonly body: string }
  | { readonly kind: 'not-modified' }
  /** 404 `NoSuchKey` (a 403 is an {@link S3ServiceError}: without `s3:ListBucket` S3 answers a missing key with 403). */
  | { readonly kind: 'missing' };

/** Reads one object; `etag` makes it conditional (`If-None-Match`). `signal` aborts it. */
export type ObjectReader = (etag: string | undefined, signal: AbortSignal) => Promise<ObjectRead>;

/** Where the snapshot is, for messages: `s3://bucket/key`. */
export const objectUrl = (bucket: string, key: string): string => `s3://${bucket}/${key}`;

/**
 * The client's settings from the environment, or a sentence saying what is
 * missing: keys in the environment (as Lambda sets them) and `AWS_REGION`. The
 * instances have no SDK fallback for S3 (that would put the S3 client in the
 * bundle); a cold instance that cannot read the snapshot lists the path instead.
 */
export function s3ClientSettings(env: NodeJS.ProcessEnv = process.env): S3ClientSettings | string {
  const { credentials, endpoint: configured, fips, dualStack } = sdkEnvironment(env, 'S3');
  if (!credentials) return 'no credentials in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (Lambda sets them from the role)';
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (!region) return 'AWS_REGION is not set';
  let endpoint: URL | undefined;
  if (configured) {
    try {
      endpoint = new URL(configured);
    } catch {
      return `AWS_ENDPOINT_URL_S3="${configured}" is not a URL`;
    }
    if (endpoint.protocol !== 'https:' && endpoint.protocol !== 'http:') return `AWS_ENDPOINT_URL_S3="${configured}" is not an http(s) URL`;
  }
  return { region, credentials, ...(endpoint ? { endpoint } : {}), ...(fips ? { fips } : {}), ...(dualStack ? { dualStack } : {}) };
}

/** An error S3 answered with, named by its `<Code>` (`AccessDenied`, `SlowDown`, ...). */
export class S3ServiceError extends Error {
  readonly status: number;
  constructor(name: string, message: string, status: number) {
    super(message);
    this.name = name;
    this.status = status;
  }
}

/** A body larger than the client accepts. */
export class S3ObjectTooLargeError extends Error {
  override readonly name = 'ObjectTooLarge';
}

const THROTTLING = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException']);

/** Throttling, 5xx, `RequestTimeout` and `InternalError` are retried (timeouts and network errors too, by the shared sender). */
function retryKind(err: unknown): RetryKind | undefined {
  if (!(err instanceof S3ServiceError)) return undefined;
  if (THROTTLING.has(err.name) || err.status === 429) return 'throttling';
  return err.status >= 500 || err.name === 'RequestTimeout' || err.name === 'InternalError' ? 'transient' : undefined;
}

/** The error in a non-2xx answer, from S3's XML `<Code>`/`<Message>` when present. Text from the network is clipped. */
function serviceError(status: number, body: string): S3ServiceError {
  const code = /<Code>([^<]{1,100})<\/Code>/.exec(body)?.[1];
  const message = /<Message>([^<]{0,300})<\/Message>/.exec(body)?.[1];
  if (code) return new S3ServiceError(code, message ?? code, status);
  const name = status === 503 ? 'ServiceUnavailable' : status >= 500 ? 'InternalError' : status === 403 ? 'AccessDenied' : 'UnknownError';
  return new S3ServiceError(name, `HTTP ${status} from S3 without an error code`, status);
}

/** A bucket name that can be a DNS label of a TLS host name: no dots, lower case, 3-63 characters. */
const VIRTUAL_HOSTABLE = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/** Each key segment percent-encoded as S3 expects it (RFC 3986 unreserved kept, `/` kept). */
const encodeKey = (key: string): string =>
  key
    .split('/')
    .map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');

/** Where a GET of `bucket`/`key` goes: protocol, host, port and the (encoded) path. */
export function objectLocation(settings: S3ClientSettings, bucket: string, key: string): { url: URL; path: string } {
  const encodedKey = encodeKey(key);
  if (settings.endpoint) {
    // An endpoint override is a local or private S3 (moto): path style, under the endpoint's own path.
    const base = settings.endpoint.pathname.replace(/\/+$/, '');
    const path = `${base}/${bucket}/${encodedKey}`;
    return { url: new URL(path, settings.endpoint), path };
  }
  // The SDK's S3 endpoint rules for the common partitions: s3[-fips][.dualstack].REGION.amazonaws.com[.cn].
  const dns = settings.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  const suffix = `s3${settings.fips ? '-fips' : ''}${settings.dualStack ? '.dualstack' : ''}.${settings.region}.${dns}`;
  if (VIRTUAL_HOSTABLE.test(bucket)) return { url: new URL(`https://${bucket}.${suffix}/${encodedKey}`), path: `/${encodedKey}` };
  const path = `/${bucket}/${encodedKey}`;
  return { url: new URL(`https://${suffix}${path}`), path };
}

/**
 * An {@link ObjectReader} for one object, over node:http(s), signed with
 * Signature V4. One keep-alive agent per reader.
 */
export function createS3ObjectReader(settings: S3ClientSettings, bucket: string, key: string, options: S3ClientOptions): ObjectReader {
  const { url, path } = objectLocation(settings, bucket, key);
  // S3 signs the path as sent (no second escaping) and wants the payload hash header (x-amz-content-sha256).
  const send = createSignedSender(
    {
      service: 's3',
      label: 'S3',
      region: settings.region,
      credentials: settings.credentials,
      url,
      maxSockets: 2,
      uriEscapePath: false,
      applyChecksum: true,
      api: 's3',
      retryKind,
    },
    options,
  );
  const { maxBytes } = options;
  const limit = {
    maxBytes,
    tooLarge: (bytes: number, declared: boolean) =>
      new S3ObjectTooLargeError(declared ? `the object is ${bytes} bytes, over the ${maxBytes} accepted` : `the object is over the ${maxBytes} bytes accepted`),
  };

  function interpret({ status, headers, text }: Answer): ObjectRead {
    if (status === 304) return { kind: 'not-modified' };
    if (status === 404) {
      const err = serviceError(status, text);
      // A 404 that is not NoSuchKey (NoSuchBucket, a wrong endpoint) is a failure, not a missing snapshot.
      if (err.name === 'NoSuchKey') return { kind: 'missing' };
      throw err;
    }
    if (status < 200 || status > 299) throw serviceError(status, text);
    const rawEtag = headers.etag;
    return { kind: 'object', etag: typeof rawEtag === 'string' ? rawEtag : undefined, body: text };
  }

  return async (etag, signal) => {
    const headers: Record<string, string> = etag === undefined ? {} : { 'if-none-match': etag };
    return (await send({ method: 'GET', path, headers, limit }, signal, interpret)).result;
  };
}
