import { compilePolicySet, describeClaims, type PolicyEntry } from '../core/policy-set';
import { deepEqual, diffDocuments, wholeDocument, type FieldChange } from './field-diff';
import type { LocalPolicy } from './local-policies';
import type { RemoteParameter } from './ssm';

/**
 * What push would do: local files against the parameters under the path,
 * parameter by parameter. Pure, shared by diff, push and pull.
 */
export type Action = 'add' | 'change' | 'remove' | 'unchanged';

export interface ParameterChange {
  readonly action: Action;
  /** Full parameter name. */
  readonly parameter: string;
  /** The file describing it; absent for parameters no file describes. */
  readonly file?: string;
  /** What push would store (add and change). */
  readonly value?: string;
  readonly fields: readonly FieldChange[];
  /** Why a change is more than a field edit, e.g. the stored value is not JSON. */
  readonly note?: string;
}

export type RemoteDocument = { ok: true; document: unknown } | { ok: false; note: string; raw: string };

/** The stored document as the CLI compares it: parsed JSON of a String parameter. */
export function remoteDocument(p: RemoteParameter): RemoteDocument {
  if (p.type !== 'String') return { ok: false, note: `is a ${p.type} parameter; only String parameters are policies`, raw: p.value };
  try {
    return { ok: true, document: JSON.parse(p.value) };
  } catch {
    return { ok: false, note: 'the stored value is not JSON', raw: p.value };
  }
}

export function planChanges(local: readonly LocalPolicy[], remote: readonly RemoteParameter[]): ParameterChange[] {
  const remoteByName = new Map(remote.map((p) => [p.name, p]));
  const described = new Set<string>();
  const changes: ParameterChange[] = [];
  for (const policy of local) {
    described.add(policy.parameter);
    const existing = remoteByName.get(policy.parameter);
    if (!existing) {
      changes.push({ action: 'add', parameter: policy.parameter, file: policy.file, value: policy.value, fields: wholeDocument(policy.document, 'added') });
      continue;
    }
    const stored = remoteDocument(existing);
    if (!stored.ok) {
      changes.push({
        action: 'change',
        parameter: policy.parameter,
        file: policy.file,
        value: policy.value,
        note: stored.note,
        fields: [{ field: '', kind: 'changed', before: stored.raw, after: policy.document }],
      });
    } else if (deepEqual(stored.document, policy.document)) {
      changes.push({ action: 'unchanged', parameter: policy.parameter, file: policy.file, fields: [] });
    } else {
      changes.push({
        action: 'change',
        parameter: policy.parameter,
        file: policy.file,
        value: policy.value,
        fields: diffDocuments(stored.document, policy.document),
      });
    }
  }
  for (const p of remote) {
    if (described.has(p.name)) continue;
    const stored = remoteDocument(p);
    changes.push({
      action: 'remove',
      parameter: p.name,
      fields: stored.ok ? wholeDocument(stored.document, 'removed') : [{ field: '', kind: 'removed', before: stored.raw }],
      ...(stored.ok ? {} : { note: stored.note }),
    });
  }
  return changes.sort((a, b) => (a.parameter < b.parameter ? -1 : a.parameter > b.parameter ? 1 : 0));
}

export function countActions(changes: readonly ParameterChange[]): Record<Action, number> {
  const counts: Record<Action, number> = { add: 0, change: 0, remove: 0, unchanged: 0 };
  for (const c of changes) counts[c.action]++;
  return counts;
}

/** A route claimed by several policies, before and after a push. */
export interface ConflictChange {
  /** `new`: push would create it (push refuses); `kept`: it is there now and push leaves it; `resolved`: push ends it. */
  readonly state: 'new' | 'kept' | 'resolved';
  /** The route's shape, e.g. `/products/{}`. */
  readonly route: string;
  readonly claims: readonly { readonly source: string; readonly route: string }[];
  readonly text: string;
}

/**
 * The route conflicts the Lambda sees now and would see after the push:
 * `remote` are the parameters under the path (with the history of invalid
 * ones, as `policyEntries` in ssm.ts reads them); files replace the
 * parameters they describe, and the others stay unless `prune`.
 */
export function conflictChanges(local: readonly LocalPolicy[], remote: readonly PolicyEntry[], prune: boolean): ConflictChange[] {
  const described = new Set(local.map((p) => p.parameter));
  const after: PolicyEntry[] = [
    ...local.map((p) => ({ source: p.parameter, value: p.value, type: 'String' })),
    ...(prune ? [] : remote.filter((r) => !described.has(r.source))),
  ];
  const before = new Map(compilePolicySet(remote).conflicts.map((c) => [c.key, c]));
  const out: ConflictChange[] = [];
  for (const c of compilePolicySet(after).conflicts) {
    const now = before.get(c.key);
    before.delete(c.key);
    // A claimant that is not among today's makes it a new conflict, even on a route already denied.
    const kept = now !== undefined && c.claims.every((claim) => now.claims.some((n) => n.source === claim.source));
    out.push({
      state: kept ? 'kept' : 'new',
      route: c.key,
      claims: c.claims,
      text: kept
        ? `route ${c.key} stays claimed by ${describeClaims(c)}: the Lambda keeps denying it (route_conflict)`
        : `route ${c.key} would be claimed by ${describeClaims(c)}: the Lambda would deny it (route_conflict)`,
    });
  }
  for (const c of before.values())
    out.push({
      state: 'resolved',
      route: c.key,
      claims: c.claims,
      text: `route ${c.key}, now claimed by ${describeClaims(c)} and denied, would be served again`,
    });
  return out;
}
