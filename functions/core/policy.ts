import { OriginMatcher } from './origin';
import {
  type RawDocument,
  type ReportProblem,
  validateAllowHeaders,
  validateDescription,
  validateExposeHeaders,
  validateFlag,
  validateMaxAge,
  validateMethods,
  validateOrigins,
  validateRoutes,
  validateSchemaReference,
} from './policy-fields';
import { PolicyValidationError, type PolicyProblem } from './problems';
import type { RoutePattern } from './route';

export { DEFAULT_MAX_AGE, MAX_MAX_AGE } from './policy-fields';

/**
 * The policy document as stored in one SSM parameter (the public contract).
 * Field names follow API Gateway's own CORS configuration.
 */
export interface PolicyDocument {
  /** API Gateway path pattern(s): `/products/{id}`, `/files/{path+}`, `/`, or `$default`. */
  route: string | string[];
  /** Serialized origins: exact, `https://*.example.com` (subdomains only), `http://localhost:*` (any port), or `*` (any, without credentials). */
  allowOrigins: string[];
  /** Method tokens, byte-exact (`PATCH` does not allow `patch`); `*` = any, without credentials. */
  allowMethods: string[];
  /** Request header names, case-insensitive; `*` = any except `authorization`, without credentials. Default: none. */
  allowHeaders?: string[];
  /** Response header names scripts may read; `*` = all, without credentials. Default: none. */
  exposeHeaders?: string[];
  /** Allow cookies and HTTP authentication. Default: false. */
  allowCredentials?: boolean;
  /** Seconds a browser may cache the preflight answer, 0-86400. Default: {@link DEFAULT_MAX_AGE}. */
  maxAge?: number;
  /** Allows non-loopback `http://` origins together with credentials. Anyone on the network path can then act as that origin. Default: false. */
  dangerouslyAllowInsecureOriginsWithCredentials?: boolean;
  /** Free text for operators; ignored by the engine. */
  description?: string;
}

/** The fields a policy document may have, in the order problems name them. */
export const POLICY_FIELDS: readonly (keyof PolicyDocument | '$schema')[] = [
  'route',
  'allowOrigins',
  'allowMethods',
  'allowHeaders',
  'exposeHeaders',
  'allowCredentials',
  'maxAge',
  'dangerouslyAllowInsecureOriginsWithCredentials',
  'description',
  // The JSON Schema an editor validates the file against (schema/policy.schema.json); ignored by the engine.
  '$schema',
];
const KNOWN_FIELDS: ReadonlySet<string> = new Set(POLICY_FIELDS);

/** A validated policy, with everything the hot path needs computed once. */
export interface CompiledPolicy {
  /** The parameter (or file) the policy came from. */
  readonly source: string;
  /** The document as validated, normalized (lists always present). */
  readonly document: Readonly<Required<Omit<PolicyDocument, 'description' | 'route'>>> & { route: string[]; description?: string };
  readonly routes: readonly RoutePattern[];
  readonly origins: OriginMatcher;
  readonly allowCredentials: boolean;
  /** `*` in allowOrigins: answer `Access-Control-Allow-Origin: *` (anonymous requests only). */
  readonly anyOrigin: boolean;
  readonly anyMethod: boolean;
  readonly methods: ReadonlySet<string>;
  readonly anyHeader: boolean;
  /** Lower-case allowed request header names (without `*`). */
  readonly headers: ReadonlySet<string>;
  /** Precomputed response header values. */
  readonly values: {
    readonly allowMethods: string;
    readonly allowHeaders: string | undefined;
    readonly exposeHeaders: string | undefined;
    readonly maxAge: string;
  };
}

/**
 * Reads the document: JSON text is parsed, and the result must be an object. These two problems stop
 * the parse at once, since no field can be read without an object.
 */
function readDocument(source: string, input: string | unknown): RawDocument {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch (err) {
      throw new PolicyValidationError([{ source, field: '', value: input, code: 'invalid_json', reason: `is not valid JSON (${(err as Error).message})` }], {
        cause: err,
      });
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new PolicyValidationError([{ source, field: '', value: raw, code: 'not_an_object', reason: 'must be a JSON object' }]);
  }
  return raw as RawDocument;
}

function validateFieldNames(doc: RawDocument, problem: ReportProblem): void {
  for (const key of Object.keys(doc)) {
    if (!KNOWN_FIELDS.has(key)) problem(key, doc[key], 'unknown_field', `is not a policy field (known fields: ${POLICY_FIELDS.join(', ')})`);
  }
}

/**
 * Validates and compiles one policy document: every field's validator (policy-fields.ts) runs and adds
 * its problems to one list, so a document with several mistakes reports them all together. Problems are
 * listed in the order the validators run here; the CLI's output and the tests depend on that order.
 *
 * @param source - the parameter or file name, used in every problem message
 * @param input - the parameter's value (JSON text) or an already-parsed object
 * @throws {@link PolicyValidationError} with every problem found
 */
export function parsePolicy(source: string, input: string | unknown): CompiledPolicy {
  const doc = readDocument(source, input);
  const problems: PolicyProblem[] = [];
  const problem: ReportProblem = (field, value, code, reason) => problems.push({ source, field, value, code, reason });
  validateFieldNames(doc, problem);
  const credentials = validateFlag(doc, 'allowCredentials', problem);
  const insecureOptIn = validateFlag(doc, 'dangerouslyAllowInsecureOriginsWithCredentials', problem);
  const description = validateDescription(doc, problem);
  validateSchemaReference(doc, problem);
  const routes = validateRoutes(doc, problem);
  const { listed: origins, patterns } = validateOrigins(doc, credentials, insecureOptIn, problem);
  const methods = validateMethods(doc, credentials, problem);
  const allowHeaders = validateAllowHeaders(doc, credentials, problem);
  const exposeHeaders = validateExposeHeaders(doc, credentials, problem);
  const maxAge = validateMaxAge(doc, problem);
  if (problems.length > 0) throw new PolicyValidationError(problems);

  const document = {
    route: routes.map((r) => r.source),
    allowOrigins: origins,
    allowMethods: methods,
    allowHeaders,
    exposeHeaders,
    allowCredentials: credentials,
    maxAge,
    dangerouslyAllowInsecureOriginsWithCredentials: insecureOptIn,
    ...(description !== undefined ? { description } : {}),
  };
  return {
    source,
    document,
    routes,
    origins: new OriginMatcher(patterns),
    allowCredentials: credentials,
    anyOrigin: patterns.some((p) => p.kind === 'any'),
    anyMethod: methods.includes('*'),
    methods: new Set(methods.filter((m) => m !== '*')),
    anyHeader: allowHeaders.includes('*'),
    headers: new Set(allowHeaders.filter((h) => h !== '*')),
    values: {
      allowMethods: methods.join(', '),
      allowHeaders: allowHeaders.length > 0 ? allowHeaders.join(', ') : undefined,
      exposeHeaders: exposeHeaders.length > 0 ? exposeHeaders.join(', ') : undefined,
      maxAge: String(maxAge),
    },
  };
}
