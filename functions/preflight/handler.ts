import type { Context } from 'aws-lambda';
import { compilePolicySet, type PolicySet } from '../core/policy-set';
import type { CorsRequest } from '../core/request';
import { defaultStore } from '../aws/default-store';
import { PREFLIGHT_SERVICE } from '../aws/denial-line';
import { corsRequestFromEvent, type ApiGatewayEvent } from '../aws/event';
import { defaultMetrics } from '../aws/metrics';
import { answerPreflight, clip, type PreflightResult } from '../aws/preflight-response';
import { logPublicSuffixListProblem } from '../aws/public-suffix-log';
import { preflightAnswer } from '../core/preflight-answer';

export type { PreflightResult } from '../aws/preflight-response';

/** `CORS_DEBUG=true` adds the deny reason to denied responses (visible in the browser's network panel). */
const debug = process.env.CORS_DEBUG === 'true';

/**
 * Lambda fails an init phase that takes longer than 10 s; the load budget may
 * be set up to 20 s, so init waits at most this long and the first request
 * awaits whatever is still in flight.
 */
const INIT_WAIT_LIMIT_MS = 8000;

/** A throwaway policy with a wildcard origin: compiling it loads what a real one needs (the Public Suffix List). */
const WARM_UP_POLICY = JSON.stringify({
  route: '/{proxy+}',
  allowOrigins: ['https://*.example.com'],
  allowMethods: ['GET', 'PUT'],
  allowHeaders: ['content-type'],
});
const WARM_UP_EVENTS = [
  {
    httpMethod: 'OPTIONS',
    path: '/warm-up',
    resource: '/{proxy+}',
    pathParameters: { proxy: 'warm-up' },
    headers: { Origin: 'https://a.example.com', 'Access-Control-Request-Method': 'PUT' },
  },
  {
    version: '2.0',
    rawPath: '/warm-up',
    pathParameters: { proxy: 'warm-up' },
    headers: { origin: 'https://a.example.com', 'access-control-request-method': 'PUT' },
    requestContext: { http: { method: 'OPTIONS' } },
  },
] as unknown as ApiGatewayEvent[];

/**
 * Runs the request path once per payload version on a throwaway policy, in
 * the init phase: V8 compiles it and the engine loads its data then, not
 * during the first request. Pure: nothing is kept or logged.
 */
function warmUpEngine(): void {
  try {
    const set = compilePolicySet([{ source: 'warm-up', value: WARM_UP_POLICY, type: 'String' }]);
    // The request path as a request takes it, minus what a real request would record (no logger, metrics or store).
    for (const event of WARM_UP_EVENTS) answerPreflight(set, corsRequestFromEvent(event), {});
  } catch {
    // Only an optimisation: the real request path reports its own errors.
  }
}

/**
 * Loads and compiles the policies before the first request: the ES module
 * entry (`index.mjs`, written by scripts/build.mjs) awaits it at top level, so
 * Lambda runs it in the init phase and the first request finds the policies
 * compiled. Never rejects; bounded by the load budget
 * (`CORS_POLICY_LOAD_BUDGET_MS`) and by {@link INIT_WAIT_LIMIT_MS}. A failure is
 * logged, and the first request tries again.
 */
export async function init(): Promise<void> {
  const runtime = defaultStore(PREFLIGHT_SERVICE);
  if (!runtime.ok) {
    runtime.logger.error('configuration error; denying every preflight', { error: runtime.error });
    logPublicSuffixListProblem(runtime.logger);
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, INIT_WAIT_LIMIT_MS);
  });
  try {
    const loading = runtime.store.warmUp();
    // The request is on its way: compile while Parameter Store answers.
    await new Promise<void>((resolve) => setImmediate(resolve));
    warmUpEngine();
    // The warm-up has read and checked the list (once per instance): say so now if it is unusable.
    logPublicSuffixListProblem(runtime.logger);
    // Created while Parameter Store answers, not by the first request.
    defaultMetrics(PREFLIGHT_SERVICE, runtime.logger);
    await Promise.race([loading, limit]);
  } catch (error) {
    // warmUp never rejects by design; if it ever does, init must still succeed.
    runtime.logger.error('policy preload failed unexpectedly', { error });
  } finally {
    clearTimeout(timer);
  }
}

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
  const runtime = defaultStore(PREFLIGHT_SERVICE);
  const metrics = defaultMetrics(PREFLIGHT_SERVICE, runtime.logger);
  const store = runtime.ok ? runtime.store : undefined;
  const requestId = context?.awsRequestId;
  let request: CorsRequest | undefined;
  try {
    request = corsRequestFromEvent(event ?? ({} as ApiGatewayEvent));
    if (request.origin === undefined || request.requestMethod === undefined) {
      if (runtime.logger.enabled('DEBUG')) runtime.logger.debug('not a preflight', { path: clip(request.path), origin: clip(request.origin), requestId });
      return preflightAnswer({ kind: 'not-preflight' });
    }
    let set: PolicySet | undefined;
    if (runtime.ok) set = runtime.store.fresh() ?? (await runtime.store.current());
    else runtime.logger.error('configuration error; denying every preflight', { error: runtime.error, requestId });
    return answerPreflight(set, request, { logger: runtime.logger, requestId, debug, metrics, store });
  } catch (error) {
    runtime.logger.error('unexpected error; denying', {
      error,
      path: clip(request?.path),
      origin: clip(request?.origin),
      requestId,
      ...metrics.denied('internal_error', store),
    });
    return preflightAnswer({ kind: 'denied', reason: 'internal_error', detail: 'unexpected error, see the function logs' }, { debug });
  }
}
