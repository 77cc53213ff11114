/**
 * One compiler run: read the snapshot object (and its ETag), take a stable
 * listing of the whole path, resolve invalid parameters from their history,
 * build the snapshot, and write it conditionally on the ETag read at the
 * start. A conflict (another run wrote in between) starts over from a fresh
 * read and listing, at most {@link MAX_WRITE_ATTEMPTS} times. Events only
 * trigger a run; what a run writes depends only on Parameter Store and the
 * previous snapshot, so a late event recompiles the current state and never
 * rolls anything back.
 */
import type { GetParametersByPathCommandInput, GetParametersByPathCommandOutput } from '@aws-sdk/client-ssm';
import type { Logger } from '../aws/logger';
import { listParametersByPath, type ListedParameter } from '../aws/parameters-by-path';
import { HistoryCache, resolveInvalidParameters, type HistoryReader } from '../aws/policy-compile';
import { listStable } from '../aws/stable-listing';
import { checkEntry, describeClaims } from '../core/policy-set';
import { MAX_SNAPSHOT_BYTES, SNAPSHOT_FORMAT, parseSnapshot, serializeSnapshot, type PolicySnapshot } from '../core/snapshot';
import { snapshotChanges, servedSet, snapshotParameters, type PolicyChange } from './compile';
import type { CompilerConfig } from './config';
import { WriteConflictError, type SnapshotObjects } from './snapshot-object';

/** Runs that lose the write race start over this many times in all; with ReservedConcurrentExecutions 1 a conflict is rare. */
export const MAX_WRITE_ATTEMPTS = 4;
/** Listings per attempt at most: two must agree (functions/aws/stable-listing.ts). */
export const MAX_LISTINGS = 5;
/**
 * A change event whose `time` (whole seconds, EventBridge's clock) is this much
 * before the snapshot's `listedAt` happened before that listing started, so the
 * snapshot already holds it. One second for the truncation, one for clocks.
 */
export const EVENT_COVERED_MARGIN_MS = 2000;
/** History reads in flight at once: a handful, so a path with many broken parameters does not flood the account's quota. */
const HISTORY_CONCURRENCY = 4;

/** What started the run. Only `schedule` changes what is done: it always writes (see {@link compileSnapshot}). */
export type Trigger =
  /** `time`: the event's `time` (ISO 8601, whole seconds), when the change happened. */
  | { readonly kind: 'change'; readonly name?: string; readonly operation?: string; readonly time?: string }
  | { readonly kind: 'schedule' }
  | { readonly kind: 'deploy'; readonly requestType: string }
  | { readonly kind: 'manual' };

export interface CompilerDeps {
  readonly config: CompilerConfig;
  readonly logger: Logger;
  readonly objects: SnapshotObjects;
  /** One GetParametersByPath page. */
  readonly sendPage: (input: GetParametersByPathCommandInput) => Promise<GetParametersByPathCommandOutput>;
  /** The whole history of one parameter (functions/aws/parameter-history.ts). */
  readonly readHistory: HistoryReader;
  /** Kept across the runs of a warm container: saves history reads, never changes an answer. */
  readonly historyCache?: HistoryCache;
  /** Clock in ms. Default `Date.now`. */
  readonly now?: () => number;
}

export interface CompileResult {
  /**
   * `written`: a new snapshot; `unchanged`: the object already said the same and the write was
   * skipped; `covered`: a change event older than the snapshot's listing, so nothing was listed.
   */
  readonly outcome: 'written' | 'unchanged' | 'covered';
  /** The sequence of the snapshot current after the run. */
  readonly sequence: number;
  readonly previousSequence: number | null;
  readonly bytes: number;
  readonly parameters: number;
  readonly invalidParameters: number;
  readonly changes: readonly PolicyChange[];
  readonly listings: number;
  readonly attempts: number;
  readonly historyReads: number;
  readonly listedAt: string;
}

