// Misconfigurations of the emulated API that users meet in real ones, after
// API Gateway's documented behaviour, so that `cors-policy verify` and the
// browser suite can be shown what goes wrong and how it is diagnosed. Each is
// independent; together they apply in API Gateway's order: an HTTP API
// CorsConfiguration answers preflights before any route, then the most
// specific route wins, then a missing route or an authorizer answers before
// the integration.
import { parseRoutePattern, RouteTable, type RoutePattern } from '../../functions/core/route';
import { safeDecode, type HttpResponseOut, type MatchedRoute, type PayloadVersion } from './events';

/**
 * An HTTP API `CorsConfiguration`: API Gateway answers every preflight itself
 * (even without an OPTIONS route), ignores CORS headers from integrations and
 * adds its own to their responses.
 */
export interface CorsConfiguration {
  allowOrigins: string[];
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  allowCredentials?: boolean;
  maxAge?: number;
}

/** What the emulated API gets wrong. Every field is off by default. */
export interface Misconfiguration {
  /**
   * More specific routes of the API's own, each `ANY <pattern>` sent to the
   * example API function for every method, OPTIONS included (for example
   * `/products/{id}`). API Gateway prefers them to `/{proxy+}`.
   */
  shadowRoutes?: string[];
  /** An HTTP API `CorsConfiguration` (payload v2 only: REST APIs have none). */
  corsConfiguration?: CorsConfiguration;
  /**
   * An authorizer on the OPTIONS routes: a request without `Authorization`
   * gets 401 `{"message":"Unauthorized"}` with `x-amzn-ErrorType` and no CORS
   * headers. Browsers never send `Authorization` on a preflight.
   */
  optionsAuthorizer?: boolean;
  /**
   * The OPTIONS routes are missing (not deployed): REST answers 403
   * `{"message":"Missing Authentication Token"}`, an HTTP API 404
   * `{"message":"Not Found"}`.
   */
  missingOptionsRoutes?: boolean;
}

/** The CorsConfiguration `--cors-configuration` sets: what a console user might have typed, narrower than the demo policies. */
export const SAMPLE_CORS_CONFIGURATION: CorsConfiguration = {
  allowOrigins: ['https://shop.example.com'],
  allowMethods: ['GET', 'POST'],
  allowHeaders: ['content-type'],
  maxAge: 300,
};

/** The route `npm start -- --shadow-route` adds when given without a pattern. */
export const SAMPLE_SHADOW_ROUTE = '/products/{id}';

/** A checked misconfiguration with its routes compiled: what the gateway reads per request. */
export type ActiveMisconfiguration = Misconfiguration & { readonly shadow: ShadowRoutes };

/** Checks and compiles a misconfiguration; throws with every problem. */
export function activate(payload: PayloadVersion, m: Misconfiguration): ActiveMisconfiguration {
  checkMisconfiguration(payload, m);
  return { ...m, shadow: new ShadowRoutes(m.shadowRoutes) };
}

/** Checks a misconfiguration once, when it is set; every problem in one message. */
export function checkMisconfiguration(payload: PayloadVersion, m: Misconfiguration): void {
  const problems: string[] = [];
  for (const r of m.shadowRoutes ?? []) {
    const parsed = parseRoutePattern(r);
    if (!parsed.ok) problems.push(`shadow route ${JSON.stringify(r)}: ${parsed.reason}`);
    else if (parsed.pattern.isDefault || r === '/') problems.push(`shadow route ${JSON.stringify(r)}: give a path more specific than / and /{proxy+}`);
  }
  if (m.corsConfiguration) {
    if (payload !== 'v2') problems.push('a CorsConfiguration exists only on HTTP APIs: use payload v2');
    if (!Array.isArray(m.corsConfiguration.allowOrigins) || m.corsConfiguration.allowOrigins.length === 0)
      problems.push('corsConfiguration.allowOrigins must list at least one origin');
  }
  if (problems.length > 0) throw new Error(`invalid gateway misconfiguration: ${problems.join('; ')}`);
}

/** The more specific own routes, compiled once per configuration. */
export class ShadowRoutes {
  private readonly table = new RouteTable<RoutePattern>();
  readonly size: number;

