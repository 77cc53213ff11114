import { DeleteParametersCommand, GetParameterHistoryCommand, GetParametersByPathCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { readParameterHistory } from '../aws/parameter-history';
import { MalformedResponseError, listParametersByPath, type ListedParameter } from '../aws/parameters-by-path';
import { checkEntry, type PolicyEntry, type StoredVersion } from '../core/policy-set';
import { awsTimeouts, type AwsTimeouts } from './aws-timeouts';
import { AwsError, oneLine } from './errors';

/**
 * The few Parameter Store calls the CLI makes, each turning any failure into
 * an {@link AwsError} with one readable line.
 */

/** Where an AWS client of the CLI works: the --region and --profile given. */
export interface AwsClientOptions {
  readonly region?: string;
  readonly profile?: string;
}

/** One parameter as listed under the path. */
export type RemoteParameter = ListedParameter;

/**
 * The settings of every AWS client the CLI makes (Parameter Store, CloudWatch
 * Logs, API Gateway): the --region and --profile given, if any. Timeouts are
 * explicit because the SDK's are off by default: an unreachable endpoint must
 * fail in seconds, not hang. Three attempts let the SDK ride out a brief
 * throttle. `attempt` names the per-attempt timeout that suits the calls.
 */
export function clientConfig(options: AwsClientOptions, attempt: keyof Pick<AwsTimeouts, 'requestTimeoutMs' | 'logsRequestTimeoutMs'> = 'requestTimeoutMs') {
  const t = awsTimeouts();
  return {
    ...(options.region ? { region: options.region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    maxAttempts: 3,
    requestHandler: { connectionTimeout: t.connectionTimeoutMs, requestTimeout: t[attempt], throwOnRequestTimeout: true },
  };
}

/** Region, credentials and endpoint come from the usual places (AWS_REGION, AWS_PROFILE, ~/.aws, AWS_ENDPOINT_URL_SSM). */
export function createClient(options: AwsClientOptions = {}): SSMClient {
  return new SSMClient(clientConfig(options));
}

/** Every parameter under `path`, recursively, sorted by name (the shared pager refuses malformed pages). */
export async function listParameters(client: SSMClient, path: string): Promise<RemoteParameter[]> {
  let listed: RemoteParameter[];
  try {
    listed = await listParametersByPath(path, (input) =>
      call('GetParametersByPath', path, (abortSignal) => client.send(new GetParametersByPathCommand(input), { abortSignal })),
    );
  } catch (err) {
    if (err instanceof MalformedResponseError) throw new AwsError(`${err.message}; nothing was changed`, 'MalformedResponse', { cause: err });
    throw err;
  }
  return listed.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Listed parameters as the Lambda sees them: for each whose current value
 * does not validate, its stored versions too (GetParameterHistory), so the
 * engine picks the same earlier version the Lambda serves.
 */
export async function policyEntries(client: SSMClient, listed: readonly RemoteParameter[]): Promise<PolicyEntry[]> {
  const entries: PolicyEntry[] = [];
  for (const p of listed) {
    const entry: PolicyEntry = { source: p.name, value: p.value, type: p.type, ...(p.version !== undefined ? { version: p.version } : {}) };
    if ('policy' in checkEntry(entry)) {
      entries.push(entry);
      continue;
    }
    let history: StoredVersion[] | undefined;
    try {
      history = await readParameterHistory(p.name, (input) =>
        call('GetParameterHistory', p.name, (abortSignal) => client.send(new GetParameterHistoryCommand(input), { abortSignal })),
      );
    } catch (err) {
      if (err instanceof MalformedResponseError) throw new AwsError(`${err.message}; nothing was changed`, 'MalformedResponse', { cause: err });
      throw err;
    }
    entries.push(history ? { ...entry, history } : entry);
  }
  return entries;
}

export async function putParameter(client: SSMClient, name: string, value: string): Promise<number | undefined> {
  const result = await call('PutParameter', name, (abortSignal) =>
    client.send(new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true }), { abortSignal }),
  );
  return result.Version;
}

/** DeleteParameters takes at most 10 names a call. */
export const DELETE_BATCH = 10;

/** Deletes in batches of 10; reports names that were already gone. `onBatch` sees each batch as it completes. */
export async function deleteParameters(
  client: SSMClient,
  names: readonly string[],
  onBatch?: (deleted: readonly string[]) => void,
): Promise<{ deleted: string[]; missing: string[] }> {
  const deleted: string[] = [];
  const missing: string[] = [];
  for (let i = 0; i < names.length; i += DELETE_BATCH) {
    const batch = names.slice(i, i + DELETE_BATCH);
    const result = await call('DeleteParameters', batch.join(', '), (abortSignal) =>
      client.send(new DeleteParametersCommand({ Names: batch }), { abortSignal }),
    );
    deleted.push(...(result.DeletedParameters ?? []));
    missing.push(...(result.InvalidParameters ?? []));
    onBatch?.(result.DeletedParameters ?? []);
  }
  return { deleted, missing };
}

/**
 * One AWS call (its retries included) under the deadline of {@link awsTimeouts}; any
 * failure becomes one {@link AwsError} line through `describe`, a missed
 * deadline as a `TimeoutError`. Shared by the Parameter Store, API Gateway and
 * CloudWatch Logs calls of the CLI.
 */
export async function callWithDeadline<T>(
  describe: (err: unknown, operation: string, target: string) => AwsError,
  operation: string,
  target: string,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const { deadlineMs } = awsTimeouts();
  const signal = AbortSignal.timeout(deadlineMs);
  try {
    return await fn(signal);
  } catch (err) {
    if (signal.aborted)
      throw describe(
        Object.assign(new Error(`no answer within ${deadlineMs / 1000} s, retries included`), { name: 'TimeoutError', cause: err }),
        operation,
        target,
      );
    throw describe(err, operation, target);
  }
}

function call<T>(operation: string, target: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  return callWithDeadline(describeAwsError, operation, target, fn);
}

/** Advice for the errors people actually meet, keyed by AWS or network error code. */
const HINTS: Record<string, string> = {
  AccessDeniedException:
    'the credentials in use are not allowed to do this; check the IAM policy for ssm:GetParametersByPath, ssm:GetParameterHistory, ssm:PutParameter and ssm:DeleteParameters on this path',
  ThrottlingException:
    'Parameter Store is throttling this account and region (about 40 requests a second by default); the SDK already retried, so wait and run the command again',
  ParameterNotFound: 'the parameter does not exist',
  ParameterLimitExceeded: 'the region holds the maximum number of Standard parameters (10,000)',
  TooManyUpdates: 'the parameter is being changed by someone else right now; run the command again',
  UnrecognizedClientException: 'the access key is not valid; check AWS_PROFILE or the credentials in use',
  InvalidSignatureException: 'the request signature was refused; check the secret key and the clock',
  ExpiredTokenException: 'the session credentials have expired; log in again (e.g. aws sso login)',
  CredentialsProviderError: 'no AWS credentials found; set AWS_PROFILE or pass --profile, or export credentials',
  ECONNREFUSED: 'nothing is listening at the endpoint; check AWS_ENDPOINT_URL_SSM / AWS_ENDPOINT_URL',
  ENOTFOUND: 'the endpoint host name does not resolve; check the region and AWS_ENDPOINT_URL_SSM',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'the endpoint did not answer in time; check the network, the region and AWS_ENDPOINT_URL_SSM',
  TimeoutError: 'the endpoint did not answer in time; check the network, the region and AWS_ENDPOINT_URL_SSM',
  RegionMissing: 'no AWS region configured; set AWS_REGION, use a profile with a region, or pass --region',
};

function endpointDescription(): string {
  return process.env.AWS_ENDPOINT_URL_SSM ?? process.env.AWS_ENDPOINT_URL ?? 'the regional SSM endpoint';
}

/** One line that says what was attempted, what failed and what to do; another service passes its own hints and endpoint. */
export function describeAwsError(
  err: unknown,
  operation: string,
  target: string,
  service: { hints: Record<string, string>; endpoint: string } = { hints: HINTS, endpoint: endpointDescription() },
): AwsError {
  const e = err as { name?: string; code?: string; message?: string; errors?: unknown[]; $metadata?: { httpStatusCode?: number } };
  // Node reports a refused dual-stack connection as an AggregateError of per-address errors.
  const inner = Array.isArray(e?.errors) && e.errors.length > 0 ? (e.errors[0] as { code?: string; message?: string }) : undefined;
  let code = inner?.code ?? e?.code ?? e?.name ?? 'Error';
  let message = e?.message || inner?.message || String(err);
  if (/region is missing/i.test(message)) code = 'RegionMissing';
  if (code === 'Error' || code === 'TypeError') code = /timed? ?out/i.test(message) ? 'TimeoutError' : code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'TimeoutError' || code === 'ECONNRESET')
    message = `${message} (endpoint: ${service.endpoint})`;
  const hint = service.hints[code];
  const status = e?.$metadata?.httpStatusCode ? ` [HTTP ${e.$metadata.httpStatusCode}]` : '';
  const text = oneLine(`${operation} ${target} failed: ${code}: ${message}${status}${hint ? ` - ${hint}` : ''}`);
  return new AwsError(text, code, { cause: err });
}
