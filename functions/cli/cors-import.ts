/**
 * Turning an API's current CORS setup into policy documents that reproduce what a
 * browser sees today: an HTTP API's CorsConfiguration, or the static
 * Access-Control-* values of a REST OPTIONS method with a MOCK integration.
 *
 * Never widened: each value is read under the source's own semantics first (a
 * REST MOCK answer is a static string a browser compares byte for byte; an HTTP
 * API's CorsConfiguration takes the forms API Gateway documents), and only what
 * it really allows is kept; then a value the engine refuses is left out of the
 * list it belongs to (which only ever narrows what is allowed), and a policy
 * that would lose all its origins or methods is left out whole. Every step is
 * reported, naming the resource and why.
 */
import { parseRequestOrigin } from '../core/origin';
import { parsePolicy, type PolicyDocument } from '../core/policy';
import { PolicyValidationError, type PolicyProblem } from '../core/problems';
import { isToken } from '../core/tokens';

/** The CORS answer an API gives today, as header values (undefined: header not sent). */
export interface StaticCors {
  origins: string[];
  methods: string[] | undefined;
  headers: string[];
  expose: string[];
  credentials: boolean;
  maxAge: number | undefined;
}

export interface Imported {
  /** Where it came from, e.g. `OPTIONS /items (MOCK)` or `CorsConfiguration`. */
  readonly source: string;
  /** The policy, or undefined when it was left out (see `refused`). */
  readonly document?: PolicyDocument;
  /** Entries left out of the policy, each with the engine's reason. */
  readonly dropped: PolicyProblem[];
  /** Why the whole policy was left out. */
  readonly refused?: string;
  /** How the API's answer was mapped where it is not one to one (defaults the browser applies). */
  readonly notes: string[];
}

/** When Access-Control-Max-Age is absent, browsers cache a preflight for 5 s (Fetch standard). */
const BROWSER_DEFAULT_MAX_AGE = 5;
/** Without Access-Control-Allow-Methods a preflight passes only for the CORS-safelisted methods. */
const SAFELISTED_METHODS = ['GET', 'HEAD', 'POST'];
const LIST_FIELDS = new Set(['allowOrigins', 'allowMethods', 'allowHeaders', 'exposeHeaders']);

/** Splits a header value list: `GET,POST, OPTIONS` -> ['GET', 'POST', 'OPTIONS']. */
export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/**
 * How the source reads its origin list: `static` for a header value a browser
 * compares byte for byte (a REST MOCK answer), `api-gateway` for an HTTP API's
 * CorsConfiguration (an origin, `*`, `https://*` or `http://*`, as API Gateway
 * documents).
 */
export type OriginSemantics = 'static' | 'api-gateway';

/**
 * The origins `raw` really allows under `semantics`, each left-out value with
 * why. Kept: an origin exactly as browsers serialize it, and `*`. Left out:
 * anything that looks like a pattern (`https://*.example.com`,
 * `http://localhost:*`): as a static header it matches no origin a browser
 * sends; in a CorsConfiguration it is not a documented form, so what it allows
 * is unknown. `https://*` / `http://*` (every origin of a scheme) have no
 * narrower equivalent in a policy: left out rather than widened to `*`.
 */
export function originsAllowed(raw: readonly string[], semantics: OriginSemantics): { kept: string[]; notes: string[] } {
  const kept: string[] = [];
  const notes: string[] = [];
  for (const o of raw) {
    if (o === '*' || parseRequestOrigin(o) !== undefined) {
      if (!kept.includes(o)) kept.push(o);
    } else if (semantics === 'api-gateway' && (o === 'https://*' || o === 'http://*'))
      notes.push(
        `left out origin ${JSON.stringify(o)}: it allows every ${o.slice(0, -4)} origin, which a policy cannot express without allowing every origin ("*"); list the origins instead`,
      );
    else if (semantics === 'static')
      notes.push(
        `left out origin ${JSON.stringify(o)}: API Gateway sends this static value as it is, and browsers compare Access-Control-Allow-Origin byte for byte with the request's serialized origin (scheme://host[:port], lower case), so it allows no origin today; it is not a pattern`,
      );
    else
      notes.push(
        `left out origin ${JSON.stringify(o)}: not a form API Gateway documents for allowOrigins (an origin as browsers send it, "*", "https://*" or "http://*"), so what it allows is unknown`,
      );
  }
  return { kept, notes };
}

