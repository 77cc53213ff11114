/**
 * GetObject without the S3 SDK: one conditional GET signed with the SDK's own
 * Signature V4 signer (`@smithy/signature-v4`) over node:http(s), hashed with
 * AWS's JavaScript SHA-256 (`@aws-crypto/sha256-js`), exactly as the light
 * Parameter Store client does (functions/aws/ssm-light-client.ts): a cold
 * start loads neither node:crypto nor any SDK client. The instances of the
 * fleet design read one object, the policy snapshot, once per TTL with
 * `If-None-Match`, so this is all of S3 they need.
 *
 * Addressing: virtual-hosted style (`https://BUCKET.s3.REGION.amazonaws.com/KEY`)
 * in AWS, path style on the regional endpoint for a bucket name that cannot be
 * a host label (dots, as the SDK does), and path style whenever
 * `AWS_ENDPOINT_URL_S3` (or `AWS_ENDPOINT_URL`) is set: moto locally.
 * Retries, backoff and timeouts are the light SSM client's (the SDK's standard
 * mode: 3 attempts, full-jitter backoff from 100 ms, 500 ms for throttling).
 */
import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/** Everything the client needs, read once from the environment. */
export interface S3ClientSettings {
  readonly region: string;
  /** The endpoint override (`AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL`); absent: AWS's regional endpoint. */
  readonly endpoint?: URL;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  /** `AWS_USE_FIPS_ENDPOINT=true`: the `s3-fips` endpoint, as the SDK would use. */
  readonly fips?: boolean;
  /** `AWS_USE_DUALSTACK_ENDPOINT=true`: the dual-stack (IPv6) endpoint. */
  readonly dualStack?: boolean;
}

/** Timeouts and attempts of {@link createS3ObjectReader}. */
export interface S3ClientOptions {
  /** Time to establish a connection (TCP and TLS), ms. */
  readonly connectionTimeoutMs: number;
  /** Time without any byte from the server once connected, ms. */
  readonly requestTimeoutMs: number;
  /** Attempts per read, the first included. Default 3, the SDK's standard mode. */
  readonly maxAttempts?: number;
  /** Largest body accepted, bytes; a larger object fails the read without being downloaded whole. */
  readonly maxBytes: number;
  /** Uniform [0, 1) for the backoff jitter. Default `Math.random`. */
  readonly random?: () => number;
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

const truthy = (v: string | undefined): boolean => v !== undefined && v.trim().toLowerCase() === 'true';

/**
 * The client's settings from the environment, or a sentence saying what is
 * missing: keys in the environment (as Lambda sets them) and `AWS_REGION`. The
 * instances have no SDK fallback for S3 (that would put the S3 client in the
 * bundle); a cold instance that cannot read the snapshot lists the path instead.
 */
export function s3ClientSettings(env: NodeJS.ProcessEnv = process.env): S3ClientSettings | string {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return 'no credentials in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (Lambda sets them from the role)';
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (!region) return 'AWS_REGION is not set';
  const configured = truthy(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS) ? undefined : env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL;
  let endpoint: URL | undefined;
  if (configured) {
    try {
      endpoint = new URL(configured);
    } catch {
      return `AWS_ENDPOINT_URL_S3="${configured}" is not a URL`;
    }
    if (endpoint.protocol !== 'https:' && endpoint.protocol !== 'http:') return `AWS_ENDPOINT_URL_S3="${configured}" is not an http(s) URL`;
  }
  const sessionToken = env.AWS_SESSION_TOKEN || undefined;
  const credentials = sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
  const fips = truthy(env.AWS_USE_FIPS_ENDPOINT);
  const dualStack = truthy(env.AWS_USE_DUALSTACK_ENDPOINT);
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

/** A connection or response that took longer than its timeout. */
export class S3TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** A body larger than the client accepts. */
export class S3ObjectTooLargeError extends Error {
  override readonly name = 'ObjectTooLarge';
}

const THROTTLING = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException']);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED']);
const RETRY_BASE_MS = 100;
const THROTTLING_RETRY_BASE_MS = 500;
const MAX_RETRY_DELAY_MS = 20_000;

const isThrottling = (err: unknown): boolean => err instanceof S3ServiceError && (THROTTLING.has(err.name) || err.status === 429);

function isRetryable(err: unknown): boolean {
  if (isThrottling(err)) return true;
  if (err instanceof S3ServiceError) return err.status >= 500 || err.name === 'RequestTimeout' || err.name === 'InternalError';
  if (err instanceof S3TimeoutError) return true;
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && NETWORK_CODES.has(code);
}