interface Previous {
  readonly etag: string | undefined;
  readonly snapshot: PolicySnapshot | undefined;
  readonly sequence: number;
  readonly bytes: number;
  /** Why the object could not be read as a snapshot, when it could not. */
  readonly problem?: string;
}

/** The previous snapshot; an object this build cannot read is replaced, keeping its sequence when it has one so readers never go back. */
function readPrevious(stored: { etag: string; text: string } | undefined): Previous {
  if (!stored) return { etag: undefined, snapshot: undefined, sequence: 0, bytes: 0 };
  const bytes = Buffer.byteLength(stored.text);
  try {
    const snapshot = parseSnapshot(stored.text);
    return { etag: stored.etag, snapshot, sequence: snapshot.sequence, bytes };
  } catch (err) {
    let sequence = 0;
    try {
      const raw = (JSON.parse(stored.text) as { sequence?: unknown })?.sequence;
      if (Number.isSafeInteger(raw) && (raw as number) > 0) sequence = raw as number;
    } catch {
      sequence = 0;
    }
    return { etag: stored.etag, snapshot: undefined, sequence, bytes, problem: (err as Error).message };
  }
}

/**
 * Compiles and writes the snapshot. Writes when the parameters differ from
 * the previous snapshot's (or there is none, or it cannot be read), and on
 * every scheduled run: those are the heartbeat that moves `listedAt`
 * forward, so a snapshot's age says when the compiler last confirmed it
 * against Parameter Store. A change event or deploy-time run that finds
 * nothing changed writes nothing (no new ETag, no download by the fleet).
 *
 * @throws the listing's or S3's error, {@link WriteConflictError} after {@link MAX_WRITE_ATTEMPTS} lost races
 */
