/**
 * GetParametersByPath without the SDK client: one JSON request signed with the
 * SDK's own Signature V4 signer (`@smithy/signature-v4`) over node:http(s).
 * SHA-256 is AWS's JavaScript one (`@aws-crypto/sha256-js`, what the SDK uses
 * where node:crypto is missing): a handful of hashes per refresh, and a cold
 * start that never loads node:crypto (~2.5 ms; TLS does not load it either).
 * Loading and running the full
 * `@aws-sdk/client-ssm` client (middleware stack, credential chain, endpoint
 * rules, user agent, retry strategy) costs a cold start several times what the
 * request itself does (docs/performance.md).
 *
 * It is used only where it behaves as the SDK would (see
 * {@link lightClientSettings}): keys in the environment as Lambda sets them, no
 * profile or shared config file, the standard `aws` partition, no FIPS or
 * dual-stack endpoint, default retry settings. Everywhere else the store loads
 * the full client from its side file (functions/aws/ssm-page-sender.ts).
 *
 * What it keeps from the SDK: the endpoint (`AWS_ENDPOINT_URL_SSM`, then
 * `AWS_ENDPOINT_URL`, unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`), 3
 * attempts with the standard mode's full-jitter backoff (100 ms base, 500 ms
 * for throttling), which errors are retried (throttling, 5xx, transient
 * network errors, timeouts), and the error names the service sends
 * (`ThrottlingException`, `AccessDeniedException`, ...). Timeouts are explicit,
 * as the store's SDK client sets them.
 */
import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { GetParametersByPathCommandOutput } from '@aws-sdk/client-ssm';
import type { PageSender } from './parameters-by-path';

/** Everything the light client needs, read once from the environment. */
export interface LightClientSettings {
  readonly region: string;
  readonly endpoint: URL;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  /** `AWS_SDK_UA_APP_ID`: sent in the user agent as `app/<id>`, as the SDK sends it. */
  readonly appId?: string;
}

/** Timeouts and attempts of {@link createLightPageSender}. */
export interface LightClientOptions {
  /** Time to establish a connection (TCP and TLS), ms. */
  readonly connectionTimeoutMs: number;
  /** Time without any byte from the server once connected, ms. */
  readonly requestTimeoutMs: number;
  /** Attempts per page, the first included. Default 3, the SDK's standard mode. */
  readonly maxAttempts?: number;
  /** Uniform [0, 1) for the backoff jitter. Default `Math.random`. */
  readonly random?: () => number;
}

/** The regions of the `aws` partition, as the SDK's partition table matches them (not cn-, us-gov-, iso). */
const AWS_PARTITION_REGION = /^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/;

const truthy = (v: string | undefined): boolean => v !== undefined && v.trim().toLowerCase() === 'true';

/**
 * The light client's settings when the environment is the plain Lambda one,
 * else undefined (the caller then uses the full SDK client). Each condition is
 * a setting the SDK would honour and the light client does not implement:
 * - keys in `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` and no `AWS_PROFILE`
 *   (the first link of the SDK's default chain; anything else needs the chain);
 * - no shared config file (`AWS_CONFIG_FILE` or ~/.aws/config): it can set
 *   FIPS, dual-stack, retries or endpoints for the default profile;
 * - `AWS_REGION` in the standard partition, no `AWS_USE_FIPS_ENDPOINT` or
 *   `AWS_USE_DUALSTACK_ENDPOINT`, no `AWS_MAX_ATTEMPTS`, `AWS_RETRY_MODE` unset
 *   or `standard`;
 * - `CORS_SSM_CLIENT` is not `sdk` (the operator's switch back to the SDK).
 */
