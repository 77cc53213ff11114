/**
 * GetParametersByPath without the SDK client: one JSON request signed with the
 * SDK's own Signature V4 signer (`@smithy/signature-v4`) over node:http(s),
 * sent as the light S3 client sends its GET (functions/aws/signed-request.ts).
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
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { GetParametersByPathCommandOutput } from '@aws-sdk/client-ssm';
import type { PageSender } from './parameters-by-path';
import { createSignedSender, sdkEnvironment, type Answer, type AwsCredentials, type RetryKind, type SignedClientOptions } from './signed-request';

/** Everything the light client needs, read once from the environment. */
export interface LightClientSettings {
  readonly region: string;
  readonly endpoint: URL;
  readonly credentials: AwsCredentials;
  /** `AWS_SDK_UA_APP_ID`: sent in the user agent as `app/<id>`, as the SDK sends it. */
  readonly appId?: string;
}

/** Timeouts and attempts of {@link createLightPageSender}. */
export type LightClientOptions = SignedClientOptions;

/** The regions of the `aws` partition, as the SDK's partition table matches them (not cn-, us-gov-, iso). */
const AWS_PARTITION_REGION = /^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/;

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
  const sdk = sdkEnvironment(env, 'SSM');
  const { credentials } = sdk;
  if (!credentials || env.AWS_PROFILE) return undefined;
  const region = env.AWS_REGION;
  if (!region || !AWS_PARTITION_REGION.test(region)) return undefined;
  if (sdk.fips || sdk.dualStack) return undefined;
  if (env.AWS_MAX_ATTEMPTS || (env.AWS_RETRY_MODE && env.AWS_RETRY_MODE !== 'standard')) return undefined;
  // node:os only when HOME is unset (Lambda sets it): one built-in module less on a cold start.
  const home = env.HOME || (require('node:os') as typeof import('node:os')).homedir();
  if (existsSync(env.AWS_CONFIG_FILE || join(home, '.aws', 'config'))) return undefined;
  let endpoint: URL;
  try {
    endpoint = new URL(sdk.endpoint ?? `https://ssm.${region}.amazonaws.com`);
  } catch {
    return undefined; // the SDK reports a malformed endpoint in its own words
  }
  if (endpoint.protocol !== 'https:' && endpoint.protocol !== 'http:') return undefined;
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

/** Throttling, then the SDK's transient statuses and names; timeouts and network errors are the shared sender's. */
function retryKind(err: unknown): RetryKind | undefined {
  if (!(err instanceof SsmServiceError)) return undefined;
  if (THROTTLING.has(err.name) || err.$metadata.httpStatusCode === 429) return 'throttling';
  return TRANSIENT_STATUS.has(err.$metadata.httpStatusCode) || TRANSIENT_NAMES.has(err.name) ? 'transient' : undefined;
}

/** The error in a non-2xx answer: the name from `x-amzn-errortype` or `__type`, as the SDK's JSON protocol reads it. */
function serviceError(status: number, headers: Answer['headers'], body: string): SsmServiceError {
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

/**
 * A {@link PageSender} for GetParametersByPath over node:http(s), signed with
 * Signature V4. One keep-alive agent per sender so that the pages of one
 * refresh share a connection.
 */
export function createLightPageSender(settings: LightClientSettings, options: LightClientOptions): PageSender {
  const { endpoint, region, credentials, appId } = settings;
  const send = createSignedSender(
    {
      service: 'ssm',
      label: 'Parameter Store',
      region,
      credentials,
      url: endpoint,
      maxSockets: 4,
      uriEscapePath: true,
      applyChecksum: false,
      api: 'ssm',
      ...(appId ? { appId } : {}),
      retryKind,
    },
    options,
  );
  const path = endpoint.pathname || '/';
  const recordAttempts = (err: unknown, attempts: number, totalRetryDelay: number) => {
    if (err instanceof SsmServiceError) Object.assign(err.$metadata, { attempts, totalRetryDelay });
  };

  return async (input, signal) => {
    const body = JSON.stringify(input);
    const headers = {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AmazonSSM.GetParametersByPath',
      'content-length': String(Buffer.byteLength(body)),
    };
    const { result, attempts, totalRetryDelay } = await send({ method: 'POST', path, headers, body }, signal, page, recordAttempts);
    return { ...result, $metadata: { httpStatusCode: 200, attempts, totalRetryDelay } };
  };
}

/** A 2xx answer's page, else its error. */
function page({ status, headers, text }: Answer): GetParametersByPathCommandOutput {
  if (status < 200 || status > 299) throw serviceError(status, headers, text);
  // An empty or null body is a page without Parameters; the pager decides what that means (as with the SDK).
  const parsed: unknown = text.trim() === '' ? {} : JSON.parse(text);
  return (parsed && typeof parsed === 'object' ? parsed : {}) as GetParametersByPathCommandOutput;
}