/** Header names match case-insensitively: lower-cased, duplicates dropped. */
function headerNames(names: readonly string[]): string[] {
  return [...new Set(names.map((n) => n.toLowerCase()))];
}

/**
 * A policy for `routes` reproducing `cors`, narrowed until the engine accepts it.
 * @param description - stored in the policy, so operators see where it came from
 * @param semantics - how the source reads its origins (see {@link originsAllowed})
 */
export function toPolicy(source: string, routes: string[], cors: StaticCors, description: string, semantics: OriginSemantics = 'static'): Imported {
  const notes: string[] = [];
  if (cors.origins.length === 0)
    return { source, dropped: [], notes, refused: 'sends no Access-Control-Allow-Origin, so every cross-origin request fails today; nothing to reproduce' };
  const origins = originsAllowed(cors.origins, semantics);
  notes.push(...origins.notes);
  if (origins.kept.length === 0)
    return {
      source,
      dropped: [],
      notes,
      refused: 'allows no origin a browser sends (see the notes); nothing to reproduce, and nothing is widened to make it one',
    };
  if (cors.credentials && semantics === 'static' && origins.kept.includes('*'))
    return {
      source,
      dropped: [],
      notes,
      refused:
        'answers Access-Control-Allow-Origin "*" with Access-Control-Allow-Credentials: true, which every browser refuses for credentialed requests; the answer allows only anonymous requests, which a policy with credentials cannot reproduce without widening: write the policy by hand',
    };
  let methods = cors.methods;
  if (methods === undefined) {
    methods = [...SAFELISTED_METHODS];
    notes.push('no Access-Control-Allow-Methods: browsers then allow only GET, HEAD and POST, written out as allowMethods');
  }
  if (methods.includes('OPTIONS')) {
    // Listed for the preflight itself, which needs no entry: the preflight function answers every OPTIONS preflight.
    methods = methods.filter((m) => m !== 'OPTIONS');
    notes.push('left out OPTIONS from allowMethods: the preflight itself needs no entry');
    if (methods.length === 0) methods = [...SAFELISTED_METHODS];
  }
  let maxAge = cors.maxAge;
  if (maxAge === undefined) {
    maxAge = BROWSER_DEFAULT_MAX_AGE;
    notes.push(
      `no Access-Control-Max-Age: browsers cache the answer ${BROWSER_DEFAULT_MAX_AGE} s, kept as maxAge ${BROWSER_DEFAULT_MAX_AGE} (raise it to save preflights)`,
    );
  } else if (maxAge < 0) {
    maxAge = 0;
    notes.push('a negative Access-Control-Max-Age disables caching: written as maxAge 0');
  } else if (maxAge > 86400) {
    notes.push(`Access-Control-Max-Age ${maxAge} is above every browser's cap: written as 86400`);
    maxAge = 86400;
  }
  const doc: Record<string, unknown> = {
    description,
    route: routes.length === 1 ? routes[0] : routes,
    allowOrigins: origins.kept,
    allowMethods: methods,
    ...(cors.headers.length > 0 ? { allowHeaders: headerNames(cors.headers) } : {}),
    ...(cors.expose.length > 0 ? { exposeHeaders: headerNames(cors.expose) } : {}),
    ...(cors.credentials ? { allowCredentials: true } : {}),
    maxAge,
  };
  const dropped: PolicyProblem[] = [];
  // Each round removes the entries the engine names; a list only ever gets shorter.
  for (let round = 0; round < 10; round++) {
    try {
      parsePolicy(source, doc);
      return { source, document: doc as unknown as PolicyDocument, dropped, notes };
    } catch (err) {
      if (!(err instanceof PolicyValidationError)) throw err;
      const remove = new Map<string, Set<number>>();
      for (const p of err.problems) {
        const m = /^(\w+)\[(\d+)\]$/.exec(p.field);
        if (!m || !LIST_FIELDS.has(m[1]!)) return { source, dropped: [...dropped, ...err.problems], notes, refused: `${p.field || 'the policy'} ${p.reason}` };
        if (!remove.has(m[1]!)) remove.set(m[1]!, new Set());
        remove.get(m[1]!)!.add(Number(m[2]));
        dropped.push(p);
      }
      for (const [field, indexes] of remove) {
        const kept = (doc[field] as string[]).filter((_, i) => !indexes.has(i));
        if (kept.length === 0 && (field === 'allowOrigins' || field === 'allowMethods')) {
          return {
            source,
            dropped,
            notes,
            refused: `no ${field === 'allowOrigins' ? 'origin' : 'method'} is left that the engine accepts, and a policy without one would not reproduce the API's answer`,
          };
        }
        if (kept.length === 0) delete doc[field];
        else doc[field] = kept;
      }
    }
  }
  return { source, dropped, notes, refused: 'could not be narrowed into a valid policy' };
}