export function lightClientSettings(env: NodeJS.ProcessEnv = process.env): LightClientSettings | undefined {
  if (env.CORS_SSM_CLIENT === 'sdk') return undefined;
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey || env.AWS_PROFILE) return undefined;
  const region = env.AWS_REGION;
  if (!region || !AWS_PARTITION_REGION.test(region)) return undefined;
  if (truthy(env.AWS_USE_FIPS_ENDPOINT) || truthy(env.AWS_USE_DUALSTACK_ENDPOINT)) return undefined;
  if (env.AWS_MAX_ATTEMPTS || (env.AWS_RETRY_MODE && env.AWS_RETRY_MODE !== 'standard')) return undefined;
  // node:os only when HOME is unset (Lambda sets it): one built-in module less on a cold start.
  const home = env.HOME || (require('node:os') as typeof import('node:os')).homedir();
  if (existsSync(env.AWS_CONFIG_FILE || join(home, '.aws', 'config'))) return undefined;
  let endpoint: URL;
  const configured = truthy(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS) ? undefined : env.AWS_ENDPOINT_URL_SSM || env.AWS_ENDPOINT_URL;
  try {
    endpoint = new URL(configured ?? `https://ssm.${region}.amazonaws.com`);
  } catch {
    return undefined; // the SDK reports a malformed endpoint in its own words
  }
  if (endpoint.protocol !== 'https:' && endpoint.protocol !== 'http:') return undefined;
  const sessionToken = env.AWS_SESSION_TOKEN || undefined;
  const credentials = sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
  return env.AWS_SDK_UA_APP_ID ? { region, endpoint, credentials, appId: env.AWS_SDK_UA_APP_ID } : { region, endpoint, credentials };
}

/** An error Parameter Store answered with, named as the SDK names it (`ThrottlingException`, ...). */
export class SsmServiceError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { httpStatusCode: number; requestId?: string; attempts: number; totalRetryDelay: number };
  constructor(name: string, message: string, status: number, requestId: string | undefined) {
    super(message);
    this.name = name;
    this.$fault = status >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode: status, requestId, attempts: 1, totalRetryDelay: 0 };
  }
}

/** A connection or response that took longer than its timeout. */
export class SsmTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** The SDK's throttling error codes (`@smithy/core/retry`'s THROTTLING_ERROR_CODES). */
const THROTTLING = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);
const TRANSIENT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'InternalError', 'InternalServerError', 'ServiceUnavailable']);
const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED']);
/** The standard retry mode's backoff bases and cap (`@smithy/core/retry`). */
const RETRY_BASE_MS = 100;
const THROTTLING_RETRY_BASE_MS = 500;
const MAX_RETRY_DELAY_MS = 20_000;

function isThrottling(err: unknown): boolean {
  return err instanceof SsmServiceError && (THROTTLING.has(err.name) || err.$metadata.httpStatusCode === 429);
}

function isRetryable(err: unknown): boolean {
  if (isThrottling(err)) return true;
  if (err instanceof SsmServiceError) return TRANSIENT_STATUS.has(err.$metadata.httpStatusCode) || TRANSIENT_NAMES.has(err.name);
  if (err instanceof SsmTimeoutError) return true;
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && NETWORK_CODES.has(code);
}

