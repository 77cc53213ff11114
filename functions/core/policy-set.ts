import { parsePolicy, type CompiledPolicy } from './policy';
import { PolicyValidationError, type PolicyProblem } from './problems';
import { RouteTable } from './route';

/** One stored version of a policy parameter. */
export interface StoredVersion {
  /** The Parameter Store version number; higher is newer. */
  readonly version: number;
  readonly value: string;
  /** The SSM parameter type when known; only `String` holds a policy. */
  readonly type?: string;
}

/** One stored policy: where it came from and its raw value. */
export interface PolicyEntry {
  readonly source: string;
  readonly value: string;
  /** The SSM parameter type when known; only `String` holds a policy. */
  readonly type?: string;
  /** The Parameter Store version of `value`, when known. */
  readonly version?: number;
  /**
   * The parameter's stored versions (any order; the current one may be among
   * them). Consulted only when `value` does not validate: the newest valid
   * version older than `version` then serves. Absent: no earlier version.
   */
  readonly history?: readonly StoredVersion[];
}

/**
 * How a policy came to be served (or not):
 * - `current`: the current value validates and serves;
 * - `earlier-version`: the current value does not validate; the newest
 *   stored version that does serves instead (see {@link PolicySet.versions});
 * - `rejected`: no stored version validates; the parameter is ignored.
 */
export type PolicyStatus = 'current' | 'earlier-version' | 'rejected';

/**
 * A route that two or more policies claim (patterns equal up to parameter
 * names). Nobody serves it: a request whose most specific route is this one
 * is denied with `route_conflict`, and never falls through to a greedy or
 * `$default` route, which would answer with other origins.
 */
export interface RouteConflict {
  readonly kind: 'route-conflict';
  /** The route's shape, e.g. `/products/{}`. */
  readonly key: string;
  /** Each claim, sorted by source: the policy and the pattern as it wrote it. */
  readonly claims: readonly { readonly source: string; readonly route: string }[];
}

/** What the route table holds for a route: the policy serving it, or the conflict that denies it. */
export type RouteHolder = CompiledPolicy | RouteConflict;

export function isRouteConflict(holder: RouteHolder | undefined): holder is RouteConflict {
  return holder !== undefined && (holder as RouteConflict).kind === 'route-conflict';
}

/**
 * Every policy compiled into one immutable route table. Built whole and
 * swapped whole, so a request never sees half of an update.
 */
export interface PolicySet {
  readonly table: RouteTable<RouteHolder>;
  /** Policies that serve (each on its routes that are not in conflict), by source. */
  readonly policies: ReadonlyMap<string, CompiledPolicy>;
  /** What happened to each entry. */
  readonly status: ReadonlyMap<string, PolicyStatus>;
  /** For each source with status `earlier-version`: the version that serves. */
  readonly versions: ReadonlyMap<string, number>;
  /** Routes claimed by more than one policy, sorted by key; each is denied. */
  readonly conflicts: readonly RouteConflict[];
  /** Every validation problem of the current values, each naming its source. */
  readonly problems: readonly PolicyProblem[];
}

/** The result of validating one stored value. */
export type CheckedEntry =
  | { readonly entry: PolicyEntry; readonly policy: CompiledPolicy }
  | { readonly entry: PolicyEntry; readonly problems: readonly PolicyProblem[] };

/** Validates one value: a String parameter holding a valid policy document. */
export function checkEntry(entry: PolicyEntry): CheckedEntry {
  try {
    if (entry.type !== undefined && entry.type !== 'String') {
      return {
        entry,
        problems: [
          {
            source: entry.source,
            field: '',
            value: entry.type,
            code: 'parameter_type',
            reason: `is a ${entry.type} parameter; policies must be String parameters`,
          },
        ],
      };
    }
    return { entry, policy: parsePolicy(entry.source, entry.value) };
  } catch (err) {
    if (!(err instanceof PolicyValidationError)) throw err;
    return { entry, problems: err.problems };
  }
}

/** The version of a parameter that serves in place of its invalid current value. */
export interface EarlierVersion {
  readonly version: number;
  readonly policy: CompiledPolicy;
}

/**
 * The newest stored version, older than `below` when given, that validates.
 * A pure function of the stored versions, so every instance picks the same one
 * (and may cache it per parameter version).
 */
