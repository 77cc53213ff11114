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
      changes.push({ action: 'change', parameter: policy.parameter, file: policy.file, value: policy.value, note: stored.note, fields: [{ field: '', kind: 'changed', before: stored.raw, after: policy.document }] });
    } else if (deepEqual(stored.document, policy.document)) {
      changes.push({ action: 'unchanged', parameter: policy.parameter, file: policy.file, fields: [] });
    } else {
      changes.push({ action: 'change', parameter: policy.parameter, file: policy.file, value: policy.value, fields: diffDocuments(stored.document, policy.document) });
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