/** The error in a non-2xx answer: the name from `x-amzn-errortype` or `__type`, as the SDK's JSON protocol reads it. */
function serviceError(status: number, headers: IncomingMessage['headers'], body: string): SsmServiceError {
  let parsed: Record<string, unknown> | undefined;
  try {
    const v: unknown = body ? JSON.parse(body) : undefined;
    if (v && typeof v === 'object') parsed = v as Record<string, unknown>;
  } catch {
    parsed = undefined;
  }
  const raw = (headers['x-amzn-errortype'] as string | undefined) ?? (parsed?.__type as string | undefined) ?? (parsed?.code as string | undefined);
  const requestId = headers['x-amzn-requestid'] as string | undefined;
  if (raw) {
    // "aws.protocoljson#ThrottlingException:http://..." -> "ThrottlingException"
    const name = raw.split(':')[0]!.split('#').pop()!;
    const message = (parsed?.message ?? parsed?.Message ?? name) as string;
    return new SsmServiceError(name, String(message), status, requestId);
  }
  const name = status === 503 ? 'ServiceUnavailable' : status >= 500 ? 'InternalServerError' : 'UnknownError';
  return new SsmServiceError(name, `HTTP ${status} from Parameter Store without an error code${parsed ? '' : ' (the body is not JSON)'}`, status, requestId);
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

/**
 * A {@link PageSender} for GetParametersByPath over node:http(s), signed with
 * Signature V4. One keep-alive agent per sender so that the pages of one
 * refresh share a connection.
 */
export function createLightPageSender(settings: LightClientSettings, options: LightClientOptions): PageSender {
  const { endpoint, region, credentials } = settings;
  const maxAttempts = options.maxAttempts ?? 3;
  const random = options.random ?? Math.random;
  const secure = endpoint.protocol === 'https:';
  // Only the module the endpoint needs: node:https loads TLS, which Lambda's real endpoint needs and moto does not.
  const transport: typeof import('node:http') = secure ? require('node:https') : require('node:http');
  const agent = new transport.Agent({ keepAlive: true, maxSockets: 4 });
  const signer = new SignatureV4({ service: 'ssm', region, credentials, sha256: Sha256, uriEscapePath: true, applyChecksum: false });
  const host = endpoint.host; // includes a non-default port, as the signed Host header must
  const path = endpoint.pathname || '/';
  // Not signed (Signature V4 leaves user-agent out); says which client and app made the call, as the SDK's does.
  const userAgent = `apigw-cors-light-client lang/js md/nodejs#${process.versions.node} api/ssm${settings.appId ? ` app/${settings.appId}` : ''}`;

  async function attempt(body: string, signal: AbortSignal): Promise<GetParametersByPathCommandOutput> {
    const signed = await signer.sign({
      method: 'POST',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      port: endpoint.port ? Number(endpoint.port) : undefined,
      path,
      query: {},
      headers: {
        host,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AmazonSSM.GetParametersByPath',
        'content-length': String(Buffer.byteLength(body)),
      },
      body,
    });
    const requestOptions: RequestOptions = {
      method: 'POST',
      hostname: endpoint.hostname,
      port: endpoint.port || undefined,
      path,
      headers: { ...signed.headers, 'user-agent': userAgent },
      agent,
      signal,
    };
    const { status, headers, text } = await exchange(transport, requestOptions, body, options);
    if (status < 200 || status > 299) throw serviceError(status, headers, text);
    // An empty or null body is a page without Parameters; the pager decides what that means (as with the SDK).
    const parsed: unknown = text.trim() === '' ? {} : JSON.parse(text);
    return (parsed && typeof parsed === 'object' ? parsed : {}) as GetParametersByPathCommandOutput;
  }

  return async (input, signal) => {
    const body = JSON.stringify(input);
    let totalRetryDelay = 0;
    for (let attempts = 1; ; attempts++) {
      try {
        const page = await attempt(body, signal);
        return { ...page, $metadata: { httpStatusCode: 200, attempts, totalRetryDelay } };
      } catch (err) {
        if (err instanceof SsmServiceError) Object.assign(err.$metadata, { attempts, totalRetryDelay });
        if (signal.aborted || attempts >= maxAttempts || !isRetryable(err)) throw err;
        const base = isThrottling(err) ? THROTTLING_RETRY_BASE_MS : RETRY_BASE_MS;
        const delay = Math.floor(Math.min(MAX_RETRY_DELAY_MS, random() * 2 ** attempts * base));
        totalRetryDelay += delay;
        await sleep(delay, signal);
      }
    }
  };
}

/** One request and its whole body, with a connection timeout and an idle timeout. */
function exchange(
  transport: typeof import('node:http'),
  requestOptions: RequestOptions,
  body: string,
  options: LightClientOptions,
): Promise<{ status: number; headers: IncomingMessage['headers']; text: string }> {
  return new Promise((resolve, reject) => {
    let connectTimer: NodeJS.Timeout | undefined;
    const req: ClientRequest = transport.request(requestOptions, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
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
          () => req.destroy(new SsmTimeoutError(`connection to Parameter Store not established within ${options.connectionTimeoutMs} ms (connection timeout)`)),
          options.connectionTimeoutMs,
        );
        socket.once(requestOptions.agent && (requestOptions.agent as { protocol?: string }).protocol === 'https:' ? 'secureConnect' : 'connect', () =>
          clearTimeout(connectTimer),
        );
      }
    });
    req.setTimeout(options.requestTimeoutMs, () =>
      req.destroy(new SsmTimeoutError(`no answer from Parameter Store within ${options.requestTimeoutMs} ms (request timeout)`)),
    );
    req.end(body);
  });
}
