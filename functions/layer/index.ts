import type {
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyResult,
  APIGatewayProxyResultV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { actualResponseHeaders } from '../core/actual';
import type { PolicySet } from '../core/policy-set';
import { defaultStore } from '../aws/default-store';
import { LAYER_SERVICE } from '../aws/denial-line';
import { corsRequestFromEvent, isV2, readHeader, requestMethod, routePath, type ApiGatewayEvent } from '../aws/event';
import { createLogger, type Logger } from '../aws/logger';
import { defaultMetrics, type ContainerMetrics, type ObservedStore } from '../aws/metrics';
import { answerPreflight, isPreflight } from '../aws/preflight-response';
import { logPublicSuffixListProblem } from '../aws/public-suffix-log';

/** Where the policies come from: anything with the store's `current()`. */
export interface PolicySource {
  current(): Promise<PolicySet | undefined>;
  /** The set when no refresh is due (optional): saves a promise per call. */
  fresh?(): PolicySet | undefined;
}

/** Options of {@link withCors} and {@link corsHeaders}. */
export interface CorsOptions {
  /**
   * The policies to apply. Default: the container's store, configured like the
   * preflight function from `CORS_POLICY_PATH`, `CORS_POLICY_TTL_SECONDS` and
   * `CORS_POLICY_LOAD_BUDGET_MS` (and, in snapshot mode, `CORS_SNAPSHOT_BUCKET`,
   * `CORS_SNAPSHOT_KEY`, `CORS_SNAPSHOT_MAX_AGE_SECONDS`: docs/fleet.md),
   * created on first use and shared by every call.
   */
  readonly source?: PolicySource;
  /**
   * Whether {@link withCors} answers CORS preflights (`OPTIONS` with `Origin`
   * and `Access-Control-Request-Method`) itself, with exactly the preflight
   * function's decision and headers (204 or 403), without calling the wrapped
   * handler. Such preflights reach an API's own function when a more specific
   * route (`ANY /products/{id}`, or an `OPTIONS` method) shadows the
   * preflight function's `/{proxy+}` route. Set `false` for a function that
   * answers `OPTIONS` itself. Default: true.
   */
  readonly answerPreflights?: boolean;
}

/** `CORS_DEBUG=true` adds the deny reason to preflights the layer denies, as the preflight function does. */
const debug = process.env.CORS_DEBUG === 'true';

type AnyResult = APIGatewayProxyResult | APIGatewayProxyResultV2 | undefined | null;
/** An async API Gateway handler (payload v1 or v2). Callback-style handlers are not supported (nodejs24.x dropped them too). */
export type ApiHandler<TEvent extends ApiGatewayEvent, TResult extends AnyResult> = (event: TEvent, context: Context) => Promise<TResult>;

/**
 * What the wrapped handler returns: the handler's result with headers added;
 * under payload v2 a simplified result (string, or object without
 * `statusCode`) comes back as the structured response API Gateway would build.
 */
export type CorsResult<TEvent, TResult> = TResult extends undefined | null
  ? TResult
  : TEvent extends APIGatewayProxyEventV2
    ? APIGatewayProxyStructuredResultV2 & { headers: CorsResultHeaders }
    : TResult extends string
      ? TResult
      : TResult & { headers: CorsResultHeaders };

type CorsResultHeaders = { [header: string]: string | number | boolean };

const SERVICE = LAYER_SERVICE;

// Checked once per instance, when the function's code loads (its init phase): a
// missing or damaged Public Suffix List file refuses every wildcard origin, so
// say so now, whether or not a policy has one today.
logPublicSuffixListProblem(createLogger({ service: SERVICE }));

interface Resolved {
  source?: PolicySource;
  logger?: Logger;
  /** The container's metrics, when the policies come from the container's store. */
  metrics?: ContainerMetrics;
  store?: ObservedStore;
}

function resolveSource(options: CorsOptions | undefined): Resolved {
  if (options?.source) return { source: options.source };
  const runtime = defaultStore(SERVICE);
  const metrics = defaultMetrics(SERVICE, runtime.logger);
  if (runtime.ok) return { source: runtime.store, logger: runtime.logger, metrics, store: runtime.store };
  runtime.logger.error('configuration error; responses get no CORS headers', { error: runtime.error });
  return { logger: runtime.logger, metrics };
}

/** Counts a request that carried an Origin by whether its response allows it, then flushes if due. */
function measure(resolved: Resolved, origin: string | undefined, allowed: boolean): void {
  const { metrics } = resolved;
  if (!metrics) return;
  if (allowed) metrics.count('ActualAllowed');
  else if (origin !== undefined) metrics.count('ActualDenied');
  metrics.settle(resolved.store);
}

/** Never rejects: a Parameter Store outage must not turn a working response into an error. */
async function loadSet(source: PolicySource | undefined, logger: Logger | undefined): Promise<PolicySet | undefined> {
  if (!source) return undefined;
  try {
    return await source.current();
  } catch (error) {
    logger?.error('policies unavailable; responding without CORS headers', { error });
    return undefined;
  }
}

function headersFor(event: ApiGatewayEvent, set: PolicySet | undefined, resolved?: Resolved): Record<string, string> {
  const origin = readHeader(event, 'origin', 'Origin');
  const answer = actualResponseHeaders(set, { method: requestMethod(event), path: routePath(event), origin });
  if (resolved) measure(resolved, origin, answer.allowed);
  return answer.headers;
}

/**
 * The CORS headers for the actual response to `event`: `Vary: Origin` always;
 * `Access-Control-Allow-Origin` (and `-Allow-Credentials`, `-Expose-Headers`
 * as the policy says) when the route's policy allows the origin and method.
 * Resolves without Access-Control headers when policies cannot be loaded.
 *
 * @example
 * const headers = await corsHeaders(event);
 * return { statusCode: 200, headers: { ...headers, 'content-type': 'application/json' }, body };
 */
export async function corsHeaders(event: APIGatewayProxyEvent | APIGatewayProxyEventV2, options?: CorsOptions): Promise<Record<string, string>> {
  // Like withCors: an event that is not an object (null from a test harness) gets no CORS headers, and no error.
  if (!event || typeof event !== 'object') return { Vary: 'Origin' };
  const resolved = resolveSource(options);
  const { source, logger } = resolved;
  return headersFor(event, source?.fresh?.() ?? (await loadSet(source, logger)), resolved);
}

const isCorsHeader = (lower: string): boolean => lower.startsWith('access-control-');

/** Splits a `Vary` value into field names. */
function varyTokens(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(varyTokens);
  if (typeof value !== 'string' && typeof value !== 'number') return [];
  return String(value)
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
}

/** `Vary` of the handler merged with ours, without duplicates (case-insensitive); `*` absorbs everything. */
function mergeVary(existing: string[], ours: string): string {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const token of [...existing, ...varyTokens(ours)]) {
    const key = token.toLowerCase();
    if (key === '*') return '*';
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(token);
  }
  return out.join(', ');
}