export function newestValidVersion(source: string, versions: readonly StoredVersion[], below?: number): EarlierVersion | undefined {
  const older = versions.filter((v) => below === undefined || v.version < below).sort((a, b) => b.version - a.version);
  for (const v of older) {
    const checked = checkEntry({ source, value: v.value, ...(v.type !== undefined ? { type: v.type } : {}) });
    if ('policy' in checked) return { version: v.version, policy: checked.policy };
  }
  return undefined;
}

/**
 * Validates and compiles a set of policies: a pure function of the stored
 * values (and, for invalid ones, their history), never of what an earlier set
 * served, so every instance of a fleet answers alike.
 *
 * - A policy whose current value does not validate serves its newest stored
 *   version that does (`entry.history`); with none, it is left out.
 * - A route claimed by two or more policies is served by none of them and is
 *   denied with `route_conflict`; each keeps its other routes.
 */
export function compilePolicySet(entries: readonly PolicyEntry[]): PolicySet {
  return assemblePolicySet(entries.map(checkEntry), (checked) => newestValidVersion(checked.entry.source, checked.entry.history ?? [], checked.entry.version));
}

/**
 * {@link compilePolicySet} in two steps, for callers that fetch history only
 * for the entries that fail validation: `earlier` is asked once per such entry.
 */
export function assemblePolicySet(checked: readonly CheckedEntry[], earlier: (invalid: CheckedEntry) => EarlierVersion | undefined): PolicySet {
  const problems: PolicyProblem[] = [];
  const status = new Map<string, PolicyStatus>();
  const versions = new Map<string, number>();
  const serving: CompiledPolicy[] = [];
  for (const c of checked) {
    const source = c.entry.source;
    if ('policy' in c) {
      serving.push(c.policy);
      status.set(source, 'current');
      continue;
    }
    problems.push(...c.problems);
    const fallback = earlier(c);
    if (fallback) {
      serving.push(fallback.policy);
      status.set(source, 'earlier-version');
      versions.set(source, fallback.version);
    } else status.set(source, 'rejected');
  }

  // Every claim on every route, in source order so that the outcome (and the
  // conflict's list of claims) never depends on the order of the listing.
  serving.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
  const claims = new Map<string, Array<{ policy: CompiledPolicy; route: string }>>();
  for (const policy of serving) {
    for (const route of policy.routes) {
      const list = claims.get(route.key);
      if (list) list.push({ policy, route: route.source });
      else claims.set(route.key, [{ policy, route: route.source }]);
    }
  }

  const table = new RouteTable<RouteHolder>();
  const conflicts: RouteConflict[] = [];
  for (const policy of serving) {
    for (const route of policy.routes) {
      const list = claims.get(route.key)!;
      if (list.length === 1) table.add(route, policy);
      else if (list[0]!.policy === policy) {
        const conflict: RouteConflict = { kind: 'route-conflict', key: route.key, claims: list.map((c) => ({ source: c.policy.source, route: c.route })) };
        conflicts.push(conflict);
        table.add(route, conflict);
      }
    }
  }
  conflicts.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { table, policies: new Map(serving.map((p) => [p.source, p])), status, versions, conflicts, problems };
}

/** `"/products/{id}" of /cors/api/a and "/products/{pid}" of /cors/api/b` */
export function describeClaims(conflict: RouteConflict): string {
  const parts = conflict.claims.map((c) => `${JSON.stringify(c.route)} of ${c.source}`);
  return parts.length === 2 ? parts.join(' and ') : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/**
 * Each conflict as a problem of every policy claiming the route, for tools
 * that refuse to write a set with conflicts (validate, push).
 */
export function conflictProblems(set: PolicySet): PolicyProblem[] {
  const out: PolicyProblem[] = [];
  for (const conflict of set.conflicts) {
    for (const claim of conflict.claims) {
      const others = conflict.claims.filter((c) => c !== claim).map((c) => `${JSON.stringify(c.route)} of ${c.source}`);
      out.push({
        source: claim.source,
        field: 'route',
        value: claim.route,
        code: 'route_conflict',
        reason: `is the same route as ${others.join(', ')}; each route belongs to one policy, and until one of them gives it up the route is denied (route_conflict)`,
      });
    }
  }
  return out;
}
