import type { APIGatewayProxyResult, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { decidePreflight, type PreflightDecision } from '../core/preflight';
import { preflightAnswer, type PreflightAnswer } from '../core/preflight-answer';
import type { PolicySet } from '../core/policy-set';
import type { CorsRequest } from '../core/request';
import { DENIAL_MESSAGE, type DenialFields } from './denial-line';
import type { Logger } from './logger';
import type { ContainerMetrics, ObservedStore } from './metrics';

/**
 * The preflight answer for API Gateway: the engine's decision, logged and
 * counted, turned into the answer core/preflight-answer.ts builds. Shared by
 * the preflight function and the layer's `withCors`, so that a preflight
 * answered by the API's own function (a more specific route) is byte for byte
 * the preflight function's answer.
 */

/** A preflight answer: valid for payload v1 and v2, every header value a string. */
export type PreflightResult = APIGatewayProxyResult & APIGatewayProxyStructuredResultV2 & PreflightAnswer;

/** Options of {@link answerPreflight}. */
export interface AnswerOptions {
  /** Where the denial line goes; none: not logged. */
  readonly logger?: Logger | undefined;
  readonly requestId?: string | undefined;
  /** Adds `X-Cors-Deny-Reason` to denials (`CORS_DEBUG=true`). Default false. */
  readonly debug?: boolean;
  /** Counts allowed preflights and carries each denial's metrics on its log line; none: no metrics. */
  readonly metrics?: ContainerMetrics | undefined;
  /** The store whose refreshes and policy age the metrics report. */
  readonly store?: (ObservedStore & { readonly checkedAt?: number | undefined }) | undefined;
}

/** True for a CORS preflight: `OPTIONS` with both `Origin` and `Access-Control-Request-Method`. */
export function isPreflight(request: CorsRequest): boolean {
  return request.method === 'OPTIONS' && request.origin !== undefined && request.requestMethod !== undefined;
}

/** Request values are attacker-controlled: log enough to diagnose, never kilobytes. */
const LOGGED_VALUE_LIMIT = 256;
export function clip(value: string | undefined): string | undefined {
  return value !== undefined && value.length > LOGGED_VALUE_LIMIT ? `${value.slice(0, LOGGED_VALUE_LIMIT)}...(${value.length} chars)` : value;
}

function logDenial(
  logger: Logger,
  request: CorsRequest,
  decision: Extract<PreflightDecision, { kind: 'denied' }>,
  requestId: string | undefined,
  metrics: Record<string, unknown> | undefined,
): void {
  // The shape `cors-policy denials` accepts (functions/aws/denial-line.ts).
  const fields: DenialFields = {
    reason: decision.reason,
    detail: clip(decision.detail),
    path: clip(request.path),
    // The policy's own routes: not request data, but a 4 KB policy may list many; the logger bounds the line.
    route: decision.policy?.document.route,
    policy: decision.policy?.source,
    origin: clip(request.origin),
    method: clip(request.requestMethod),
    requestHeaders: clip(request.requestHeaders),
    requestId,
  };
  logger.info(DENIAL_MESSAGE, { ...fields, ...metrics });
}

/**
 * Decides `request` against `set` and builds the answer: 204 with the route's
 * full allowed methods and headers, or 403 with no `Access-Control-*` header
 * and one log line with the reason. `set` undefined (no policies could be
 * loaded) denies: fail closed.
 */
export function answerPreflight(set: PolicySet | undefined, request: CorsRequest, options: AnswerOptions): PreflightResult {
  const { logger, requestId, metrics, store } = options;
  const decision = decidePreflight(set, request);
  if (decision.kind === 'allowed') {
    // Fields are built only when the line is written: this is the hot path.
    if (logger?.enabled('DEBUG'))
      logger.debug('preflight allowed', {
        path: clip(request.path),
        policy: decision.policy.source,
        origin: clip(request.origin),
        method: clip(request.requestMethod),
        requestId,
      });
    metrics?.count('PreflightsAllowed');
    // The store read the clock when this request asked for its policies: reuse that reading.
    metrics?.settle(store, store?.checkedAt);
  } else if (decision.kind === 'denied') {
    const metricFields = metrics?.denied(decision.reason, store);
    if (logger?.enabled('INFO')) logDenial(logger, request, decision, requestId, metricFields);
  }
  // `options` carries `debug`: passed as it is, so no object is made per request.
  return preflightAnswer(decision, options);
}
