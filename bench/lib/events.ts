/** The benchmark events: the sample events under events/, plus variants derived from them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { ROOT } from './root';

export function loadEvent<T>(name: string): T {
  return JSON.parse(readFileSync(join(ROOT, 'events', `${name}.json`), 'utf8')) as T;
}

export const DENIED_ORIGIN = 'https://shop.example.com.evil.test';

/** Preflights for /products/42, answered by the sample `products` policy. */
export function preflightEvents(): {
  v1Allowed: APIGatewayProxyEvent;
  v1Denied: APIGatewayProxyEvent;
  v2Allowed: APIGatewayProxyEventV2;
  v2Denied: APIGatewayProxyEventV2;
} {
  const v2Allowed = loadEvent<APIGatewayProxyEventV2>('http-v2-preflight-allowed');
  const v2Denied = structuredClone(v2Allowed);
  v2Denied.headers.origin = DENIED_ORIGIN;
  return {
    v1Allowed: loadEvent<APIGatewayProxyEvent>('rest-v1-preflight-allowed'),
    v1Denied: loadEvent<APIGatewayProxyEvent>('rest-v1-preflight-denied-origin'),
    v2Allowed,
    v2Denied,
  };
}

/**
 * The smallest HTTP API (payload v2) preflight API Gateway sends for
 * /products/42 from https://shop.example.com: the two preflight headers and
 * the fields the handlers read, nothing else.
 */
export function minimalV2Preflight(): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'OPTIONS /{proxy+}',
    rawPath: '/products/42',
    rawQueryString: '',
    headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'GET' },
    pathParameters: { proxy: 'products/42' },
    requestContext: { http: { method: 'OPTIONS', path: '/products/42' }, stage: '$default' },
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
}

/** The actual (non-preflight) GET requests that follow those preflights: what the layer sees. */
export function actualEvents(): { v1: APIGatewayProxyEvent; v2: APIGatewayProxyEventV2 } {
  const v1 = loadEvent<APIGatewayProxyEvent>('rest-v1-preflight-allowed');
  v1.httpMethod = 'GET';
  v1.requestContext.httpMethod = 'GET';
  for (const map of [v1.headers, v1.multiValueHeaders] as Array<Record<string, unknown>>) {
    delete map['Access-Control-Request-Method'];
    delete map['Access-Control-Request-Headers'];
  }
  const v2 = loadEvent<APIGatewayProxyEventV2>('http-v2-preflight-allowed');
  v2.routeKey = 'GET /{proxy+}';
  v2.requestContext.routeKey = 'GET /{proxy+}';
  v2.requestContext.http.method = 'GET';
  delete v2.headers['access-control-request-method'];
  delete v2.headers['access-control-request-headers'];
  return { v1, v2 };
}

/** A Lambda context as the runtime passes it (the parts handlers read). */
export function lambdaContext(): import('aws-lambda').Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'bench',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bench',
    memoryLimitInMB: '128',
    awsRequestId: 'bench-request',
    logGroupName: '/aws/lambda/bench',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 3000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
