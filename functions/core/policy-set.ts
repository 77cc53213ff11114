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

/**
 * Validates and compiles a set of policies.
 *
 * One bad policy never takes the others down: an invalid policy keeps its last
 * valid version from `previous` if there is one, otherwise it is left out.
 * Two policies claiming the same route is a conflict: the one that already
 * served the route keeps it, else the one whose source sorts first.
 */
export function compilePolicySet(entries: readonly PolicyEntry[], previous?: PolicySet): PolicySet {
  const problems: PolicyProblem[] = [];
  const status = new Map<string, PolicyStatus>();
  const candidates: Array<{ policy: CompiledPolicy; fallback?: CompiledPolicy; incumbent: boolean }> = [];

  for (const entry of entries) {
    const last = previous?.policies.get(entry.source);
    try {
      if (entry.type !== undefined && entry.type !== 'String') {
        throw new PolicyValidationError([{ source: entry.source, field: '', value: entry.type, reason: `is a ${entry.type} parameter; policies must be String parameters` }]);
      }
      const policy = parsePolicy(entry.source, entry.value);
      // An incumbent already serves at least one of the routes it claims now: it keeps them against newcomers.
      const incumbent = last !== undefined && policy.routes.some((r) => previous?.table.ownerOf(r) === last);
      candidates.push({ policy, fallback: last, incumbent });
    } catch (err) {
      if (!(err instanceof PolicyValidationError)) throw err;
      problems.push(...err.problems);
      if (last) {
        candidates.push({ policy: last, incumbent: true });
        status.set(entry.source, 'kept-last-valid');
      } else status.set(entry.source, 'rejected');
    }
  }

  // Policies that already served their routes go first, then by name: deterministic.
  candidates.sort((a, b) => Number(b.incumbent) - Number(a.incumbent) || (a.policy.source < b.policy.source ? -1 : a.policy.source > b.policy.source ? 1 : 0));

  const table = new RouteTable<CompiledPolicy>();
  const policies = new Map<string, CompiledPolicy>();
  const conflictsWith = (policy: CompiledPolicy): CompiledPolicy | undefined => {
    for (const route of policy.routes) {
      const owner = table.ownerOf(route);
      if (owner) return owner;
    }
    return undefined;
  };
  for (const c of candidates) {
    let chosen: CompiledPolicy | undefined = c.policy;
    const owner = conflictsWith(c.policy);
    if (owner) {
      const route = c.policy.routes.find((r) => table.ownerOf(r) === owner)?.source;
      problems.push({ source: c.policy.source, field: 'route', value: route, reason: `is already claimed by policy "${owner.source}"; each route belongs to one policy` });
      chosen = c.fallback && c.fallback !== c.policy && !conflictsWith(c.fallback) ? c.fallback : undefined;
      status.set(c.policy.source, chosen ? 'kept-last-valid' : 'rejected');
    } else if (!status.has(c.policy.source)) status.set(c.policy.source, 'current');
    if (!chosen) continue;
    for (const route of chosen.routes) table.add(route, chosen);
    policies.set(chosen.source, chosen);
  }
  return { table, policies, status, problems };
}
