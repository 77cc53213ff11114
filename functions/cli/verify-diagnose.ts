import { PREFLIGHT_VARY } from '../core/preflight';
import { DENY_REASON_HEADER } from '../core/preflight-answer';
import { clipMarker } from './terminal-text';
import type { Observed } from './verify-http';
import type { Probe } from './verify-probes';

/**
 * Compares what the deployed API answered with what the engine expects, and
 * says why they differ and what to change. Pure: no I/O.
 */
export type Diagnosis =
  /** Not this product's answer: a more specific route's function, an HTTP API CorsConfiguration, a MOCK integration. */
  | 'answered-by-something-else'
  /** 401/403 from an authorizer (API Gateway's error type header, no CORS headers). */
  | 'authorizer'
  /** No route or method answers: REST `Missing Authentication Token`, HTTP API `Not Found`. */
  | 'not-deployed'
  /** This product's answer (its shape), with another decision: other policies are served. */
  | 'different-policy'
  /** API Gateway could not use the integration's answer (5xx). */
  | 'integration-error'
  /** No HTTP answer (refused, timed out, DNS, TLS), or still 429 after the retries. */
  | 'network-error';

export const DIAGNOSES: readonly Diagnosis[] = [
  'answered-by-something-else',
  'authorizer',
  'not-deployed',
  'different-policy',
  'integration-error',
  'network-error',
];

export interface HeaderDifference {
  readonly header: string;
  /** null: absent. */
  readonly expected: string | null;
  readonly observed: string | null;
}

export interface Comparison {
  readonly match: boolean;
  readonly statusMatches: boolean;
  readonly differences: readonly HeaderDifference[];
  readonly diagnosis?: Diagnosis;
  /** What was seen that led to the diagnosis. */
  readonly detail?: string;
  readonly fix?: string;
}

/** CORS response headers compared byte for byte (names case-insensitively). */
const PREFLIGHT_HEADERS = [
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-max-age',
  'access-control-expose-headers',
];
const ACTUAL_HEADERS = ['access-control-allow-origin', 'access-control-allow-credentials', 'access-control-expose-headers'];
const PREFLIGHT_VARY_TOKENS = PREFLIGHT_VARY.toLowerCase().split(', ');
const DENY_REASON_HEADER_LOWER = DENY_REASON_HEADER.toLowerCase();

function lower(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  return out;
}

function varyTokens(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
}

/** True when every expected Vary token is present (a CDN may add its own). */
function varyCovers(expected: string | undefined, observed: string | undefined): boolean {
  const have = new Set(varyTokens(observed));
  return have.has('*') || varyTokens(expected).every((t) => have.has(t));
}

/** The answer carries the mark of core/preflight-answer.ts (the function's and the layer's): Vary on the three preflight request headers, an empty body, 204 or 403. */
function isProductPreflightAnswer(status: number, headers: Record<string, string>, body: string): boolean {
  const vary = new Set(varyTokens(headers.vary));
  return (status === 204 || status === 403) && body === '' && PREFLIGHT_VARY_TOKENS.every((t) => vary.has(t));
}

function hasCorsHeaders(headers: Record<string, string>): boolean {
  return Object.keys(headers).some((k) => k.startsWith('access-control-'));
}

function messageOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed && typeof parsed === 'object' && typeof (parsed as { message?: unknown }).message === 'string') return (parsed as { message: string }).message;
  } catch {
    // not JSON
  }
  return undefined;
}

/** A body quoted in a diagnosis: the first 80 characters, and the CLI's clip marker with the whole length when more, so a cut is never read as the end. */
const clipBody = (body: string) => (body.length > 80 ? `${body.slice(0, 80)}${clipMarker(body.length)}` : body);

