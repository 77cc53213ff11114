import type { ListedParameter } from './parameters-by-path';

/**
 * Accepting a GetParametersByPath listing only when it is stable.
 *
 * A listing takes one call per 10 parameters, and nothing makes the pages one
 * consistent view: when a parameter is created or deleted while another
 * caller pages through the path, a page boundary can shift (moto pages by
 * offset, so a delete before the cursor skips an unrelated parameter and a
 * create lists one twice). Serving such a listing would drop, for a TTL or a
 * whole snapshot, a policy nobody touched.
 *
 * The rule: a listing is accepted when the listing taken right after it lists
 * exactly the same names at the same versions, and no name twice. Paging
 * artefacts need a change during the listing; two identical consecutive
 * listings mean no create or delete moved a page boundary between the start
 * of the first and the end of the second (an edit changes a version, which
 * also forces another listing). At most `maxListings` listings are taken;
 * a path still changing after that fails the load, and the caller keeps what
 * it had.
 *
 * `confirm: 'when-suspicious'` (direct mode, where every extra listing is
 * multiplied by the fleet) takes a second listing only when the first one
 * lists a name twice or lacks a name the caller's previous accepted listing
 * had. A listing that merely gains names or versions is served: the worst a
 * paging artefact can do to it is hide a parameter that was being created,
 * which appears at the next refresh.
 */
export interface StableListingOptions {
  /** `always`: two consecutive identical listings (the compiler). `when-suspicious`: see above (direct mode). */
  readonly confirm: 'always' | 'when-suspicious';
  /** Names of the caller's previous accepted listing (`when-suspicious` only). Empty or absent: nothing to lose. */
  readonly previous?: ReadonlySet<string>;
  /** Listings taken at most, the first included. Default {@link DEFAULT_MAX_LISTINGS}. */
  readonly maxListings?: number;
}

/** Enough for a path edited during a couple of listings; a path edited non-stop fails rather than spends the budget. */
export const DEFAULT_MAX_LISTINGS = 4;

/** The path kept changing for every listing allowed: no listing can be trusted. */
export class UnstableListingError extends Error {
  override readonly name = 'UnstableListingError';
}

export interface StableListing {
  readonly parameters: ListedParameter[];
  /** Listings taken (each is one or more GetParametersByPath pages). */
  readonly listings: number;
  /** Why a confirming listing was taken, when one was. */
  readonly confirmed?: 'always' | 'duplicate-name' | 'lost-name';
}

/** Names and versions (the value when there is no version), in name order: what two listings must agree on. */
export function listingFingerprint(parameters: readonly ListedParameter[]): string {
  return parameters
    .map((p) => `${p.name}\u0000${p.version ?? `value:${p.value}`}\u0000${p.type}`)
    .sort()
    .join('\u0001');
}

function duplicateName(parameters: readonly ListedParameter[]): string | undefined {
  const seen = new Set<string>();
  for (const p of parameters) {
    if (seen.has(p.name)) return p.name;
    seen.add(p.name);
  }
  return undefined;
}

function lostName(parameters: readonly ListedParameter[], previous: ReadonlySet<string> | undefined): string | undefined {
  if (!previous || previous.size === 0) return undefined;
  const now = new Set(parameters.map((p) => p.name));
  for (const name of previous) if (!now.has(name)) return name;
  return undefined;
}

/**
 * Lists with `list` until the listing is stable (see the module comment).
 * @throws {@link UnstableListingError} when `maxListings` listings never agreed
 */
export async function listStable(list: () => Promise<ListedParameter[]>, options: StableListingOptions): Promise<StableListing> {
  const maxListings = Math.max(2, options.maxListings ?? DEFAULT_MAX_LISTINGS);
  let current = await list();
  let listings = 1;
  let confirmed: StableListing['confirmed'] = 'always';
  if (options.confirm === 'when-suspicious') {
    if (duplicateName(current) !== undefined) confirmed = 'duplicate-name';
    else if (lostName(current, options.previous) !== undefined) confirmed = 'lost-name';
    else return { parameters: current, listings };
  }
  while (listings < maxListings) {
    const next = await list();
    listings++;
    if (duplicateName(next) === undefined && listingFingerprint(next) === listingFingerprint(current)) return { parameters: next, listings, confirmed };
    current = next;
  }
  throw new UnstableListingError(
    `the parameters under the path changed during each of ${listings} consecutive listings (creates or deletes while paging); nothing from them is served`,
  );
}