/** Space, tab or another ASCII control character: worth a trim() (which removes the whitespace among them). */
const isSpace = (c: number): boolean => c <= 32;

/**
 * Copies `map` without `Vary` and `Access-Control-*` keys, collecting the
 * former's tokens and the latter's names. A name with surrounding spaces or
 * tabs (` Access-Control-Allow-Origin`) counts as the name without them:
 * a server or proxy that trims it would otherwise send the handler's value.
 */
function copyWithout<V>(map: Record<string, V>, vary: string[], overridden: string[]): Record<string, V> {
  const out: Record<string, V> = {};
  for (const key in map) {
    const name = isSpace(key.charCodeAt(0)) || isSpace(key.charCodeAt(key.length - 1)) ? key.trim() : key;
    // Most names are neither: compare case-insensitively only when the length could match.
    if (name.length === 4 && name.toLowerCase() === 'vary') vary.push(...varyTokens(map[key]));
    else if (name.length >= 15 && isCorsHeader(name.toLowerCase())) overridden.push(key);
    else out[key] = map[key] as V;
  }
  return out;
}

/**
 * Applies `cors` to a structured result, without mutating it. The policy is
 * the source of truth: any `Access-Control-*` header the handler set is removed
 * (and replaced when the origin is allowed). `Vary` is merged. Every other
 * header is kept as is.
 */
