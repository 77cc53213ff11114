import type { Context } from 'aws-lambda';
import type { PolicySet } from '../core/policy-set';
import type { CorsRequest } from '../core/request';
import { defaultStore } from '../aws/default-store';
import { corsRequestFromEvent, type ApiGatewayEvent } from '../aws/event';
import { defaultMetrics } from '../aws/metrics';
import { answerPreflight, clip, deniedResponse, notPreflightResponse, type PreflightResult } from '../aws/preflight-response';

export type { PreflightResult } from '../aws/preflight-response';

/** `CORS_DEBUG=true` adds the deny reason to denied responses (visible in the browser's network panel). */
const debug = process.env.CORS_DEBUG === 'true';

/**
 * Answers CORS preflights for `OPTIONS /{proxy+}` and `OPTIONS /`.
 *
 * - Preflight allowed: 204 with the route's full allowed methods and headers.
 * - Preflight denied: 403 with no `Access-Control-*` header and one log line with the reason.
 * - OPTIONS that is not a preflight (no `Origin` or no `Access-Control-Request-Method`):
 *   204 with `Vary` only; no policy is consulted.
 * - Never throws: an unexpected error is logged and answered as a denial (fail closed).
 *
 * The layer's `withCors` answers preflights that reach the API's own functions
 * with the same code (functions/aws/preflight-response.ts).
 */
export async function handler(event: ApiGatewayEvent, context?: Pick<Context, 'awsRequestId'>): Promise<PreflightResult> {
  const runtime = defaultStore('cors-preflight');
  const metrics = defaultMetrics('cors-preflight', runtime.logger);
  const store = runtime.ok ? runtime.store : undefined;
  const requestId = context?.awsRequestId;
  let request: CorsRequest | undefined;
  try {
    request = corsRequestFromEvent(event ?? ({} as ApiGatewayEvent));
    if (request.origin === undefined || request.requestMethod === undefined) {
      runtime.logger.debug('not a preflight', { path: request.path, origin: request.origin, requestId });
      return notPreflightResponse();
    }
    let set: PolicySet | undefined;
    if (runtime.ok) set = runtime.store.fresh() ?? (await runtime.store.current());
    else runtime.logger.error('configuration error; denying every preflight', { error: runtime.error, requestId });
    return answerPreflight(set, request, { logger: runtime.logger, requestId, debug, metrics, store });
  } catch (error) {
    runtime.logger.error('unexpected error; denying', { error, path: clip(request?.path), origin: clip(request?.origin), requestId, ...metrics.denied('internal_error', store) });
    return deniedResponse('internal_error', 'unexpected error, see the function logs', debug);
  }
}
