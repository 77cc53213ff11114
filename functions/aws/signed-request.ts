/**
 * One AWS request without an SDK client, shared by the light S3 and Parameter
 * Store clients (functions/aws/s3-light-client.ts, ssm-light-client.ts): keys
 * from the environment, the SDK's own Signature V4 signer
 * (`@smithy/signature-v4`) with AWS's JavaScript SHA-256
 * (`@aws-crypto/sha256-js`, so a cold start never loads node:crypto), one
 * request over node:http(s) with a connection and an idle timeout, and the
 * SDK's standard retry mode: 3 attempts, full-jitter backoff from 100 ms
 * (500 ms for throttling), timeouts and transient network errors retried.
 * Each client keeps what is its service's own: the address, the request, how
 * an error answer reads and which of those errors are retried.
 */
import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/** Keys as Lambda puts them in the environment. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Timeouts and attempts of a light client. */
export interface SignedClientOptions {
  /** Time to establish a connection (TCP and TLS), ms. */
  readonly connectionTimeoutMs: number;
  /** Time without any byte from the server once connected, ms. */
  readonly requestTimeoutMs: number;
  /** Attempts per call, the first included. Default 3, the SDK's standard mode. */
  readonly maxAttempts?: number;
  /** Uniform [0, 1) for the backoff jitter. Default `Math.random`. */
  readonly random?: () => number;
}

/** What the SDK reads from the environment for a client of one service, whichever service it is. */
export interface SdkEnvironment {
  /** The keys in `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`); undefined when either key is missing. */
  readonly credentials: AwsCredentials | undefined;
  /** The endpoint override: `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`, unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`. */
  readonly endpoint: string | undefined;
  /** `AWS_USE_FIPS_ENDPOINT=true`. */
  readonly fips: boolean;
  /** `AWS_USE_DUALSTACK_ENDPOINT=true`. */
  readonly dualStack: boolean;
}

/** `true` as the SDK reads a boolean environment variable. */
const truthy = (v: string | undefined): boolean => v !== undefined && v.trim().toLowerCase() === 'true';

/** The {@link SdkEnvironment} of a client of `service` (its name in `AWS_ENDPOINT_URL_<SERVICE>`). */
export function sdkEnvironment(env: NodeJS.ProcessEnv, service: 'S3' | 'SSM'): SdkEnvironment {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  const sessionToken = env.AWS_SESSION_TOKEN || undefined;
  return {
    credentials:
      !accessKeyId || !secretAccessKey ? undefined : sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey },
    endpoint: truthy(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS) ? undefined : env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL,
    fips: truthy(env.AWS_USE_FIPS_ENDPOINT),
    dualStack: truthy(env.AWS_USE_DUALSTACK_ENDPOINT),
  };
}

/** A connection or response that took longer than its timeout (named as the SDK names it). */
export class RequestTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** How a failed attempt is retried: `throttling` waits longer than `transient`; an error of neither kind is not retried. */
export type RetryKind = 'throttling' | 'transient';

/** Where and how one client signs and sends. */
export interface SignedEndpoint {
  /** The signing name: `s3`, `ssm`. */
  readonly service: string;
  /** The service in messages: `S3`, `Parameter Store`. */
  readonly label: string;
  readonly region: string;
  readonly credentials: AwsCredentials;
  /** Protocol, host and port of every request. */
  readonly url: URL;
  /** Sockets of the client's keep-alive agent. */
  readonly maxSockets: number;
  /** Signature V4's path escaping (off for S3, which signs the path as sent). */
  readonly uriEscapePath: boolean;
  /** Signs and sends the payload hash header (`x-amz-content-sha256`, which S3 requires). */
  readonly applyChecksum: boolean;
  /** Sent in the user agent (`api/<api>`). */
  readonly api: string;
  /** `AWS_SDK_UA_APP_ID`: sent in the user agent as `app/<id>`, as the SDK sends it. */
  readonly appId?: string;
  /** The retry kind of a service error (the client's own class); undefined: not retried. */
  readonly retryKind: (err: unknown) => RetryKind | undefined;
}

/** One request: the signed headers are added to `headers`. */
export interface SignedRequest {
  readonly method: 'GET' | 'POST';
  /** The (encoded) path, as sent and signed. */
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** Largest body accepted, with the error for a larger one (`declared`: from Content-Length); absent: no bound. */
  readonly limit?: { readonly maxBytes: number; readonly tooLarge: (bytes: number, declared: boolean) => Error };
}

/** An answer with its whole body. */
export interface Answer {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly text: string;
}

/** What a call returned, with the attempts it took and the time spent waiting between them. */
export interface Retried<T> {
  readonly result: T;
  readonly attempts: number;
  readonly totalRetryDelay: number;
}

/**
 * Sends a request, signed afresh on each attempt, and hands the answer to
 * `interpret`, whose throw is the attempt's failure (an error answer). Failed
 * attempts are retried per the endpoint's rules; `failed` sees each failure
 * with the attempts so far, before it is retried or thrown.
 */