export const FIXES: Record<Diagnosis | 'layer-missing' | 'gateway-cors', string> = {
  'answered-by-something-else':
    "A more specific route (an ANY or OPTIONS route on this path; see the stack's ShadowingRoutes output) sent the preflight to the API's own function. Wrap that function with withCors from the current apigw-cors layer (it answers preflights with this product's decision), or remove that route's OPTIONS handling so OPTIONS reaches the preflight function.",
  'gateway-cors':
    "API Gateway answered by itself. HTTP API: remove the API's CorsConfiguration (aws apigatewayv2 delete-cors-configuration --api-id ID): with it, API Gateway answers every preflight and drops this product's headers. REST: delete the MOCK OPTIONS method on this resource (the console's \"Enable CORS\") so OPTIONS reaches the preflight function, then redeploy the stage.",
  'layer-missing':
    "The API's own function answered without the apigw-cors layer's headers: list CorsLayerVersionArn in its Layers, wrap its handler with withCors, attach the stack's PolicyReaderPolicyArn to its role, and set the variables of the stack's LayerFunctionEnvironment output (docs/layer.md).",
  authorizer:
    'An authorizer runs before the preflight function; browsers never send Authorization or cookies on a preflight, so every preflight fails. Set AuthorizationType NONE on the OPTIONS methods/routes (the stack creates them so; a more specific ANY route with an authorizer needs an OPTIONS route of its own without one). For actual requests: EnableGatewayResponses (REST) adds CORS headers to 4XX/5XX answers.',
  'not-deployed':
    'No OPTIONS method or route answers here. REST: redeploy the stage (aws apigateway create-deployment --rest-api-id ID --stage-name STAGE) or update the stack; HTTP API: check the OPTIONS /{proxy+} and OPTIONS / routes exist and the stage is deployed (AutoDeploy). Check that --url includes the stage (https://ID.execute-api.REGION.amazonaws.com/STAGE).',
  'different-policy':
    "This product's function answered, from other policies than the ones compared: wait one CORS_POLICY_TTL_SECONDS after a push and run again, check that the function's CORS_POLICY_PATH is the --path given here, or push the local files (cors-policy push --dir DIR --path PATH).",
  'integration-error':
    "API Gateway could not use the function's answer (5xx): check the function's logs, its timeout, and its resource policy (lambda:InvokeFunction for apigateway.amazonaws.com on .../OPTIONS/*).",
  'network-error': 'Check --url (scheme, host, stage), DNS and the network path; raise --timeout for a slow link; on 429 lower --rate.',
};

function differencesFor(probe: Probe, observed: Record<string, string>): HeaderDifference[] {
  const expected = lower(probe.expected.headers);
  const names = probe.method === 'OPTIONS' ? PREFLIGHT_HEADERS : ACTUAL_HEADERS;
  const diffs: HeaderDifference[] = [];
  for (const name of names) {
    const e = expected[name] ?? null;
    const o = observed[name] ?? null;
    if (e !== o) diffs.push({ header: name, expected: e, observed: o });
  }
  if (!varyCovers(expected.vary, observed.vary)) diffs.push({ header: 'vary', expected: expected.vary ?? null, observed: observed.vary ?? null });
  return diffs;
}

