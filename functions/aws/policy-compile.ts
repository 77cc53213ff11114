import type { CompiledPolicy } from '../core/policy';
import { newestValidVersion, type StoredVersion } from '../core/policy-set';
import type { ListedParameter } from './parameters-by-path';

/**
 * What the history of a parameter whose current value does not validate
 * says serves instead, shared by the direct-mode store and the compiler:
 * - `found`: its newest stored version that validates (older than the current one);
 * - `none`: no stored version validates, or the parameter is gone;
 * - `unreadable`: GetParameterHistory failed (throttled, denied, malformed).
 *   Only this parameter is affected: the caller decides what serves for it
 *   (direct mode: nothing; the compiler: its previous snapshot value, else nothing).
 */
export type HistoryOutcome =
  | { readonly kind: 'found'; readonly version: number; readonly value: string; readonly policy: CompiledPolicy }
  | { readonly kind: 'none' }
  | { readonly kind: 'unreadable'; readonly error: unknown };

/** Reads the whole history of one parameter; `undefined` when it no longer exists. */
export type HistoryReader = (name: string) => Promise<StoredVersion[] | undefined>;

/**
 * Outcomes of earlier history reads, keyed by the parameter's current version
 * and its LastModifiedDate. The history below a version never changes, so a
 * hit is the answer a read would give: it saves calls, it never changes an
 * answer. The date tells a parameter deleted and written again (its versions
 * restart at 1) from the one that was there. `unreadable` is never cached.
 */
export class HistoryCache {
  private entries = new Map<string, { readonly key: string; readonly outcome: HistoryOutcome }>();

  /** Without a version and a date the current version cannot be told from a later one: no caching then. */
  static keyOf(p: ListedParameter): string | undefined {
    return p.version !== undefined && p.modified !== undefined ? `${p.version}@${p.modified}` : undefined;
  }

  get(p: ListedParameter): HistoryOutcome | undefined {
    const key = HistoryCache.keyOf(p);
    const hit = key === undefined ? undefined : this.entries.get(p.name);
    return hit && hit.key === key ? hit.outcome : undefined;
  }

  /** Replaces the whole cache with these outcomes, so it never outgrows the parameters still invalid. */
  replace(outcomes: ReadonlyMap<string, { readonly parameter: ListedParameter; readonly outcome: HistoryOutcome }>): void {
    const next = new Map<string, { key: string; outcome: HistoryOutcome }>();
    for (const [name, { parameter, outcome }] of outcomes) {
      const key = HistoryCache.keyOf(parameter);
      if (key !== undefined && outcome.kind !== 'unreadable') next.set(name, { key, outcome });
    }
    this.entries = next;
  }

  get size(): number {
    return this.entries.size;
  }
}

/** The newest valid stored version of `name` below `below`, with its raw value. */
export function earlierVersionOf(name: string, versions: readonly StoredVersion[], below: number | undefined): HistoryOutcome {
  const found = newestValidVersion(name, versions, below);
  if (!found) return { kind: 'none' };
  const stored = versions.find((v) => v.version === found.version);
  return stored ? { kind: 'found', version: found.version, value: stored.value, policy: found.policy } : { kind: 'none' };
}

/**
 * The history outcome of each parameter in `invalid`: from `cache` when the
 * current version was already looked at, else one history read each, at most
 * `concurrency` at a time. A failed read is that parameter's `unreadable`
 * outcome and never rejects the whole; `cache` is then replaced with the
 * outcomes (unreadable ones left out, so the next load reads them again).
 */
export async function resolveInvalidParameters(
  invalid: readonly ListedParameter[],
  read: HistoryReader,
  cache: HistoryCache,
  concurrency: number,
): Promise<Map<string, HistoryOutcome>> {
  const results = new Map<string, { parameter: ListedParameter; outcome: HistoryOutcome }>();
  const queue = [...invalid];
  const worker = async (): Promise<void> => {
    for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
      let outcome = cache.get(p);
      if (!outcome) {
        try {
          const versions = await read(p.name);
          outcome = versions ? earlierVersionOf(p.name, versions, p.version) : { kind: 'none' };
        } catch (error) {
          outcome = { kind: 'unreadable', error };
        }
      }
      results.set(p.name, { parameter: p, outcome });
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, concurrency), queue.length) }, worker));
  cache.replace(results);
  return new Map([...results].map(([name, r]) => [name, r.outcome]));
}
