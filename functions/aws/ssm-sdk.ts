/**
 * The full `@aws-sdk/client-ssm` client, for every environment the light
 * client does not cover (functions/aws/ssm-light-client.ts). The preflight
 * bundle and the layer load this module from a file next to them
 * (`ssm-sdk.js`), only when needed, so a cold start on the common path never
 * loads or compiles the SDK.
 */
import { GetParameterHistoryCommand, GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { clientTimeouts } from './config';
import type { HistorySender } from './parameter-history';
import type { PageSender } from './parameters-by-path';

/**
 * Creates the SSM client once per container. Timeouts are explicit because the
 * SDK's are off by default: a hung connection must cost at most the budget.
 * The endpoint comes from the standard `AWS_ENDPOINT_URL_SSM`.
 */
export function createSsmClient(loadBudgetMs: number): SSMClient {
  const { connectionTimeoutMs, requestTimeoutMs } = clientTimeouts(loadBudgetMs);
  return new SSMClient({
    maxAttempts: 3,
    requestHandler: { connectionTimeout: connectionTimeoutMs, requestTimeout: requestTimeoutMs, throwOnRequestTimeout: true },
  });
}

/** GetParametersByPath pages through an SDK client (the store's own, or one a test passes in). */
export function sdkPageSender(client: Pick<SSMClient, 'send'>): PageSender {
  return (input, signal) => client.send(new GetParametersByPathCommand(input), { abortSignal: signal });
}

/**
 * GetParameterHistory through an SDK client. Only parameters whose current
 * value does not validate need it, which is rare, so it always takes the full
 * client: the light client signs GetParametersByPath only.
 */
export function sdkHistorySender(client: Pick<SSMClient, 'send'>): HistorySender {
  return (input, signal) => client.send(new GetParameterHistoryCommand(input), { abortSignal: signal });
}
