import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';

/** A REST (payload v1) event as API Gateway sends it for `resource` with `pathParameters`. */
export function restEvent(options: {
  method: string;
  resource: string;
  pathParameters?: Record<string, string> | null;
  headers?: Record<string, string> | null;
  multiValueHeaders?: Record<string, string[]> | null;
}): APIGatewayProxyEvent {
  const headers = options.headers === undefined ? {} : options.headers;
  return {
    resource: options.resource,
    path: `/prod${options.resource}`,
    httpMethod: options.method,
    headers: headers as APIGatewayProxyEvent['headers'],
    multiValueHeaders: (options.multiValueHeaders === undefined
      ? Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, [v]]))
      : options.multiValueHeaders) as APIGatewayProxyEvent['multiValueHeaders'],
    pathParameters: options.pathParameters ?? null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: { requestId: 'req-1', stage: 'prod', httpMethod: options.method, resourcePath: options.resource } as APIGatewayProxyEvent['requestContext'],
  };
}

/** An HTTP API (payload v2) event for `routeKey` such as `GET /products/{id}`. */
export function httpEvent(options: { routeKey: string; rawPath: string; method?: string; pathParameters?: Record<string, string>; headers?: Record<string, string> }): APIGatewayProxyEventV2 {
  const method = options.method ?? (options.routeKey === '$default' ? 'GET' : (options.routeKey.split(' ')[0] as string));
  return {
    version: '2.0',
    routeKey: options.routeKey,
    rawPath: options.rawPath,
    rawQueryString: '',
    headers: options.headers ?? {},
    ...(options.pathParameters ? { pathParameters: options.pathParameters } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.test',
      domainPrefix: 'api',
      http: { method, path: options.rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'req-2',
      routeKey: options.routeKey,
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
  };
}