/** HTTP API CorsConfiguration fields (as the SDK returns them). */
export interface CorsConfiguration {
  AllowOrigins?: string[];
  AllowMethods?: string[];
  AllowHeaders?: string[];
  ExposeHeaders?: string[];
  AllowCredentials?: boolean;
  MaxAge?: number;
}

/** An HTTP API's CorsConfiguration answers preflights on every path: one policy for `$default` and `/`. */
export function fromCorsConfiguration(apiId: string, cors: CorsConfiguration): Imported {
  return toPolicy(
    'CorsConfiguration',
    ['$default', '/'],
    {
      origins: cors.AllowOrigins ?? [],
      methods: cors.AllowMethods && cors.AllowMethods.length > 0 ? cors.AllowMethods : undefined,
      headers: cors.AllowHeaders ?? [],
      expose: cors.ExposeHeaders ?? [],
      credentials: cors.AllowCredentials === true,
      maxAge: cors.MaxAge,
    },
    `Imported from the CorsConfiguration of HTTP API ${apiId}.`,
    'api-gateway',
  );
}

/** The parts of a REST method the import reads (as GetResources embeds them). */
export interface RestOptionsMethod {
  methodIntegration?: {
    type?: string;
    integrationResponses?: Record<string, { statusCode?: string; selectionPattern?: string; responseParameters?: Record<string, string> }>;
  };
}

const HEADER_PREFIX = 'method.response.header.';

/** HTTP strips spaces and tabs around a header value before a browser sees it. */
const httpTrim = (v: string): string => v.replace(/^[ \t]+|[ \t]+$/g, '');

