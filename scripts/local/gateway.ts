// The local API Gateway: an HTTP server on loopback that turns each request
// into a REST v1 or HTTP API v2 proxy event, sends OPTIONS to the preflight
// function and every other method to the API function, and turns the result
// back into an HTTP response the way API Gateway does. `/__local/*` are the
// emulator's own debug endpoints (never forwarded to a function).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { eventFor, gatewayFailure, responseFor, splitUrl, type HttpResponseOut, type PayloadVersion } from './events';
import type { LambdaFunction } from './lambda';
import { corsConfigurationPreflight, missingRouteResponse, unauthorizedResponse, withCorsConfiguration, type ActiveMisconfiguration } from './misconfig';
import type { Recorder, RequestKind } from './recorder';

/** API Gateway's payload limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface GatewayOptions {
  payload: PayloadVersion;
  preflight: LambdaFunction;
  api: LambdaFunction;
  recorder: Recorder;
  /** Extra fields for `GET /__local/stats` (the stack adds its configuration). */
  describe?: () => Record<string, unknown>;
  /** What the emulated API gets wrong (scripts/local/misconfig.ts); read per request, so it can change while running. Default: nothing. */
  misconfiguration?: { readonly current: ActiveMisconfiguration };
}

function headerValue(req: IncomingMessage, lowerName: string): string | undefined {
  const v = req.headers[lowerName];
  return Array.isArray(v) ? v.join(',') : v;
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, out: HttpResponseOut, extra: Array<[string, string]>, head: boolean): void {
  const flat: string[] = [];
  for (const [k, v] of [...out.headers, ...extra]) flat.push(k, v);
  if (!out.headers.some(([k]) => k.toLowerCase() === 'content-length')) flat.push('Content-Length', String(out.body.length));
  res.writeHead(out.statusCode, flat);
  res.end(head ? undefined : out.body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value, null, 2);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    // The debug endpoints are read by the demo page on another origin; they carry no secrets.
    'Access-Control-Allow-Origin': '*',
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

/** Response headers as one lower-case map, repeated names joined (how a reader compares them). */
function headerMap(headers: Array<[string, string]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of headers) {
    const key = k.toLowerCase();
    out[key] = key in out ? `${out[key]}, ${v}` : v;
  }
  return out;
}

