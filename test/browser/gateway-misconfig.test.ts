/**
 * The local gateway's misconfigurations (scripts/local/misconfig.ts): the
 * events an own, more specific route produces, and API Gateway's own answers.
 */
import { corsRequestFromEvent, type ApiGatewayEvent } from '../../functions/aws/event';
import { httpApiEvent, restEvent, type HttpRequestInfo } from '../../scripts/local/events';
import {
  ShadowRoutes,
  activate,
  corsConfigurationPreflight,
  missingRouteResponse,
  unauthorizedResponse,
  withCorsConfiguration,
} from '../../scripts/local/misconfig';

function req(method: string, url: string, headers: Array<[string, string]>): HttpRequestInfo {
  return { method, url, rawHeaders: headers.flat(), body: Buffer.alloc(0), sourceIp: '127.0.0.1', httpVersion: '1.1' };
}
const preflight: Array<[string, string]> = [
  ['Host', 'api.example.test'],
  ['Origin', 'http://app.example.test'],
  ['Access-Control-Request-Method', 'PUT'],
];

describe('own, more specific routes', () => {
  const routes = new ShadowRoutes(['/products/{id}', '/files/{path+}']);

  it('match more specific paths with decoded path parameters, and leave the rest to /{proxy+}', () => {
    expect(routes.match('/products/a%20b')).toEqual({ template: '/products/{id}', pathParameters: { id: 'a b' }, own: true });
    expect(routes.match('/files/a/b.txt')).toEqual({ template: '/files/{path+}', pathParameters: { path: 'a/b.txt' }, own: true });
    expect(routes.match('/products')).toBeUndefined();
    expect(routes.match('/other/1')).toBeUndefined();
  });

  it('give the API function REST events for the own resource, read by the product adapter as the same path', () => {
    const route = routes.match('/products/42')!;
    const e = restEvent(req('OPTIONS', '/products/42', preflight), { route });
    expect(e).toMatchObject({
      resource: '/products/{id}',
      pathParameters: { id: '42' },
      httpMethod: 'OPTIONS',
      requestContext: { resourcePath: '/products/{id}' },
    });
    expect(corsRequestFromEvent(e as unknown as ApiGatewayEvent)).toMatchObject({ method: 'OPTIONS', path: '/products/42', requestMethod: 'PUT' });
  });

  it('give HTTP API events the ANY route key for every method, OPTIONS included', () => {
    const e = httpApiEvent(req('OPTIONS', '/products/42', preflight), { route: routes.match('/products/42')! });
    expect(e).toMatchObject({ routeKey: 'ANY /products/{id}', pathParameters: { id: '42' } });
    expect(corsRequestFromEvent(e as unknown as ApiGatewayEvent).path).toBe('/products/42');
  });
});

describe('checking a misconfiguration', () => {
  it('collects every problem in one error', () => {
    expect(() => activate('v1', { shadowRoutes: ['/', 'products', '$default'], corsConfiguration: { allowOrigins: [] } })).toThrow(
      /shadow route "\/".*shadow route "products".*shadow route "\$default".*only on HTTP APIs.*allowOrigins must list/,
    );
    expect(activate('v2', { corsConfiguration: { allowOrigins: ['*'] } }).shadow.size).toBe(0);
  });
});

describe('API Gateway’s own answers', () => {
  it('has no OPTIONS route: REST 403 Missing Authentication Token, HTTP API 404 Not Found', () => {
    const rest = missingRouteResponse('v1');
    expect([rest.statusCode, rest.body.toString(), rest.headers]).toEqual([
      403,
      '{"message":"Missing Authentication Token"}',
      [
        ['Content-Type', 'application/json'],
        ['x-amzn-ErrorType', 'MissingAuthenticationTokenException'],
      ],
    ]);
    const http = missingRouteResponse('v2');
    expect([http.statusCode, http.body.toString()]).toEqual([404, '{"message":"Not Found"}']);
  });

  it('refuses through the authorizer with 401, its error type and no CORS headers', () => {
    const out = unauthorizedResponse();
    expect([out.statusCode, out.body.toString()]).toEqual([401, '{"message":"Unauthorized"}']);
    expect(out.headers.some(([k]) => k.toLowerCase().startsWith('access-control-'))).toBe(false);
    expect(out.headers).toContainEqual(['x-amzn-ErrorType', 'UnauthorizedException']);
  });

  it('answers preflights from a CorsConfiguration: its headers for a configured origin, none for another', () => {
    const config = { allowOrigins: ['https://shop.example.com'], allowMethods: ['GET', 'POST'], allowHeaders: ['content-type'], maxAge: 300 };
    expect(corsConfigurationPreflight(config, 'https://shop.example.com')).toMatchObject({
      statusCode: 204,
      headers: [
        ['access-control-allow-origin', 'https://shop.example.com'],
        ['access-control-allow-methods', 'GET,POST'],
        ['access-control-allow-headers', 'content-type'],
        ['access-control-max-age', '300'],
      ],
    });
    expect(corsConfigurationPreflight(config, 'https://evil.example.org').headers).toEqual([]);
  });

  it('replaces an integration’s CORS headers with the CorsConfiguration’s', () => {
    const out = withCorsConfiguration(
      {
        statusCode: 200,
        headers: [
          ['Access-Control-Allow-Origin', 'https://x.example'],
          ['Vary', 'Origin'],
          ['Content-Type', 'application/json'],
        ],
        body: Buffer.from('{}'),
      },
      { allowOrigins: ['*'], exposeHeaders: ['etag'] },
      'https://any.example',
    );
    expect(out.headers).toEqual([
      ['Vary', 'Origin'],
      ['Content-Type', 'application/json'],
      ['access-control-allow-origin', '*'],
      ['access-control-expose-headers', 'etag'],
    ]);
  });
});