/** A REST resource's OPTIONS method: a MOCK integration's static Access-Control-* values become a policy for that path. */
export function fromRestOptions(apiId: string, path: string, method: RestOptionsMethod): Imported {
  const source = `OPTIONS ${path}`;
  const integration = method.methodIntegration;
  if (integration?.type !== 'MOCK') {
    return {
      source,
      dropped: [],
      notes: [],
      refused: `is answered by ${integration?.type ? `an integration of type ${integration.type}` : 'no integration'}, whose CORS headers are not static values; not imported`,
    };
  }
  const responses = Object.values(integration.integrationResponses ?? {});
  const response = responses.find((r) => !r.selectionPattern) ?? (responses.length === 1 ? responses[0] : undefined);
  if (!response) return { source, dropped: [], notes: [], refused: 'has no default integration response; not imported' };
  if (!/^2\d\d$/.test(response.statusCode ?? '')) {
    return {
      source,
      dropped: [],
      notes: [],
      refused: `answers with status ${response.statusCode ?? '?'}, which browsers treat as a failed preflight; nothing to reproduce`,
    };
  }
  const values = new Map<string, string>();
  const notes: string[] = [];
  const dynamic: PolicyProblem[] = [];
  for (const [key, value] of Object.entries(response.responseParameters ?? {})) {
    if (!key.startsWith(HEADER_PREFIX)) continue;
    const name = key.slice(HEADER_PREFIX.length).toLowerCase();
    if (!name.startsWith('access-control-')) continue;
    const literal = /^'(.*)'$/s.exec(value);
    if (!literal) {
      dynamic.push({
        source,
        field: name,
        value,
        code: 'import_not_static',
        reason: 'is mapped from the request or context, not a static value; a policy cannot reproduce it',
      });
      continue;
    }
    values.set(name, literal[1]!);
  }
  const origin = values.get('access-control-allow-origin');
  if (dynamic.some((d) => d.field === 'access-control-allow-origin')) {
    return {
      source,
      dropped: dynamic,
      notes,
      refused: 'Access-Control-Allow-Origin is not a static value (reflecting the request Origin allows every origin); left out rather than widened',
    };
  }
  // A browser fails every preflight when Access-Control-Allow-Methods or -Headers holds anything but tokens (Fetch:
  // extracting header list values returns failure): such an answer allows nothing, and a cleaned-up list would widen it.
  for (const name of ['access-control-allow-methods', 'access-control-allow-headers']) {
    const raw = values.get(name);
    if (raw === undefined) continue;
    const bad = raw
      .split(',')
      .map(httpTrim)
      .find((item) => !isToken(item));
    if (bad !== undefined)
      return {
        source,
        dropped: dynamic,
        notes,
        refused: `${name} ${JSON.stringify(raw)} holds ${bad === '' ? 'an empty item' : JSON.stringify(bad)}, which is not a ${name.endsWith('methods') ? 'method' : 'header name'}: browsers then fail every preflight, so the answer allows nothing; left out rather than widened`,
      };
  }
  const list = (name: string) => splitList(values.get(name) ?? '');
  const maxAgeText = values.get('access-control-max-age');
  const maxAge = maxAgeText !== undefined && /^-?\d+$/.test(maxAgeText.trim()) ? Number(maxAgeText.trim()) : undefined;
  if (maxAgeText !== undefined && maxAge === undefined) notes.push(`Access-Control-Max-Age "${maxAgeText}" is not a number, which browsers ignore`);
  const credentialsText = values.get('access-control-allow-credentials');
  const credentials = credentialsText === undefined ? undefined : httpTrim(credentialsText);
  if (credentials !== undefined && credentials !== 'true')
    notes.push(`Access-Control-Allow-Credentials "${credentials}" is not exactly "true", which browsers treat as no credentials`);
  const imported = toPolicy(
    source,
    [path],
    {
      // One Access-Control-Allow-Origin value, compared byte for byte: a list in it, or spaces around it, fail in browsers.
      origins: origin === undefined ? [] : [httpTrim(origin)],
      methods: values.has('access-control-allow-methods') ? list('access-control-allow-methods') : undefined,
      headers: list('access-control-allow-headers'),
      expose: list('access-control-expose-headers'),
      credentials: credentials === 'true',
      maxAge,
    },
    `Imported from the MOCK OPTIONS method of ${path} in REST API ${apiId}.`,
    'static',
  );
  return { ...imported, dropped: [...dynamic, ...imported.dropped], notes: [...notes, ...imported.notes] };
}

/** A parameter name (and file name) for a route: `/` -> `root`, `/items/{id}` -> `items-id`. */
export function policyNameFor(path: string): string {
  if (path === '/') return 'root';
  const name = path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/[{}+]/g, '').replace(/[^A-Za-z0-9_.-]/g, '_'))
    .join('-')
    .replace(/^\.+/, '_');
  return name || 'root';
}