export type SignedSender = <T>(
  request: SignedRequest,
  signal: AbortSignal,
  interpret: (answer: Answer) => T,
  failed?: (err: unknown, attempts: number, totalRetryDelay: number) => void,
) => Promise<Retried<T>>;

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED']);
/** The standard retry mode's backoff bases and cap (`@smithy/core/retry`). */
const RETRY_BASE_MS = 100;
const THROTTLING_RETRY_BASE_MS = 500;
const MAX_RETRY_DELAY_MS = 20_000;

function retryKind(err: unknown, serviceKind: SignedEndpoint['retryKind']): RetryKind | undefined {
  const kind = serviceKind(err);
  if (kind) return kind;
  if (err instanceof RequestTimeoutError) return 'transient';
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && NETWORK_CODES.has(code) ? 'transient' : undefined;
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

/** A {@link SignedSender} for one endpoint, with one keep-alive agent. */
export function createSignedSender(endpoint: SignedEndpoint, options: SignedClientOptions): SignedSender {
  const { url } = endpoint;
  const maxAttempts = options.maxAttempts ?? 3;
  const random = options.random ?? Math.random;
  const secure = url.protocol === 'https:';
  // Only the module the endpoint needs: node:https loads TLS, which AWS needs and moto does not.
  const transport: typeof import('node:http') = secure ? require('node:https') : require('node:http');
  const agent = new transport.Agent({ keepAlive: true, maxSockets: endpoint.maxSockets });
  const signer = new SignatureV4({
    service: endpoint.service,
    region: endpoint.region,
    credentials: endpoint.credentials,
    sha256: Sha256,
    uriEscapePath: endpoint.uriEscapePath,
    applyChecksum: endpoint.applyChecksum,
  });
  const host = url.host; // includes a non-default port, as the signed Host header must
  const port = url.port ? Number(url.port) : undefined;
  // Not signed (Signature V4 leaves user-agent out); says which client and app made the call, as the SDK's does.
  const userAgent = `apigw-cors-light-client lang/js md/nodejs#${process.versions.node} api/${endpoint.api}${endpoint.appId ? ` app/${endpoint.appId}` : ''}`;
  const timeouts = { ...options, label: endpoint.label, secure };

  async function attempt(request: SignedRequest, signal: AbortSignal): Promise<Answer> {
    const { method, path, body } = request;
    const signed = await signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port,
      path,
      query: {},
      headers: { host, ...request.headers },
      body,
    });
    const requestOptions: RequestOptions = {
      method,
      hostname: url.hostname,
      port: url.port || undefined,
      path,
      headers: { ...signed.headers, 'user-agent': userAgent },
      agent,
      signal,
    };
    return exchange(transport, requestOptions, body, request.limit, timeouts);
  }

  return async (request, signal, interpret, failed) => {
    let totalRetryDelay = 0;
    for (let attempts = 1; ; attempts++) {
      try {
        return { result: interpret(await attempt(request, signal)), attempts, totalRetryDelay };
      } catch (err) {
        failed?.(err, attempts, totalRetryDelay);
        const kind = signal.aborted || attempts >= maxAttempts ? undefined : retryKind(err, endpoint.retryKind);
        if (!kind) throw err;
        const base = kind === 'throttling' ? THROTTLING_RETRY_BASE_MS : RETRY_BASE_MS;
        const delay = Math.floor(Math.min(MAX_RETRY_DELAY_MS, random() * 2 ** attempts * base));
        totalRetryDelay += delay;
        await sleep(delay, signal);
      }
    }
  };
}

/** One request and its whole body, with a connection timeout, an idle timeout and an optional size bound. */
function exchange(
  transport: typeof import('node:http'),
  requestOptions: RequestOptions,
  body: string | undefined,
  limit: SignedRequest['limit'],
  timeouts: SignedClientOptions & { readonly label: string; readonly secure: boolean },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let connectTimer: NodeJS.Timeout | undefined;
    const req: ClientRequest = transport.request(requestOptions, (res) => {
      const tooLarge = (bytes: number, declared: boolean) => {
        reject(limit!.tooLarge(bytes, declared));
        req.destroy();
      };
      const declared = Number(res.headers['content-length']);
      if (limit && Number.isFinite(declared) && declared > limit.maxBytes) return tooLarge(declared, true);
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (limit && size > limit.maxBytes) tooLarge(size, false);
        else chunks.push(c);
      });
      res.on('error', reject); // "aborted" when the connection drops mid-body
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
      // A reused keep-alive socket is already connected; a new one gets the connection timeout.
      if (socket.connecting) {
        connectTimer = setTimeout(
          () =>
            req.destroy(
              new RequestTimeoutError(`connection to ${timeouts.label} not established within ${timeouts.connectionTimeoutMs} ms (connection timeout)`),
            ),
          timeouts.connectionTimeoutMs,
        );
        socket.once(timeouts.secure ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
      }
    });
    req.setTimeout(timeouts.requestTimeoutMs, () =>
      req.destroy(new RequestTimeoutError(`no answer from ${timeouts.label} within ${timeouts.requestTimeoutMs} ms (request timeout)`)),
    );
    req.end(body);
  });
}
