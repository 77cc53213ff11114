import { parsePolicy, type CompiledPolicy } from './policy';
import { PolicyValidationError, type PolicyProblem } from './problems';
import { RouteTable, type RoutePattern } from './route';

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
        throw new PolicyValidationError([{ source: entry.source, field: '', value: entry.type, code: 'parameter_type', reason: `is a ${entry.type} parameter; policies must be String parameters` }]);
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

  // Decide who holds each route, then make the first candidate (by name) that
  // claims a route held by another fall back to its last valid version (which
  // only claims routes it served itself, so it holds them) or drop out; repeat
  // until no claims overlap. Each step consumes a fallback or a candidate: it ends.
  candidates.sort(bySource);
  for (;;) {
    const holders = holdersOf(candidates, previous);
    const heldByOther = (c: Candidate) => c.policy.routes.find((r) => holders.get(r.key) !== undefined && holders.get(r.key) !== c);
    const loser = candidates.find((c) => heldByOther(c) !== undefined);
    if (!loser) break;
    const route = heldByOther(loser) as RoutePattern;
    const holder = (holders.get(route.key) as Candidate).policy.source;
    const served = previous?.table.ownerOf(route)?.source === holder;
    problems.push({
      source: loser.policy.source,
      field: 'route',
      value: route.source,
      code: 'route_taken',
      reason: served ? `is already served by policy "${holder}"; each route belongs to one policy` : `is also claimed by policy "${holder}", which sorts first; each route belongs to one policy`,
    });
    if (loser.fallback && loser.fallback !== loser.policy) {
      loser.policy = loser.fallback;
      status.set(loser.policy.source, 'kept-last-valid');
    } else {
      candidates.splice(candidates.indexOf(loser), 1);
      status.set(loser.policy.source, 'rejected');
    }
  }

  const table = new RouteTable<CompiledPolicy>();
  const policies = new Map<string, CompiledPolicy>();
  for (const c of candidates) {
    for (const route of c.policy.routes) table.add(route, c.policy);
    policies.set(c.policy.source, c.policy);
  }
  return { table, policies, status, problems };
}

/**
 * Who holds each route. A route the previous set served stays with that policy
 * while it still claims it. The remaining routes go, in name order, to each
 * policy all of whose routes are free or its own: a policy is served whole or
 * not at all. `candidates` is sorted by source.
 */
function holdersOf(candidates: readonly Candidate[], previous: PolicySet | undefined): Map<string, Candidate> {
  const holders = new Map<string, Candidate>();
  for (const c of candidates) {
    for (const r of c.policy.routes) if (previous?.table.ownerOf(r)?.source === c.policy.source) holders.set(r.key, c);
  }
  for (const c of candidates) {
    const free = c.policy.routes.every((r) => {
      const holder = holders.get(r.key);
      return holder === undefined || holder === c;
    });
    if (free) for (const r of c.policy.routes) holders.set(r.key, c);
  }
  return holders;
}
