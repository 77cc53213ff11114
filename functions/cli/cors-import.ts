/**
 * Turning an API's current CORS setup into policy documents that reproduce what a
 * browser sees today: an HTTP API's CorsConfiguration, or the static
 * Access-Control-* values of a REST OPTIONS method with a MOCK integration.
 *
 * Never widened: a value the engine refuses is left out of the list it belongs to
 * (which only ever narrows what is allowed), and a policy that would lose all its
 * origins or methods is left out whole. Every step is reported.
 */
import { parsePolicy, type PolicyDocument } from '../core/policy';
import { PolicyValidationError, type PolicyProblem } from '../core/problems';

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
 * A policy for `routes` reproducing `cors`, narrowed until the engine accepts it.
 * @param description - stored in the policy, so operators see where it came from
 */
export function toPolicy(source: string, routes: string[], cors: StaticCors, description: string): Imported {
  const notes: string[] = [];
  if (cors.origins.length === 0)
    return { source, dropped: [], notes, refused: 'sends no Access-Control-Allow-Origin, so every cross-origin request fails today; nothing to reproduce' };
  let methods = cors.methods;
  if (methods === undefined) {
    methods = [...SAFELISTED_METHODS];
    notes.push('no Access-Control-Allow-Methods: browsers then allow only GET, HEAD and POST, written out as allowMethods');
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
    allowOrigins: [...cors.origins],
    allowMethods: methods,
    ...(cors.headers.length > 0 ? { allowHeaders: [...cors.headers] } : {}),
    ...(cors.expose.length > 0 ? { exposeHeaders: [...cors.expose] } : {}),
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
  const list = (name: string) => splitList(values.get(name) ?? '');
  const maxAgeText = values.get('access-control-max-age');
  const maxAge = maxAgeText !== undefined && /^-?\d+$/.test(maxAgeText.trim()) ? Number(maxAgeText.trim()) : undefined;
  if (maxAgeText !== undefined && maxAge === undefined) notes.push(`Access-Control-Max-Age "${maxAgeText}" is not a number, which browsers ignore`);
  const credentials = values.get('access-control-allow-credentials');
  if (credentials !== undefined && credentials !== 'true')
    notes.push(`Access-Control-Allow-Credentials "${credentials}" is not exactly "true", which browsers treat as no credentials`);
  const imported = toPolicy(
    source,
    [path],
    {
      // One Access-Control-Allow-Origin value; a list in it fails in browsers and in the engine alike.
      origins: origin === undefined ? [] : [origin.trim()],
      methods: values.has('access-control-allow-methods') ? list('access-control-allow-methods') : undefined,
      headers: list('access-control-allow-headers'),
      expose: list('access-control-expose-headers'),
      credentials: credentials === 'true',
      maxAge,
    },
    `Imported from the MOCK OPTIONS method of ${path} in REST API ${apiId}.`,
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
