/**
 * What one compiler run decides, from an accepted listing, the history
 * outcomes of its invalid parameters and the previous snapshot. Pure: no AWS
 * calls, so every rule is tested without a network.
 */
import type { HistoryOutcome } from '../aws/policy-compile';
import type { ListedParameter } from '../aws/parameters-by-path';
import { formatProblem } from '../core/problems';
import { assemblePolicySet, checkEntry, type CheckedEntry, type PolicySet } from '../core/policy-set';
import { snapshotEntries, type PolicySnapshot, type SnapshotParameter } from '../core/snapshot';

/** Longest `reason` kept per parameter: the snapshot stays small, the log line has the whole story. */
const MAX_REASON_CHARS = 600;

const clip = (text: string): string => (text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS - 3)}...` : text);

function errorText(error: unknown): string {
  const e = error as { name?: unknown; message?: unknown } | undefined;
  const name = typeof e?.name === 'string' ? e.name : 'Error';
  return `${name}: ${typeof e?.message === 'string' ? e.message : String(error)}`;
}

function problemsText(checked: CheckedEntry): string {
  return 'problems' in checked ? checked.problems.map(formatProblem).join('; ') : '';
}

/**
 * One snapshot parameter per listed parameter, sorted by name:
 * - a current value that validates serves (`current`);
 * - else the newest valid earlier version from its history (`earlier-version`);
 * - history without a valid version: `rejected`;
 * - history unreadable: the previous snapshot's `earlier-version` entry when it
 *   is of this same version (the answer a read would give), else the value the
 *   previous snapshot served for it, when
 *   that was an earlier version of this same parameter (`previous-snapshot`),
 *   else `rejected` with the reason. A previous value whose version is not
 *   below the current one belongs to a parameter deleted and created again,
 *   and is not used.
 */
export function snapshotParameters(
  listed: readonly ListedParameter[],
  outcomes: ReadonlyMap<string, HistoryOutcome>,
  previous: PolicySnapshot | undefined,
): SnapshotParameter[] {
  const before = new Map((previous?.parameters ?? []).map((p) => [p.name, p]));
  const out: SnapshotParameter[] = [];
  for (const p of [...listed].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const version = p.version ?? 1;
    const checked = checkEntry({ source: p.name, value: p.value, type: p.type, version });
    if ('policy' in checked) {
      out.push({ name: p.name, version, status: 'current', servedVersion: version, value: p.value });
      continue;
    }
    const invalid = problemsText(checked);
    const outcome = outcomes.get(p.name) ?? { kind: 'none' };
    if (outcome.kind === 'found') {
      out.push({ name: p.name, version, status: 'earlier-version', servedVersion: outcome.version, value: outcome.value, reason: clip(invalid) });
      continue;
    }
    if (outcome.kind === 'none') {
      out.push({ name: p.name, version, status: 'rejected', reason: clip(`${invalid}; no earlier version validates`) });
      continue;
    }
    const prior = before.get(p.name);
    // The previous snapshot already read the history of this very version: history below a version never changes.
    if (prior?.status === 'earlier-version' && prior.version === version) {
      out.push(prior);
      continue;
    }
    const why = `${invalid}; its history could not be read (${errorText(outcome.error)})`;
    if (prior?.value !== undefined && prior.servedVersion !== undefined && prior.servedVersion < version) {
      out.push({
        name: p.name,
        version,
        status: 'previous-snapshot',
        servedVersion: prior.servedVersion,
        value: prior.value,
        reason: clip(`${why}; the previous snapshot's version ${prior.servedVersion} keeps serving`),
      });
    } else out.push({ name: p.name, version, status: 'rejected', reason: clip(`${why}; no earlier value of this parameter was served`) });
  }
  return out;
}

/** What changed for one parameter between two snapshots. */
export interface PolicyChange {
  readonly parameter: string;
  readonly change: 'added' | 'removed' | 'changed';
  readonly fromVersion: number | null;
  readonly toVersion: number | null;
  readonly fromServedVersion: number | null;
  readonly toServedVersion: number | null;
  readonly fromStatus: SnapshotParameter['status'] | null;
  readonly toStatus: SnapshotParameter['status'] | null;
}

const sameParameter = (a: SnapshotParameter, b: SnapshotParameter): boolean =>
  a.version === b.version && a.status === b.status && a.servedVersion === b.servedVersion && a.value === b.value && a.reason === b.reason;

/** Every parameter added, removed or changed (version, status, served version, value or reason), in name order. */
export function snapshotChanges(before: readonly SnapshotParameter[], after: readonly SnapshotParameter[]): PolicyChange[] {
  const old = new Map(before.map((p) => [p.name, p]));
  const now = new Map(after.map((p) => [p.name, p]));
  const names = [...new Set([...old.keys(), ...now.keys()])].sort();
  const changes: PolicyChange[] = [];
  for (const name of names) {
    const a = old.get(name);
    const b = now.get(name);
    if (a && b && sameParameter(a, b)) continue;
    changes.push({
      parameter: name,
      change: !a ? 'added' : !b ? 'removed' : 'changed',
      fromVersion: a?.version ?? null,
      toVersion: b?.version ?? null,
      fromServedVersion: a?.servedVersion ?? null,
      toServedVersion: b?.servedVersion ?? null,
      fromStatus: a?.status ?? null,
      toStatus: b?.status ?? null,
    });
  }
  return changes;
}

/**
 * The policy set instances will compile from these parameters: the same
 * function they run (route conflicts, validation with the public-suffix
 * rule), so the compiler can log what the fleet will serve.
 */
export function servedSet(policyPath: string, parameters: readonly SnapshotParameter[]): PolicySet {
  const entries = snapshotEntries({ format: 1, sequence: 1, policyPath, listedAt: '', writtenAt: '', parameters });
  return assemblePolicySet(entries.map(checkEntry), () => undefined);
}
