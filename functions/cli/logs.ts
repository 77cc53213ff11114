import { CloudWatchLogsClient, FilterLogEventsCommand, type FilterLogEventsCommandOutput } from '@aws-sdk/client-cloudwatch-logs';
import { DENIAL_MESSAGE } from '../aws/denial-line';
import { awsTimeouts } from './aws-timeouts';
import { clientConfig, describeAwsError, type AwsClientOptions } from './ssm';

/**
 * Reads log events from CloudWatch Logs with FilterLogEvents, page by page,
 * politely: one request at a time, a pause between pages, a bound on pages.
 * Region, credentials and endpoint come from the usual places (AWS_REGION,
 * AWS_PROFILE, ~/.aws, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS or AWS_ENDPOINT_URL).
 */
export function createLogsClient(options: AwsClientOptions = {}): CloudWatchLogsClient {
  return new CloudWatchLogsClient(clientConfig(options, 'logsRequestTimeoutMs'));
}

export interface ReadOptions {
  readonly logGroup: string;
  readonly startTime: number;
  readonly endTime?: number;
  /** CloudWatch Logs filter pattern; the denial lines all contain this phrase. */
  readonly filterPattern?: string;
  /** Events per page (FilterLogEvents `limit`, at most 10,000). Default 1000. */
  readonly pageSize?: number;
  /** Stop after this many pages (the report then says it is partial). Default 100. */
  readonly maxPages?: number;
  /** Pause between pages, ms. Default 200. */
  readonly pauseMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface ReadResult {
  readonly pages: number;
  /** True when maxPages stopped the reading before the end. */
  readonly truncated: boolean;
}

export const DENIAL_FILTER_PATTERN = `"${DENIAL_MESSAGE}"`;

const LOGS_HINTS: Record<string, string> = {
  ResourceNotFoundException:
    "no such log group in this region; the preflight function's group is /aws/lambda/<stack name>-preflight (see the stack's resources)",
  AccessDeniedException: 'the credentials in use may not read this log group; allow logs:FilterLogEvents on it',
  ThrottlingException: 'CloudWatch Logs is throttling FilterLogEvents for this account; the SDK already retried, so wait, or narrow --since',
  ExpiredTokenException: 'the session credentials have expired; log in again (e.g. aws sso login)',
  UnrecognizedClientException: 'the access key is not valid; check AWS_PROFILE or the credentials in use',
  CredentialsProviderError: 'no AWS credentials found; set AWS_PROFILE or pass --profile, or export credentials',
  RegionMissing: 'no AWS region configured; set AWS_REGION, use a profile with a region, or pass --region',
  ECONNREFUSED: 'nothing is listening at the endpoint; check AWS_ENDPOINT_URL_CLOUDWATCH_LOGS / AWS_ENDPOINT_URL',
  ENOTFOUND: 'the endpoint host name does not resolve; check the region and AWS_ENDPOINT_URL_CLOUDWATCH_LOGS',
  TimeoutError: 'the endpoint did not answer in time; check the network, the region and AWS_ENDPOINT_URL_CLOUDWATCH_LOGS',
};

function logsError(err: unknown, logGroup: string): ReturnType<typeof describeAwsError> {
  const endpoint = process.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS ?? process.env.AWS_ENDPOINT_URL ?? 'the regional CloudWatch Logs endpoint';
  return describeAwsError(err, 'FilterLogEvents', logGroup, { hints: LOGS_HINTS, endpoint });
}

/** Calls `onEvent` for every matching event, oldest pages first, as FilterLogEvents returns them. */
export async function readLogEvents(
  client: Pick<CloudWatchLogsClient, 'send'>,
  options: ReadOptions,
  onEvent: (message: string, timestamp: number | undefined) => void,
): Promise<ReadResult> {
  const pageSize = options.pageSize ?? 1000;
  const maxPages = options.maxPages ?? 100;
  const pauseMs = options.pauseMs ?? 200;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let token: string | undefined;
  let pages = 0;
  do {
    if (pages > 0 && pauseMs > 0) await sleep(pauseMs);
    let page: FilterLogEventsCommandOutput;
    try {
      page = await client.send(
        new FilterLogEventsCommand({
          logGroupName: options.logGroup,
          startTime: options.startTime,
          ...(options.endTime !== undefined ? { endTime: options.endTime } : {}),
          ...(options.filterPattern ? { filterPattern: options.filterPattern } : {}),
          limit: pageSize,
          ...(token ? { nextToken: token } : {}),
        }),
        { abortSignal: AbortSignal.timeout(awsTimeouts().deadlineMs) },
      );
    } catch (err) {
      throw logsError(err, options.logGroup);
    }
    pages++;
    for (const e of page.events ?? []) if (typeof e.message === 'string') onEvent(e.message, e.timestamp);
    // A page may be empty while the token continues (the service searched a slice of time).
    token = page.nextToken;
  } while (token && pages < maxPages);
  return { pages, truncated: token !== undefined };
}