/** The error in a non-2xx answer, from S3's XML `<Code>`/`<Message>` when present. Text from the network is clipped. */
function serviceError(status: number, body: string): S3ServiceError {
  const code = /<Code>([^<]{1,100})<\/Code>/.exec(body)?.[1];
  const message = /<Message>([^<]{0,300})<\/Message>/.exec(body)?.[1];
  if (code) return new S3ServiceError(code, message ?? code, status);
  const name = status === 503 ? 'ServiceUnavailable' : status >= 500 ? 'InternalError' : status === 403 ? 'AccessDenied' : 'UnknownError';
  return new S3ServiceError(name, `HTTP ${status} from S3 without an error code`, status);
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

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
  const maxAttempts = options.maxAttempts ?? 3;
  const random = options.random ?? Math.random;
  const secure = url.protocol === 'https:';
  // Only the module the endpoint needs: node:https loads TLS, which AWS needs and moto does not.
  const transport: typeof import('node:http') = secure ? require('node:https') : require('node:http');
  const agent = new transport.Agent({ keepAlive: true, maxSockets: 2 });
  // S3 signs the path as sent (no second escaping) and wants the payload hash header (x-amz-content-sha256).
  const signer = new SignatureV4({
    service: 's3',
    region: settings.region,
    credentials: settings.credentials,
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum: true,
  });
  const host = url.host;
  const userAgent = `apigw-cors-light-client lang/js md/nodejs#${process.versions.node} api/s3`;

  async function attempt(etag: string | undefined, signal: AbortSignal): Promise<ObjectRead> {
    const headers: Record<string, string> = { host };
    if (etag !== undefined) headers['if-none-match'] = etag;
    const signed = await signer.sign({
      method: 'GET',
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path,
      query: {},
      headers,
    });
    const requestOptions: RequestOptions = {
      method: 'GET',
      hostname: url.hostname,
      port: url.port || undefined,
      path,
      headers: { ...signed.headers, 'user-agent': userAgent },
      agent,
      signal,
    };
    const { status, headers: answer, text } = await exchange(transport, requestOptions, options);
    if (status === 304) return { kind: 'not-modified' };
    if (status === 404) {
      const err = serviceError(status, text);
      // A 404 that is not NoSuchKey (NoSuchBucket, a wrong endpoint) is a failure, not a missing snapshot.
      if (err.name === 'NoSuchKey') return { kind: 'missing' };
      throw err;
    }
    if (status < 200 || status > 299) throw serviceError(status, text);
    const rawEtag = answer.etag;
    return { kind: 'object', etag: typeof rawEtag === 'string' ? rawEtag : undefined, body: text };
  }

  return async (etag, signal) => {
    for (let attempts = 1; ; attempts++) {
      try {
        return await attempt(etag, signal);
      } catch (err) {
        if (signal.aborted || attempts >= maxAttempts || !isRetryable(err)) throw err;
        const base = isThrottling(err) ? THROTTLING_RETRY_BASE_MS : RETRY_BASE_MS;
        await sleep(Math.floor(Math.min(MAX_RETRY_DELAY_MS, random() * 2 ** attempts * base)), signal);
      }
    }
  };
}

/** One GET and its whole body, with a connection timeout, an idle timeout and a size bound. */
function exchange(
  transport: typeof import('node:http'),
  requestOptions: RequestOptions,
  options: S3ClientOptions,
): Promise<{ status: number; headers: IncomingMessage['headers']; text: string }> {
  return new Promise((resolve, reject) => {
    let connectTimer: NodeJS.Timeout | undefined;
    const req: ClientRequest = transport.request(requestOptions, (res) => {
      const declared = Number(res.headers['content-length']);
      const tooLarge = (message: string) => {
        reject(new S3ObjectTooLargeError(message));
        req.destroy();
      };
      if (Number.isFinite(declared) && declared > options.maxBytes) return tooLarge(`the object is ${declared} bytes, over the ${options.maxBytes} accepted`);
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > options.maxBytes) tooLarge(`the object is over the ${options.maxBytes} bytes accepted`);
        else chunks.push(c);
      });
      res.on('error', reject);
      res.on('end', () => {
        if (!res.complete) return reject(Object.assign(new Error('response aborted before its end'), { code: 'ECONNRESET' }));
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', (err) => {
      clearTimeout(connectTimer);
      reject(err);
    });
    req.on('socket', (socket) => {
      if (socket.connecting) {
        connectTimer = setTimeout(
          () => req.destroy(new S3TimeoutError(`connection to S3 not established within ${options.connectionTimeoutMs} ms (connection timeout)`)),
          options.connectionTimeoutMs,
        );
        socket.once(requestOptions.agent && (requestOptions.agent as { protocol?: string }).protocol === 'https:' ? 'secureConnect' : 'connect', () =>
          clearTimeout(connectTimer),
        );
      }
    });
    req.setTimeout(options.requestTimeoutMs, () =>
      req.destroy(new S3TimeoutError(`no answer from S3 within ${options.requestTimeoutMs} ms (request timeout)`)),
    );
    req.end();
  });
}
