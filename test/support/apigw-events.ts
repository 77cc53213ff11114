// Test shorthands over the one event builder (scripts/lib/apigw-events.ts),
// which the local gateway uses too. Each keeps the defaults its tests were
// written against; the event itself is always the builder's.
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { httpApiEvent, restApiEvent, type HttpEventOptions, type RestEventOptions } from '../../scripts/lib/apigw-events';

export { httpApiEvent, restApiEvent } from '../../scripts/lib/apigw-events';

export interface V1Options extends Omit<RestEventOptions, 'method'> {
  httpMethod?: string;
}

/**
 * A REST (payload v1) event for `/{proxy+}` at `/` unless told otherwise.
 * Only the maps given are set (`headers` alone leaves `multiValueHeaders`
 * null), except that `headers` defaults to the last value of each
 * multi-value header, as API Gateway does.
 */
export function v1Event(o: V1Options = {}): APIGatewayProxyEvent {
  const { httpMethod, ...rest } = o;
  return restApiEvent({ path: '/', ...rest, multiValueHeaders: o.multiValueHeaders ?? null, ...(httpMethod !== undefined ? { method: httpMethod } : {}) });
}

/** An HTTP API (payload v2) event; the method is OPTIONS unless told otherwise, whatever the route key. */
export function v2Event(o: HttpEventOptions = {}): APIGatewayProxyEventV2 {
  return httpApiEvent({ method: 'OPTIONS', ...o });
}

/** A REST (payload v1) event for `resource`; headers default to none, mirrored into `multiValueHeaders`. */
export function restEvent(o: RestEventOptions & { method: string; resource: string }): APIGatewayProxyEvent {
  return restApiEvent({ headers: {}, ...o });
}

/** An HTTP API (payload v2) event for `routeKey` such as `GET /products/{id}`; headers default to none. */
export function httpEvent(o: HttpEventOptions & { routeKey: string; rawPath: string }): APIGatewayProxyEventV2 {
  return httpApiEvent({ headers: {}, ...o });
}

/** Browser preflight headers in REST casing. */
export function preflightHeadersV1(origin: string, method: string, requestHeaders?: string): Record<string, string[]> {
  const h: Record<string, string[]> = { Origin: [origin], 'Access-Control-Request-Method': [method], Host: ['api.example.com'] };
  if (requestHeaders !== undefined) h['Access-Control-Request-Headers'] = [requestHeaders];
  return h;
}

/** Browser preflight headers as an HTTP API delivers them (lower-case names). */
export function preflightHeadersV2(origin: string, method: string, requestHeaders?: string): Record<string, string> {
  const h: Record<string, string> = { origin, 'access-control-request-method': method, host: 'api.example.com' };
  if (requestHeaders !== undefined) h['access-control-request-headers'] = requestHeaders;
  return h;
}