export function createGateway(options: GatewayOptions): Server {
  const { payload, preflight, api, recorder } = options;

  async function debugEndpoint(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    if (req.method !== 'GET') return sendJson(res, 405, { message: 'the /__local endpoints only answer GET' });
    const filter = { path: query.get('path') ?? undefined, origin: query.get('origin') ?? undefined };
    switch (path) {
      case '/__local/stats':
        return sendJson(res, 200, {
          ...options.describe?.(),
          counts: recorder.snapshot(),
          lastSeq: recorder.lastSeq,
          functions: { preflight: preflight.stats, api: api.stats },
        });
      case '/__local/requests':
        return sendJson(res, 200, { lastSeq: recorder.lastSeq, records: recorder.records({ ...filter, since: Number(query.get('since') ?? 0) || 0 }) });
      case '/__local/last-preflight':
        return sendJson(res, 200, recorder.lastPreflight(filter) ?? null);
      default:
        return sendJson(res, 404, { message: 'unknown debug endpoint; see /__local/stats, /__local/requests?since=N, /__local/last-preflight?path=&origin=' });
    }
  }

  /** What API Gateway answers itself, before any integration, under a misconfiguration. */
  function gatewayAnswer(
    mis: ActiveMisconfiguration,
    kind: RequestKind,
    toPreflight: boolean,
    authorization: string | undefined,
    origin: string | undefined,
  ): HttpResponseOut | undefined {
    if (kind === 'preflight' && mis.corsConfiguration) return corsConfigurationPreflight(mis.corsConfiguration, origin as string);
    if (toPreflight && mis.missingOptionsRoutes) return missingRouteResponse(payload);
    if (kind !== 'actual' && mis.optionsAuthorizer && authorization === undefined) return unauthorizedResponse();
    return undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const { path, rawQuery } = splitUrl(url);
    if (path.startsWith('/__local/')) return debugEndpoint(req, res, path, new URLSearchParams(rawQuery));
    const method = req.method ?? 'GET';
    const requestId = randomUUID();
    const body = await readBody(req);
    if (body === undefined) return sendJson(res, 413, { message: 'Request Too Long' });
    const origin = headerValue(req, 'origin');
    const requestMethod = headerValue(req, 'access-control-request-method');
    const kind: RequestKind = method === 'OPTIONS' ? (origin !== undefined && requestMethod !== undefined ? 'preflight' : 'options') : 'actual';
    const mis = options.misconfiguration?.current;
    // An own, more specific route takes every method; otherwise OPTIONS goes to the preflight function.
    const ownRoute = mis?.shadow.match(path);
    const event = eventFor(
      payload,
      { method, url, rawHeaders: req.rawHeaders, body, sourceIp: req.socket.remoteAddress ?? '127.0.0.1', httpVersion: req.httpVersion },
      { requestId, ...(ownRoute ? { route: ownRoute } : {}) },
    );
    const toPreflight = method === 'OPTIONS' && !ownRoute;
    const early = mis ? gatewayAnswer(mis, kind, toPreflight, headerValue(req, 'authorization'), origin) : undefined;
    const fn = toPreflight ? preflight : api;
    const outcome = early ? { ok: true as const, ms: 0, coldStart: false } : await fn.invoke(event, requestId);
    let out: HttpResponseOut;
    if (early) out = early;
    else if (outcome.ok) out = responseFor(payload, (outcome as { result: unknown }).result);
    else if ('timedOut' in outcome && outcome.timedOut)
      out = {
        statusCode: 504,
        headers: [['Content-Type', 'application/json']],
        body: Buffer.from('{"message": "Endpoint request timed out"}'),
        gatewayError: 'integration timeout',
      };
    else out = gatewayFailure(payload, `Lambda function failed: ${outcome.error.errorType}: ${outcome.error.errorMessage}`);
    if (!early && mis?.corsConfiguration) out = withCorsConfiguration(out, mis.corsConfiguration, origin);
    // Headers API Gateway adds to every response.
    const extra: Array<[string, string]> =
      payload === 'v1'
        ? [
            ['x-amzn-RequestId', requestId],
            ['x-amz-apigw-id', requestId.slice(0, 16)],
          ]
        : [['Apigw-Requestid', requestId.slice(0, 16)]];
    const responseHeaders = headerMap(out.headers);
    const denyReason = responseHeaders['x-cors-deny-reason'];
    const host = headerValue(req, 'host');
    recorder.add({
      time: new Date().toISOString(),
      payload,
      kind,
      method,
      path,
      query: rawQuery,
      ...(host !== undefined ? { host } : {}),
      ...(origin !== undefined ? { origin } : {}),
      ...(requestMethod !== undefined ? { requestMethod } : {}),
      ...(headerValue(req, 'access-control-request-headers') !== undefined ? { requestHeaders: headerValue(req, 'access-control-request-headers') } : {}),
      cookie: req.headers.cookie !== undefined,
      status: out.statusCode,
      responseHeaders,
      ...(denyReason !== undefined ? { denyReason } : {}),
      ...(out.gatewayError !== undefined ? { gatewayError: out.gatewayError } : {}),
      function: early ? 'gateway' : toPreflight ? 'preflight' : 'api',
      requestId,
      ms: outcome.ms,
      coldStart: outcome.coldStart,
    });
    // Recorded before the response leaves, so a client that saw the response always finds its record.
    send(res, out, extra, method === 'HEAD');
  }

  return createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) sendJson(res, 500, { message: 'local gateway error', error: String(err) });
      else res.destroy();
    });
  });
}

/** Listens on 127.0.0.1; port 0 picks a free one. Resolves to the bound port. */
export function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Closes a server and every connection it holds (browsers keep connections alive). */
export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
