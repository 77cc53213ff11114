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