export async function compileSnapshot(deps: CompilerDeps, trigger: Trigger): Promise<CompileResult> {
  const { config, logger, objects } = deps;
  const now = deps.now ?? Date.now;
  const cache = deps.historyCache ?? new HistoryCache();
  let lastConflict: WriteConflictError | undefined;
  for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
    const previous = readPrevious(await objects.read());
    if (previous.problem) {
      logger.warn('previous snapshot unreadable; it will be replaced', { bucket: objects.bucket, key: objects.key, problem: previous.problem });
    }
    const prior = previous.snapshot?.policyPath === config.policyPath ? previous.snapshot : undefined;
    // A burst of edits (a push of many policies) queues one event each; once a run has listed after
    // an event's change, that event's run only reads the object: bursts cost a few compiles, not one each.
    const changedAt = trigger.kind === 'change' && trigger.time !== undefined ? Date.parse(trigger.time) : Number.NaN;
    if (attempt === 1 && prior && !Number.isNaN(changedAt) && Date.parse(prior.listedAt) >= changedAt + EVENT_COVERED_MARGIN_MS) {
      return {
        outcome: 'covered',
        sequence: previous.sequence,
        previousSequence: previous.sequence,
        bytes: previous.bytes,
        parameters: prior.parameters.length,
        invalidParameters: prior.parameters.filter((p) => p.status !== 'current').length,
        changes: [],
        listings: 0,
        attempts: 1,
        historyReads: 0,
        listedAt: prior.listedAt,
      };
    }
    if (previous.snapshot && !prior) {
      logger.warn('previous snapshot is of another policy path; none of its values are reused', {
        key: objects.key,
        snapshotPath: previous.snapshot.policyPath,
        policyPath: config.policyPath,
      });
    }

    // listedAt: when the accepted listing's first page could have been read at the earliest.
    const listStart: number[] = [];
    const listOnce = (): Promise<ListedParameter[]> => {
      listStart.push(now());
      return listParametersByPath(config.policyPath, deps.sendPage);
    };
    const { parameters: listed, listings } = await listStable(listOnce, { confirm: 'always', maxListings: MAX_LISTINGS });
    const listedAt = new Date(listStart[listStart.length - 2] ?? listStart[0] ?? now()).toISOString();

    const invalid = listed.filter((p) => !('policy' in checkEntry({ source: p.name, value: p.value, type: p.type })));
    let historyReads = 0;
    const outcomes = await resolveInvalidParameters(
      invalid,
      (name) => {
        historyReads++;
        return deps.readHistory(name);
      },
      cache,
      HISTORY_CONCURRENCY,
    );
    const parameters = snapshotParameters(listed, outcomes, prior);
    const changes = snapshotChanges(prior?.parameters ?? [], parameters);
    const base = { listings, attempts: attempt, historyReads, listedAt, parameters: parameters.length, invalidParameters: invalid.length, changes };

    const write = trigger.kind === 'schedule' || !prior || changes.length > 0;
    if (!write) {
      logDetails(deps, parameters, [], previous.sequence);
      return { ...base, outcome: 'unchanged', sequence: previous.sequence, previousSequence: previous.sequence, bytes: previous.bytes };
    }
    const snapshot: PolicySnapshot = {
      format: SNAPSHOT_FORMAT,
      sequence: previous.sequence + 1,
      policyPath: config.policyPath,
      listedAt,
      writtenAt: new Date(now()).toISOString(),
      parameters,
    };
    const body = serializeSnapshot(snapshot);
    // Instances refuse a larger snapshot (and fall back to listing the path): better to fail here, loudly, and keep the previous one.
    if (body.length > MAX_SNAPSHOT_BYTES) {
      throw new Error(`the snapshot would be ${body.length} characters, over the ${MAX_SNAPSHOT_BYTES} instances accept; the previous snapshot keeps serving`);
    }
    try {
      await objects.write(body, previous.etag);
    } catch (err) {
      if (!(err instanceof WriteConflictError)) throw err;
      lastConflict = err;
      logger.info('snapshot write lost a race; compiling again from a fresh listing', { attempt, sequence: snapshot.sequence, key: objects.key });
      continue;
    }
    logDetails(deps, parameters, changes, snapshot.sequence);
    return {
      ...base,
      outcome: 'written',
      sequence: snapshot.sequence,
      previousSequence: previous.snapshot || previous.etag ? previous.sequence : null,
      bytes: Buffer.byteLength(body),
    };
  }
  throw new WriteConflictError(`the snapshot was written by another run during each of ${MAX_WRITE_ATTEMPTS} attempts; the next trigger compiles again`, {
    cause: lastConflict,
  });
}

/** One line per changed policy, one per invalid parameter, one per route conflict. */
function logDetails(deps: CompilerDeps, parameters: ReturnType<typeof snapshotParameters>, changes: readonly PolicyChange[], sequence: number): void {
  const { logger, config } = deps;
  for (const c of changes) {
    const from =
      c.fromVersion === null
        ? 'none'
        : `version ${c.fromVersion}${c.fromServedVersion !== c.fromVersion ? ` (serving ${c.fromServedVersion ?? 'nothing'})` : ''}`;
    const to =
      c.toVersion === null ? 'none' : `version ${c.toVersion}${c.toServedVersion !== c.toVersion ? ` (serving ${c.toServedVersion ?? 'nothing'})` : ''}`;
    logger.info('policy changed', { policyPath: config.policyPath, sequence, ...c, summary: `${c.parameter} ${c.change}: ${from} -> ${to}` });
  }
  for (const p of parameters) {
    if (p.status === 'current') continue;
    logger.warn('invalid policy parameter', {
      policyPath: config.policyPath,
      parameter: p.name,
      version: p.version,
      status: p.status,
      servedVersion: p.servedVersion ?? null,
      reason: p.reason,
    });
  }
  for (const conflict of servedSet(config.policyPath, parameters).conflicts) {
    logger.warn('route conflict', {
      policyPath: config.policyPath,
      route: conflict.key,
      parameters: conflict.claims.map((c) => c.source),
      reason: 'route_conflict',
      problem: `the route ${conflict.key} is claimed by ${describeClaims(conflict)}; instances deny it (route_conflict) until one of them gives it up`,
    });
  }
}
