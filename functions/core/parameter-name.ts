/**
 * SSM Parameter Store naming rules, checked here because local stand-ins
 * (moto) accept names that the real service refuses.
 */
const NAME_CHARS = /^[a-zA-Z0-9_.\-/]+$/;
export const MAX_PARAMETER_LEVELS = 15;
export const MAX_PARAMETER_NAME_LENGTH = 1011;

/** Why `name` is not a valid fully qualified parameter name or path, or undefined when it is. */
export function parameterNameProblem(name: string, kind: 'name' | 'path' = 'name'): string | undefined {
  if (!name.startsWith('/')) return `must start with "/"`;
  if (name.length > MAX_PARAMETER_NAME_LENGTH) return `is longer than ${MAX_PARAMETER_NAME_LENGTH} characters`;
  if (!NAME_CHARS.test(name)) return 'may only contain letters, digits and _ . - /';
  if (kind === 'name' && name.endsWith('/')) return 'must not end with "/"';
  if (name.includes('//')) return 'must not contain "//"';
  const levels = name.split('/').filter(Boolean);
  if (levels.length === 0 && kind === 'name') return 'has no name';
  if (levels.length > MAX_PARAMETER_LEVELS) return `has more than ${MAX_PARAMETER_LEVELS} levels`;
  const first = (levels[0] ?? '').toLowerCase();
  if (first.startsWith('aws') || first.startsWith('ssm')) return 'must not begin with "aws" or "ssm" (reserved by AWS)';
  return undefined;
}