  constructor(patterns: readonly string[] = []) {
    for (const raw of patterns) {
      const parsed = parseRoutePattern(raw);
      if (parsed.ok) this.table.add(parsed.pattern, parsed.pattern);
    }
    this.size = this.table.size;
  }

  /** The own route matching `path`, with its path parameters; undefined when only `/` or `/{proxy+}` match. */
  match(path: string): MatchedRoute | undefined {
    if (this.size === 0) return undefined;
    const pattern = this.table.match(path);
    if (!pattern) return undefined;
    const parts = path.replace(/^\//, '').split('/');
    const pathParameters: Record<string, string> = {};
    pattern.segments.forEach((s, i) => {
      if (s.kind === 'param') pathParameters[s.name] = safeDecode(parts[i] ?? '');
      else if (s.kind === 'greedy') pathParameters[s.name] = safeDecode(parts.slice(i).join('/'));
    });
    return { template: pattern.source, ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}), own: true };
  }
}

function json(statusCode: number, body: unknown, headers: Array<[string, string]>, why: string): HttpResponseOut {
  return { statusCode, headers: [['Content-Type', 'application/json'], ...headers], body: Buffer.from(JSON.stringify(body)), gatewayError: why };
}

/** No route for the request: the OPTIONS routes were never deployed. */
export function missingRouteResponse(payload: PayloadVersion): HttpResponseOut {
  return payload === 'v1'
    ? json(
        403,
        { message: 'Missing Authentication Token' },
        [['x-amzn-ErrorType', 'MissingAuthenticationTokenException']],
        'no OPTIONS method deployed (misconfiguration)',
      )
    : json(404, { message: 'Not Found' }, [], 'no OPTIONS route (misconfiguration)');
}

/** The authorizer refused a request without `Authorization`: no CORS headers (no Gateway Response adds them). */
export function unauthorizedResponse(): HttpResponseOut {
  return json(
    401,
    { message: 'Unauthorized' },
    [['x-amzn-ErrorType', 'UnauthorizedException']],
    'authorizer on OPTIONS refused the request (misconfiguration)',
  );
}

function originAllowed(config: CorsConfiguration, origin: string): boolean {
  return config.allowOrigins.includes('*') || config.allowOrigins.includes(origin);
}

function allowOriginValue(config: CorsConfiguration, origin: string): string {
  return config.allowOrigins.includes('*') && !config.allowCredentials ? '*' : origin;
}

/** API Gateway's own answer to a preflight when the HTTP API has a CorsConfiguration: 204, headers only for a configured origin. */
export function corsConfigurationPreflight(config: CorsConfiguration, origin: string): HttpResponseOut {
  const headers: Array<[string, string]> = [];
  if (originAllowed(config, origin)) {
    headers.push(['access-control-allow-origin', allowOriginValue(config, origin)]);
    if (config.allowCredentials) headers.push(['access-control-allow-credentials', 'true']);
    if (config.allowMethods?.length) headers.push(['access-control-allow-methods', config.allowMethods.join(',')]);
    if (config.allowHeaders?.length) headers.push(['access-control-allow-headers', config.allowHeaders.join(',')]);
    if (config.maxAge !== undefined) headers.push(['access-control-max-age', String(config.maxAge)]);
  }
  return { statusCode: 204, headers, body: Buffer.alloc(0), gatewayError: 'preflight answered by the HTTP API CorsConfiguration (misconfiguration)' };
}

/** An integration's response under a CorsConfiguration: its CORS headers dropped, the configuration's added. */
export function withCorsConfiguration(out: HttpResponseOut, config: CorsConfiguration, origin: string | undefined): HttpResponseOut {
  const headers = out.headers.filter(([k]) => !k.toLowerCase().startsWith('access-control-'));
  if (origin !== undefined && originAllowed(config, origin)) {
    headers.push(['access-control-allow-origin', allowOriginValue(config, origin)]);
    if (config.allowCredentials) headers.push(['access-control-allow-credentials', 'true']);
    if (config.exposeHeaders?.length) headers.push(['access-control-expose-headers', config.exposeHeaders.join(',')]);
  }
  return { ...out, headers };
}