function applyHeaders<T extends { headers?: Record<string, unknown>; multiValueHeaders?: Record<string, unknown[]> }>(
  result: T,
  cors: Record<string, string>,
  logger: Logger | undefined,
): T {
  const vary: string[] = [];
  const overridden: string[] = [];
  const headers = result.headers ? copyWithout(result.headers, vary, overridden) : {};
  const multi = result.multiValueHeaders ? copyWithout(result.multiValueHeaders, vary, overridden) : undefined;
  if (overridden.length > 0) logger?.debug('handler set CORS headers; the policy decides them', { headers: overridden });
  for (const name in cors) headers[name] = name === 'Vary' && vary.length > 0 ? mergeVary(vary, cors[name] as string) : cors[name];
  const out = { ...result, headers };
  if (multi) out.multiValueHeaders = multi;
  return out as T;
}

/**
 * Wraps an async API Gateway handler so that every response it returns carries
 * the CORS headers of the route's policy (see {@link corsHeaders}).
 *
 * - Payload v1 (REST) and v2 (HTTP API), including v2's simplified results: a
 *   string or an object without `statusCode` becomes the 200 JSON response
 *   API Gateway would have built, plus the headers.
 * - Policies are looked up while the handler runs, from the cached store: no
 *   Parameter Store call per request, nothing parsed per request.
 * - Errors thrown by the handler propagate unchanged.
 * - A CORS preflight is answered here, exactly as the preflight function
 *   answers it, and never reaches the handler (see
 *   {@link CorsOptions.answerPreflights}).
 *
 * @example
 * import { withCors } from 'apigw-cors';
 * export const handler = withCors(async (event) => ({ statusCode: 200, body: JSON.stringify({ ok: true }) }));
 */
export function withCors<TEvent extends APIGatewayProxyEvent | APIGatewayProxyEventV2, TResult extends AnyResult>(
  handler: ApiHandler<TEvent, TResult>,
  options?: CorsOptions,
): (event: TEvent, context: Context) => Promise<CorsResult<TEvent, TResult>> {
  const answerPreflights = options?.answerPreflights !== false;
  return async (event, context) => {
    const resolved = resolveSource(options);
    const { source, logger } = resolved;
    if (answerPreflights && event && typeof event === 'object' && requestMethod(event) === 'OPTIONS') {
      const request = corsRequestFromEvent(event);
      if (isPreflight(request)) {
        const set = source?.fresh?.() ?? (await loadSet(source, logger));
        return answerPreflight(set, request, {
          logger,
          requestId: context?.awsRequestId,
          debug,
          metrics: resolved.metrics,
          store: resolved.store,
        }) as unknown as CorsResult<TEvent, TResult>;
      }
    }
    // Fresh policies are at hand; otherwise start the refresh alongside the handler.
    const fresh = source?.fresh?.();
    const pending = fresh ? undefined : loadSet(source, logger);
    const result = await handler(event, context);
    return withHeaders(event, result, fresh ?? (await pending), logger, resolved) as CorsResult<TEvent, TResult>;
  };
}

/** The handler's result with the CORS headers for `event` applied. */
function withHeaders(event: ApiGatewayEvent, result: AnyResult, set: PolicySet | undefined, logger: Logger | undefined, resolved: Resolved): unknown {
  if (!event || typeof event !== 'object' || result === undefined || result === null) {
    resolved.metrics?.settle(resolved.store);
    return result;
  }
  const cors = headersFor(event, set, resolved);
  if (typeof result === 'string' || typeof result !== 'object' || !('statusCode' in result)) {
    // Only payload v2 has simplified results; under v1 API Gateway would reject them, so leave them be.
    if (!isV2(event)) return result;
    const body = typeof result === 'string' ? result : JSON.stringify(result);
    return applyHeaders({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body }, cors, logger);
  }
  return applyHeaders(result as APIGatewayProxyResult, cors, logger);
}
