/** Why an `allowOrigins` entry is refused (see {@link parseOriginPattern}). */
export const ORIGIN_PROBLEM_CODES = [
  'origin_empty',
  'origin_whitespace',
  'origin_null',
  'origin_file',
  'origin_no_scheme',
  'origin_scheme',
  'origin_upper_case',
  'origin_userinfo',
  'origin_path',
  'origin_port',
  'origin_default_port',
  'origin_host',
  'origin_not_canonical',
  'origin_wildcard_position',
  'origin_wildcard_ip',
  'origin_wildcard_public_suffix',
  'origin_wildcard_unverified',
] as const;
export type OriginProblemCode = (typeof ORIGIN_PROBLEM_CODES)[number];

/**
 * Stable codes of policy problems, next to the prose: scripts and tests match
 * these, never the message (docs/policies.md lists them). Like the deny
 * reasons, a code is never renamed; new ones may be added.
 */
export const POLICY_PROBLEM_CODES = [
  // the document
  'invalid_json',
  'not_an_object',
  'unknown_field',
  'required',
  'wrong_type',
  'empty_list',
  'duplicate',
  // route
  'route_invalid',
  'route_repeated',
  'route_conflict',
  // allowOrigins
  ...ORIGIN_PROBLEM_CODES,
  'insecure_origin_with_credentials',
  // "*" where credentials make it literal
  'wildcard_with_credentials',
  // allowMethods
  'method_invalid',
  'method_forbidden',
  'method_not_upper_case',
  // allowHeaders, exposeHeaders
  'header_invalid',
  'header_forbidden',
  'header_never_exposed',
  'header_cors_protocol',
  // maxAge
  'max_age_invalid',
  'max_age_out_of_range',
  // the parameter or file holding the policy
  'parameter_type',
  'parameter_name_invalid',
  'same_parameter',
  'case_collision',
  'invalid_yaml',
  'too_large',
  'not_writable',
  // cors-policy import: what an API's current CORS setup has that a policy cannot reproduce
  'import_not_static',
] as const;
export type PolicyProblemCode = (typeof POLICY_PROBLEM_CODES)[number];

/**
 * One thing wrong with a policy, as precise as an operator needs to fix it:
 * which parameter, which field, the offending value and why it is refused.
 */
export interface PolicyProblem {
  /** The SSM parameter name (or file name) the policy came from. */
  readonly source: string;
  /** JSON path of the field inside the policy, e.g. `allowOrigins[2]`; empty for the whole document. */
  readonly field: string;
  /** The offending value, as found. */
  readonly value: unknown;
  /** What kind of problem it is: stable, for scripts and tests. */
  readonly code: PolicyProblemCode;
  /** Why it is refused, written for the person who must fix it. */
  readonly reason: string;
}

/** `policy "/cors/shop/products": allowOrigins[1]: "https://*.com": wildcard over the public suffix "com"` */
export function formatProblem(p: PolicyProblem): string {
  const where = p.field ? `${p.field}: ` : '';
  const value = p.value === undefined ? '' : `${preview(p.value)}: `;
  return `policy "${p.source}": ${where}${value}${p.reason}`;
}

function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/**
 * Thrown by {@link parsePolicy} when a document is invalid. Carries every
 * problem found, not just the first, so that one round of fixes is enough.
 */
export class PolicyValidationError extends Error {
  override readonly name = 'PolicyValidationError';
  readonly problems: readonly PolicyProblem[];

  constructor(problems: readonly PolicyProblem[], options?: { cause?: unknown }) {
    super(`${problems.length} problem${problems.length === 1 ? '' : 's'} in policy:\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`, options);
    this.problems = problems;
  }
}
