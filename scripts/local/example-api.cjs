// The example API behind the local gateway: an ordinary API Gateway proxy
// handler that knows nothing about CORS and is wrapped with the layer's
// `withCors`. `apigw-cors` is resolved through NODE_PATH from the BUILT layer
// (dist/layer/nodejs/node_modules), as a Lambda function resolves it from
// /opt/nodejs/node_modules.
//
// Every path answers JSON describing the request. Response headers a page
// may or may not read: `ETag`, `X-Request-Id`. Paths whose first segment is
// `cacheable` are `Cache-Control: public, max-age=60` (a shared-cache test
// for `Vary: Origin`); all others are `no-store`. `?status=NNN` picks the status.
// Preflights that reach it (through a more specific route) are answered by
// withCors itself, unless ANSWER_PREFLIGHTS=false (then the handler answers
// them like any other request, as a function without that layer feature would).
'use strict';
const { createHash } = require('node:crypto');
const { withCors } = require('apigw-cors');

/** @typedef {import('aws-lambda').APIGatewayProxyEvent | import('aws-lambda').APIGatewayProxyEventV2} ApiEvent */

/**
 * @param {ApiEvent} event
 * @param {string} lowerName
 */
function header(event, lowerName) {
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === lowerName) return v;
  return undefined;
}

/** @param {ApiEvent} event */
function cookieNames(event) {
  const raw = 'version' in event && event.version === '2.0' ? (event.cookies ?? []) : (header(event, 'cookie') ?? '').split(';');
  return raw.map((c) => (c.split('=')[0] ?? '').trim()).filter(Boolean);
}

const answerPreflights = process.env.ANSWER_PREFLIGHTS !== 'false';

exports.handler = withCors(
  async (event, context) => {
    const v2 = 'version' in event && event.version === '2.0';
    const method = 'rawPath' in event ? event.requestContext.http.method : event.httpMethod;
    const path = 'rawPath' in event ? event.rawPath : event.path;
    const query = event.queryStringParameters ?? {};
    const status = /^[1-5]\d\d$/.test(query.status ?? '') ? Number(query.status) : 200;
    const cookies = cookieNames(event);
    const custom = Object.keys(event.headers ?? {})
      .map((k) => k.toLowerCase())
      .filter((k) => k.startsWith('x-') && !k.startsWith('x-forwarded-') && k !== 'x-amzn-trace-id');
    const body = JSON.stringify({
      message: 'Hello from the example API',
      method,
      path,
      payload: v2 ? '2.0' : '1.0',
      cookieReceived: cookies.length > 0,
      cookieNames: cookies,
      authorizationReceived: header(event, 'authorization') !== undefined,
      customHeaders: custom,
      requestBody: event.body ?? null,
    });
    const cacheable = path.split('/')[1] === 'cacheable';
    return {
      statusCode: status,
      headers: {
        'Content-Type': 'application/json',
        ETag: `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`,
        'X-Request-Id': header(event, 'x-request-id') ?? context.awsRequestId,
        'Cache-Control': cacheable ? 'public, max-age=60' : 'no-store',
      },
      body,
    };
  },
  { answerPreflights },
);
