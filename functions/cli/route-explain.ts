import type { CompiledPolicy } from '../core/policy';
import { isRouteConflict, type PolicySet, type RouteConflict } from '../core/policy-set';
import { RouteTable, type RoutePattern } from '../core/route';

/**
 * Which route pattern matched a path and which others also matched but lost.
 * The winner is the policy the engine's own route table returns; this module
 * only says which of its patterns matched and why it beat the rest.
 */
export interface RouteMatch {
  readonly policy: CompiledPolicy;
  readonly route: string;
  /** Path parameter values, e.g. {id: "42"}; a greedy parameter holds the rest of the path. */
  readonly params: Readonly<Record<string, string>>;
}

export interface RouteExplanation {
  readonly winner?: RouteMatch;
  /** Set when the most specific matching route is claimed by several policies: nobody serves it, the request is denied. */
  readonly conflict?: RouteConflict;
  /** Patterns that also match the path, most specific first; they lose to the winner. */
  readonly others: readonly RouteMatch[];
}

/** Precedence key: literal (0) beats {param} (1) beats {param+} (2), segment by segment; $default (3) is last. */
function rank(pattern: RoutePattern): number[] {
  if (pattern.isDefault) return [3];
  return pattern.segments.map((s) => (s.kind === 'literal' ? 0 : s.kind === 'param' ? 1 : 2));
}

function compareRank(a: RoutePattern, b: RoutePattern): number {
  const ra = rank(a);
  const rb = rank(b);
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) if (ra[i] !== rb[i]) return (ra[i] as number) - (rb[i] as number);
  return ra.length - rb.length;
}

function matches(pattern: RoutePattern, path: string): boolean {
  const one = new RouteTable<true>();
  one.add(pattern, true);
  return one.match(path) === true;
}

function paramsOf(pattern: RoutePattern, path: string): Record<string, string> {
  const parts = path === '/' ? [] : path.replace(/^\//, '').split('/');
  const params: Record<string, string> = {};
  pattern.segments.forEach((s, i) => {
    if (s.kind === 'param') params[s.name] = parts[i] ?? '';
    else if (s.kind === 'greedy') params[s.name] = parts.slice(i).join('/');
  });
  return params;
}

export function explainRoute(set: PolicySet, path: string): RouteExplanation {
  const candidates: Array<{ policy: CompiledPolicy; pattern: RoutePattern }> = [];
  for (const policy of set.policies.values()) for (const pattern of policy.routes) if (matches(pattern, path)) candidates.push({ policy, pattern });
  candidates.sort((a, b) => compareRank(a.pattern, b.pattern));
  const chosen = set.table.match(path);
  const toMatch = (c: { policy: CompiledPolicy; pattern: RoutePattern }): RouteMatch => ({
    policy: c.policy,
    route: c.pattern.source,
    params: paramsOf(c.pattern, path),
  });
  if (isRouteConflict(chosen)) return { conflict: chosen, others: candidates.filter((c) => c.pattern.key !== chosen.key).map(toMatch) };
  const winnerIndex = candidates.findIndex((c) => c.policy === chosen);
  if (winnerIndex < 0) return { others: candidates.map(toMatch) };
  return { winner: toMatch(candidates[winnerIndex]!), others: candidates.filter((_, i) => i !== winnerIndex).map(toMatch) };
}

export const PRECEDENCE_RULE =
  'a literal segment beats {param}, which beats {param+}, segment by segment from the left; $default only when nothing else matches';
