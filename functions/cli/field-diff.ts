/**
 * Field-level differences between two policy documents. Documents are compared
 * as parsed values: key order and formatting never count, array order does
 * (it is the order of the values in the response headers).
 */
export type FieldChange =
  | { readonly field: string; readonly kind: 'added'; readonly after: unknown }
  | { readonly field: string; readonly kind: 'removed'; readonly before: unknown }
  | { readonly field: string; readonly kind: 'changed'; readonly before: unknown; readonly after: unknown }
  | { readonly field: string; readonly kind: 'items'; readonly added: unknown[]; readonly removed: unknown[] }
  | { readonly field: string; readonly kind: 'reordered'; readonly before: unknown[]; readonly after: unknown[] };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Structural equality: object keys in any order, arrays in order. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => deepEqual(v, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** A key for multiset comparison of array items that ignores object key order. */
function itemKey(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(itemKey).join(',')}]`;
  if (isPlainObject(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${itemKey(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'undefined';
}

/** Items of `a` not matched one-for-one by items of `b`. */
function minus(a: readonly unknown[], b: readonly unknown[]): unknown[] {
  const counts = new Map<string, number>();
  for (const v of b) counts.set(itemKey(v), (counts.get(itemKey(v)) ?? 0) + 1);
  const out: unknown[] = [];
  for (const v of a) {
    const k = itemKey(v);
    const n = counts.get(k) ?? 0;
    if (n > 0) counts.set(k, n - 1);
    else out.push(v);
  }
  return out;
}

function diffValue(field: string, before: unknown, after: unknown): FieldChange | undefined {
  if (deepEqual(before, after)) return undefined;
  if (Array.isArray(before) && Array.isArray(after)) {
    const added = minus(after, before);
    const removed = minus(before, after);
    if (added.length === 0 && removed.length === 0) return { field, kind: 'reordered', before, after };
    return { field, kind: 'items', added, removed };
  }
  return { field, kind: 'changed', before, after };
}

/** Every top-level field that differs, in the new document's field order, then removed fields. */
export function diffDocuments(before: unknown, after: unknown): FieldChange[] {
  if (!isPlainObject(before) || !isPlainObject(after)) {
    const change = diffValue('', before, after);
    return change ? [change] : [];
  }
  const changes: FieldChange[] = [];
  for (const key of Object.keys(after)) {
    if (!Object.hasOwn(before, key)) changes.push({ field: key, kind: 'added', after: after[key] });
    else {
      const change = diffValue(key, before[key], after[key]);
      if (change) changes.push(change);
    }
  }
  for (const key of Object.keys(before)) {
    if (!Object.hasOwn(after, key)) changes.push({ field: key, kind: 'removed', before: before[key] });
  }
  return changes;
}

/** Every field of a document as added (a new parameter) or removed (a deleted one). */
export function wholeDocument(doc: unknown, kind: 'added' | 'removed'): FieldChange[] {
  if (!isPlainObject(doc)) return [kind === 'added' ? { field: '', kind, after: doc } : { field: '', kind, before: doc }];
  return Object.entries(doc).map(([field, v]) => (kind === 'added' ? { field, kind, after: v } : { field, kind, before: v }));
}