/** Compares one answer with the engine's expectation and diagnoses a mismatch. */
export function compare(probe: Probe, observed: Observed): Comparison {
  if (!observed.ok) {
    return {
      match: false,
      statusMatches: false,
      differences: [],
      diagnosis: 'network-error',
      detail: `${observed.code}: ${observed.error} (after ${observed.attempts} attempt${observed.attempts === 1 ? '' : 's'})`,
      fix: FIXES['network-error'],
    };
  }
  const headers = lower(observed.headers);
  const differences = differencesFor(probe, headers);
  const statusMatches = probe.expected.status === null || probe.expected.status === observed.status;
  if (statusMatches && differences.length === 0) return { match: true, statusMatches, differences };
  const base = { match: false, statusMatches, differences };
  const status = observed.status;
  const message = messageOf(observed.body);
  const errorType = headers['x-amzn-errortype'];
  const seen = `HTTP ${status}${errorType ? ` x-amzn-ErrorType: ${errorType}` : ''}${observed.body ? ` body ${JSON.stringify(clipBody(observed.body))}` : ''}`;

  if (status === 429)
    return { ...base, diagnosis: 'network-error', detail: `still throttled after ${observed.attempts} attempts: ${seen}`, fix: FIXES['network-error'] };
  // REST answers an unknown stage with 403 Forbidden and ForbiddenException; an HTTP API authorizer's Forbidden has no error type.
  const wrongStage = status === 403 && errorType?.startsWith('ForbiddenException') === true;
  if (
    (status === 403 && (message === 'Missing Authentication Token' || errorType?.startsWith('MissingAuthenticationToken'))) ||
    (status === 404 && message === 'Not Found') ||
    wrongStage
  ) {
    return {
      ...base,
      diagnosis: 'not-deployed',
      detail: `${seen}: ${wrongStage ? 'no such stage at this URL (or a private API)' : `API Gateway has no ${probe.method} ${probe.method === 'OPTIONS' ? 'method or route' : 'route'} for ${probe.path}`}`,
      fix: FIXES['not-deployed'],
    };
  }
  if (probe.method === 'OPTIONS' && isProductPreflightAnswer(status, headers, observed.body)) {
    const reason = headers[DENY_REASON_HEADER_LOWER];
    const want = probe.expected.status === 204 ? 'allowed' : `denied (${probe.expected.reason ?? 'denied'})`;
    const got = status === 204 ? 'allowed' : `denied${reason ? ` (${reason})` : ''}`;
    const what =
      want.startsWith('allowed') === got.startsWith('allowed')
        ? `the same decision with other headers: ${differences.map((d) => d.header).join(', ')}`
        : `expected ${want}, the function ${got}`;
    return { ...base, diagnosis: 'different-policy', detail: `this product's answer, ${what}`, fix: FIXES['different-policy'] };
  }
  const authorizerType = errorType !== undefined && /^(Unauthorized|AccessDenied)/i.test(errorType);
  const authorizerMessage =
    message !== undefined && /^(Unauthorized|Forbidden|User is not authorized|User is not authorized to access this resource)/.test(message);
  if ((status === 401 || status === 403) && (authorizerType || authorizerMessage)) {
    return {
      ...base,
      diagnosis: 'authorizer',
      detail: `${seen}${hasCorsHeaders(headers) ? '' : ', no CORS headers'}: an authorizer refused the request`,
      fix: FIXES.authorizer,
    };
  }
  if (status >= 500) return { ...base, diagnosis: 'integration-error', detail: seen, fix: FIXES['integration-error'] };
  if (probe.method !== 'OPTIONS') {
    const vary = new Set(varyTokens(headers.vary));
    if (!hasCorsHeaders(headers) && !vary.has('origin'))
      return {
        ...base,
        diagnosis: 'answered-by-something-else',
        detail: `${seen}: no CORS headers and no Vary: Origin, so not the apigw-cors layer's answer`,
        fix: FIXES['layer-missing'],
      };
    if (vary.has('origin'))
      return {
        ...base,
        diagnosis: 'different-policy',
        detail: `${seen}: the layer's answer (Vary: Origin) with other headers: ${differences.map((d) => d.header).join(', ')}`,
        fix: FIXES['different-policy'].replace("the function's CORS_POLICY_PATH", "the API function's CORS_POLICY_PATH"),
      };
    return {
      ...base,
      diagnosis: 'answered-by-something-else',
      detail: `${seen}: CORS headers without Vary: Origin, so not the apigw-cors layer's (an HTTP API CorsConfiguration, or the function's own)`,
      fix: FIXES['gateway-cors'],
    };
  }
  // A gateway-made answer: CORS headers on an empty body, without this product's Vary.
  if (hasCorsHeaders(headers) && observed.body === '' && status >= 200 && status < 300) {
    return {
      ...base,
      diagnosis: 'answered-by-something-else',
      detail: `${seen} with CORS headers but not this product's Vary: answered by API Gateway itself (an HTTP API CorsConfiguration or a MOCK integration)`,
      fix: FIXES['gateway-cors'],
    };
  }
  if (status >= 200 && status < 300 && observed.body === '' && !hasCorsHeaders(headers)) {
    return {
      ...base,
      diagnosis: 'answered-by-something-else',
      detail: `${seen} without CORS headers or this product's Vary: answered by something else (an HTTP API CorsConfiguration refusing the origin, a MOCK integration, or another function)`,
      fix: FIXES['gateway-cors'],
    };
  }
  return {
    ...base,
    diagnosis: 'answered-by-something-else',
    detail: `${seen}: not this product's preflight answer (no Vary: ${PREFLIGHT_VARY}); the API's own function or another integration answered`,
    fix: FIXES['answered-by-something-else'],
  };
}
