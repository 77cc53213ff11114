import { parsePolicy, type CompiledPolicy } from './policy';
import { PolicyValidationError, type PolicyProblem } from './problems';
import { RouteTable } from './route';

/** One stored policy: where it came from and its raw value. */
export interface PolicyEntry {
  readonly source: string;
  readonly value: string;
  /** The SSM parameter type when known; only `String` holds a policy. */
  readonly type?: string;
}

/** How a policy's current version came to be served (or not). */
export type PolicyStatus = 'current' | 'kept-last-valid' | 'rejected';

/**
 * Every policy compiled into one immutable route table. Built whole and
 * swapped whole, so a request never sees half of an update.
 */
export interface PolicySet {
  readonly table: RouteTable<CompiledPolicy>;
  /** Policies that serve, by source. */
  readonly policies: ReadonlyMap<string, CompiledPolicy>;
  /** What happened to each entry. */
  readonly status: ReadonlyMap<string, PolicyStatus>;
  /** Every problem found in this load, each naming its source. */
  readonly problems: readonly PolicyProblem[];
}

/** A policy version competing for its routes, and the last valid version to fall back on. */
interface Candidate {
  policy: CompiledPolicy;
  readonly fallback?: CompiledPolicy;
}

const bySource = (a: Candidate, b: Candidate): number => (a.policy.source < b.policy.source ? -1 : a.policy.source > b.policy.source ? 1 : 0);

/**
 * Validates and compiles a set of policies.
 *
 * One bad policy never takes the others down: an invalid policy keeps its last
 * valid version from `previous` if there is one, otherwise it is left out.
 * Two policies claiming the same route is a conflict. A route stays with the
 * policy that served it as long as that policy still claims it: an edit that
 * claims another policy's route is refused (the editor keeps its last valid
 * version). Among routes nobody served, the policy whose source sorts first wins.
 */
export function compilePolicySet(entries: readonly PolicyEntry[], previous?: PolicySet): PolicySet {
  const problems: PolicyProblem[] = [];
  const status = new Map<string, PolicyStatus>();
  const candidates: Candidate[] = [];

  for (const entry of entries) {
    const last = previous?.policies.get(entry.source);
    try {
      if (entry.type !== undefined && entry.type !== 'String') {
        throw new PolicyValidationError([{ source: entry.source, field: '', value: entry.type, reason: `is a ${entry.type} parameter; policies must be String parameters` }]);
      }
      candidates.push({ policy: parsePolicy(entry.source, entry.value), fallback: last });
      status.set(entry.source, 'current');
    } catch (err) {
      if (!(err instanceof PolicyValidationError)) throw err;
      problems.push(...err.problems);
      if (last) {
        candidates.push({ policy: last });
        status.set(entry.source, 'kept-last-valid');
      } else status.set(entry.source, 'rejected');
    }
  }

  // Routes keep the policy that served them. A candidate claiming a route whose
  // previous owner still claims it falls back to its last valid version (which
  // only claims routes it served itself) or is rejected. Falling back can only
  // re-claim the fallen-back policy's own routes, so repeat until stable.
  const claims = new Map<string, Candidate>(); // route key -> candidate of its previous owner
  const refreshClaims = (): void => {
    claims.clear();
    for (const c of candidates) for (const r of c.policy.routes) if (previous?.table.ownerOf(r)?.source === c.policy.source) claims.set(r.key, c);
  };
  refreshClaims();
  for (let changed = true; changed; ) {
    changed = false;
    for (const c of candidates) {
      const stolen = c.policy.routes.find((r) => {
        const holder = claims.get(r.key);
        return holder !== undefined && holder !== c;
      });
      if (!stolen) continue;
      const holder = claims.get(stolen.key) as Candidate;
      problems.push({ source: c.policy.source, field: 'route', value: stolen.source, reason: `is already served by policy "${holder.policy.source}"; each route belongs to one policy` });
      const fallback = c.fallback && c.fallback !== c.policy ? c.fallback : undefined;
      status.set(c.policy.source, fallback ? 'kept-last-valid' : 'rejected');
      if (fallback) c.policy = fallback;
      else candidates.splice(candidates.indexOf(c), 1);
      refreshClaims();
      changed = true;
      break;
    }
  }

  // Previous owners first, then by name: deterministic whatever SSM's order.
  const owners = new Set([...claims.values()]);
  candidates.sort((a, b) => Number(owners.has(b)) - Number(owners.has(a)) || bySource(a, b));

  const table = new RouteTable<CompiledPolicy>();
  const policies = new Map<string, CompiledPolicy>();
  const clashOf = (policy: CompiledPolicy) => policy.routes.find((r) => table.ownerOf(r) !== undefined);
  for (const c of candidates) {
    let chosen: CompiledPolicy | undefined = c.policy;
    const clash = clashOf(c.policy);
    if (clash) {
      // Two policies reaching for a route nobody served: the first keeps it; the
      // other keeps its last valid version if that does not clash as well.
      const owner = table.ownerOf(clash) as CompiledPolicy;
      problems.push({ source: c.policy.source, field: 'route', value: clash.source, reason: `is already claimed by policy "${owner.source}"; each route belongs to one policy` });
      chosen = c.fallback && c.fallback !== c.policy && !clashOf(c.fallback) ? c.fallback : undefined;
      status.set(c.policy.source, chosen ? 'kept-last-valid' : 'rejected');
    }
    if (!chosen) continue;
    for (const route of chosen.routes) table.add(route, chosen);
    policies.set(chosen.source, chosen);
  }
  return { table, policies, status, problems };
}
