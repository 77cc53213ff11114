import type { PolicyEntry } from './policy-set';

/**
 * The policy snapshot: one document that holds, for every parameter under the
 * policy path, the value the whole fleet serves. Written by the compiler
 * (functions/compiler), read by every instance in snapshot mode. Pure data and
 * its checks; no AWS imports.
 */

/** The only format this build reads. An instance that meets another one falls back to listing the path. */
export const SNAPSHOT_FORMAT = 1;

/** Largest snapshot an instance accepts (bytes of JSON). Parameter Store holds at most 10,000 standard parameters of 4 KB. */
export const MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024;

/**
 * Why a parameter serves what it serves:
 * - `current`: its current version validates and serves;
 * - `earlier-version`: the current version does not validate; the newest valid earlier version serves;
 * - `previous-snapshot`: the current version does not validate and its history could not be read;
 *   the value the previous snapshot served for it keeps serving;
 * - `rejected`: nothing of it serves (no valid version, or history unreadable with no previous value).
 */
export type SnapshotParameterStatus = 'current' | 'earlier-version' | 'previous-snapshot' | 'rejected';

export interface SnapshotParameter {
  /** The full parameter name, e.g. `/cors/shop-api/products`. */
  readonly name: string;
  /** The parameter's current version in Parameter Store when the listing was taken. */
  readonly version: number;
  readonly status: SnapshotParameterStatus;
  /** The version whose value serves; absent when `rejected`. */
  readonly servedVersion?: number;
  /** The policy document served (the raw parameter value); absent when `rejected`. */
  readonly value?: string;
  /** Why the current version does not serve; absent when `current`. */
  readonly reason?: string;
}

export interface PolicySnapshot {
  readonly format: typeof SNAPSHOT_FORMAT;
  /** Grows by one with every write; a reader never goes back to a smaller one. */
  readonly sequence: number;
  /** The policy path the snapshot was compiled from. */
  readonly policyPath: string;
  /** When the accepted listing started (ISO 8601): everything in Parameter Store before this time is in it. */
  readonly listedAt: string;
  /** When the compiler wrote it (ISO 8601). */
  readonly writtenAt: string;
  /** Every parameter under the path, sorted by name. */
  readonly parameters: readonly SnapshotParameter[];
}

/** A document that is not a snapshot this build can read. `unknownFormat` is set when only the format version is the problem. */
export class SnapshotFormatError extends Error {
  override readonly name = 'SnapshotFormatError';
  constructor(
    message: string,
    readonly unknownFormat = false,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const STATUSES: ReadonlySet<string> = new Set<SnapshotParameterStatus>(['current', 'earlier-version', 'previous-snapshot', 'rejected']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isVersion = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1;
const isTime = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));

function checkParameter(p: unknown, i: number): SnapshotParameter {
  const where = `parameters[${i}]`;
  if (!isObject(p)) throw new SnapshotFormatError(`${where} is not an object`);
  const { name, version, status, servedVersion, value, reason } = p;
  if (typeof name !== 'string' || !name.startsWith('/')) throw new SnapshotFormatError(`${where}.name must be a parameter name starting with /`);
  if (!isVersion(version)) throw new SnapshotFormatError(`${where}.version must be a whole number from 1`);
  if (typeof status !== 'string' || !STATUSES.has(status)) throw new SnapshotFormatError(`${where}.status must be one of ${[...STATUSES].join(', ')}`);
  if (reason !== undefined && typeof reason !== 'string') throw new SnapshotFormatError(`${where}.reason must be a string`);
  if (status === 'rejected') {
    if (value !== undefined || servedVersion !== undefined) throw new SnapshotFormatError(`${where} is rejected yet has a value`);
  } else {
    if (typeof value !== 'string') throw new SnapshotFormatError(`${where}.value must be a string`);
    if (!isVersion(servedVersion)) throw new SnapshotFormatError(`${where}.servedVersion must be a whole number from 1`);
  }
  return p as unknown as SnapshotParameter;
}

/**
 * Checks a parsed document and returns it as a snapshot. Throws
 * {@link SnapshotFormatError} naming the first thing wrong.
 */
export function checkSnapshot(doc: unknown): PolicySnapshot {
  if (!isObject(doc)) throw new SnapshotFormatError('a snapshot is a JSON object');
  if (doc.format !== SNAPSHOT_FORMAT) {
    throw new SnapshotFormatError(`snapshot format ${JSON.stringify(doc.format)} is not ${SNAPSHOT_FORMAT}, the one this build reads`, true);
  }
  if (!isVersion(doc.sequence)) throw new SnapshotFormatError('sequence must be a whole number from 1');
  if (typeof doc.policyPath !== 'string' || !doc.policyPath.startsWith('/')) throw new SnapshotFormatError('policyPath must start with /');
  if (!isTime(doc.listedAt)) throw new SnapshotFormatError('listedAt must be an ISO 8601 time');
  if (!isTime(doc.writtenAt)) throw new SnapshotFormatError('writtenAt must be an ISO 8601 time');
  if (!Array.isArray(doc.parameters)) throw new SnapshotFormatError('parameters must be an array');
  const seen = new Set<string>();
  doc.parameters.forEach((p, i) => {
    const checked = checkParameter(p, i);
    if (seen.has(checked.name)) throw new SnapshotFormatError(`parameters[${i}].name ${JSON.stringify(checked.name)} appears twice`);
    seen.add(checked.name);
  });
  return doc as unknown as PolicySnapshot;
}

/** Parses and checks a snapshot's JSON text. */
export function parseSnapshot(text: string): PolicySnapshot {
  if (text.length > MAX_SNAPSHOT_BYTES) throw new SnapshotFormatError(`a snapshot of ${text.length} characters is over the ${MAX_SNAPSHOT_BYTES} limit`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new SnapshotFormatError('a snapshot is not valid JSON', false, { cause: err });
  }
  return checkSnapshot(doc);
}

/** The snapshot's JSON text, parameters sorted by name so equal snapshots are equal bytes. */
export function serializeSnapshot(snapshot: PolicySnapshot): string {
  const parameters = [...snapshot.parameters].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return JSON.stringify({ ...snapshot, parameters });
}

/**
 * What an instance compiles: one entry per parameter that serves, with the
 * value the compiler chose (no history: the compiler already applied it).
 */
export function snapshotEntries(snapshot: PolicySnapshot): PolicyEntry[] {
  const entries: PolicyEntry[] = [];
  for (const p of snapshot.parameters) {
    if (p.value === undefined || p.servedVersion === undefined) continue;
    entries.push({ source: p.name, value: p.value, type: 'String', version: p.servedVersion });
  }
  return entries;
}

/**
 * The object key the snapshot lives under when `CORS_SNAPSHOT_KEY` is not set:
 * `cors-snapshots` + the policy path + `.json`, e.g. `/cors/shop-api` ->
 * `cors-snapshots/cors/shop-api.json`. One key per policy path, so several
 * stacks can share one bucket.
 */
export function defaultSnapshotKey(policyPath: string): string {
  const trimmed = policyPath.replace(/\/+$/, '');
  return `cors-snapshots${trimmed}.json`;
}
