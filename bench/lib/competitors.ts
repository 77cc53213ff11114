/**
 * What users would write instead, configured from the same sample `products`
 * policy and doing the same single-route work: answer a preflight for one
 * route with that route's origins, methods and headers. Each returns an API
 * Gateway result, like the product's handler.
 */
import middy from '@middy/core';
import httpCors from '@middy/http-cors';
import cors from 'cors';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, Context } from 'aws-lambda';

type Event = APIGatewayProxyEvent | APIGatewayProxyEventV2;
export type Result = { statusCode: number; headers: Record<string, string>; body: string };
export type Handler = (event: Event, context: Context) => Promise<Result>;

const PRODUCTS = {
  origins: ['https://shop.example.com', 'https://*.preview.example.com', 'http://localhost:*'],
  methods: 'GET,POST,PUT,DELETE,PATCH',
  headers: 'content-type,authorization,x-request-id',
  exposeHeaders: 'etag,x-request-id',
  maxAge: 600,
};

/**
 * @middy/http-cors answering the preflight itself (`disableBeforePreflightResponse: false`).
 * Middy's early-timeout timer is off (`timeoutEarlyInMillis: 0`), so only the CORS work is compared.
 * `origins`: default the products policy's three (one exact, two patterns); a single exact
 * origin is middy's fastest configuration (one string comparison).
 */
export function middyPreflight(origins: string[] = PRODUCTS.origins): Handler {
  const handler = middy({ timeoutEarlyInMillis: 0 })
    .use(
      httpCors({
        disableBeforePreflightResponse: false,
        origins,
        credentials: true,
        methods: PRODUCTS.methods,
        headers: PRODUCTS.headers,
        exposeHeaders: PRODUCTS.exposeHeaders,
        maxAge: PRODUCTS.maxAge,
        // http-cors adds Origin itself; `vary` is an option of the middleware that its typings omit.
        ...{ vary: 'Access-Control-Request-Method, Access-Control-Request-Headers' },
      }),
    )
    .handler(async () => ({ statusCode: 204, headers: {}, body: '' }));
  return handler as unknown as Handler;
}

interface FakeRes {
  statusCode: number;
  headers: Record<string, string>;
  setHeader(name: string, value: string): void;
  getHeader(name: string): string | undefined;
  end(): void;
}

/**
 * The `cors` package (Express middleware) driven with a minimal request and
 * response built from the event: the least glue a Lambda user could write.
 */
export function corsPackagePreflight(): Handler {
  const middleware = cors({
    origin: ['https://shop.example.com', /^https:\/\/[^.]+\.preview\.example\.com$/, /^http:\/\/localhost:\d+$/],
    credentials: true,
    methods: PRODUCTS.methods,
    allowedHeaders: PRODUCTS.headers,
    exposedHeaders: PRODUCTS.exposeHeaders,
    maxAge: PRODUCTS.maxAge,
  });
  return async (event) => {
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(event.headers ?? {})) headers[k.toLowerCase()] = v;
    const method = 'httpMethod' in event ? event.httpMethod : event.requestContext.http.method;
    const res: FakeRes = {
      statusCode: 200,
      headers: {},
      setHeader(name, value) {
        this.headers[name] = String(value);
      },
      getHeader(name) {
        return this.headers[name];
      },
      end() {},
    };
    await new Promise<void>((resolve) => {
      middleware({ method, headers } as never, res as never, () => resolve());
      // A preflight ends the response instead of calling next().
      if (method === 'OPTIONS') resolve();
    });
    return { statusCode: res.statusCode, headers: res.headers, body: '' };
  };
}
