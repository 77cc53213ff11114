import { DENIAL_MESSAGE, DENIAL_SERVICES, DENY_REASONS, LOG_LINE_HEAD, type DenialLine } from '../aws/denial-line';
import { compilePolicySet, type PolicyEntry } from '../core/policy-set';
import { isToken } from '../core/tokens';
import type { BrowserRequest } from './browser-request';
import { evaluate, suggestRepair, type Fix } from './explain-model';

/**
 * The preflight function's denial log lines, read back: one parsed line, the
 * groups a report shows, and for each group what the current policies answer
 * and the smallest edit that would allow it (from explain's own model).
 */

/** One denial line, read back (the line is {@link DenialLine}). */
export interface Denial {
  readonly reason: string;
  readonly origin: string;
  readonly path: string;
  /** The route(s) of the policy that matched, when one did. */
  readonly route?: string;
  readonly policy?: string;
  readonly method?: string;
  readonly requestHeaders?: string;
  /** ms since the epoch, from the line or the log event. */
  readonly time?: number;
}

/**
 * `denial`: exactly the line our functions write. `foreign`: mentions
 * {@link DENIAL_MESSAGE} but is not that line (wrapped in another log line's
 * `message`, behind a text prefix, an unknown service or reason, a field of
 * the wrong type): possibly forged, never counted as a denial. `other`: JSON
 * that is not about denials; `malformed`: not JSON.
 */
export type ParsedLine = { kind: 'denial'; denial: Denial } | { kind: 'foreign' } | { kind: 'other' } | { kind: 'malformed' } | { kind: 'blank' };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const REASONS: ReadonlySet<string> = new Set(DENY_REASONS);
const SERVICES: ReadonlySet<string> = new Set(DENIAL_SERVICES);
const OPTIONAL_STRINGS = ['detail', 'policy', 'method', 'requestHeaders', 'requestId'] as const;

/** The line our functions write, or the reason it is not: checked field by field against {@link DenialLine}. */
function asDenialLine(value: unknown): DenialLine | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  if (LOG_LINE_HEAD.some((k, i) => keys[i] !== k)) return undefined;
  if (value.message !== DENIAL_MESSAGE || value.level !== 'INFO') return undefined;
  if (typeof value.service !== 'string' || !SERVICES.has(value.service)) return undefined;
  if (typeof value.timestamp !== 'string' || Number.isNaN(Date.parse(value.timestamp))) return undefined;
  if (typeof value.reason !== 'string' || !REASONS.has(value.reason)) return undefined;
  // The writer always logs the origin and path of a preflight (it is one: both headers were there).
  if (typeof value.origin !== 'string' || typeof value.path !== 'string') return undefined;
  for (const k of OPTIONAL_STRINGS) if (value[k] !== undefined && typeof value[k] !== 'string') return undefined;
  const route = value.route;
  if (route !== undefined && typeof route !== 'string' && !(Array.isArray(route) && route.every((r) => typeof r === 'string'))) return undefined;
  return value as unknown as DenialLine;
}

/**
 * An exported CloudWatch Logs event (`aws logs filter-log-events` or
 * `get-log-events`, one per line): the raw log line in `message`, exactly as
 * reading the log group gives it. Not Lambda's JSON log format, which wraps a
 * console line in `message` next to `level` and `requestId`.
 */
function exportedEvent(value: Record<string, unknown>): { message: string; time: number } | undefined {
  if (typeof value.message !== 'string' || typeof value.timestamp !== 'number' || typeof value.ingestionTime !== 'number') return undefined;
  if ('level' in value || 'requestId' in value) return undefined;
  return { message: value.message, time: value.timestamp };
}

/**
 * Parses one line of a log export: the function's own JSON line, exactly as
 * it writes it, or an exported CloudWatch Logs event holding such a line.
 * Anything that mentions the denial message but is not that exact line is
 * `foreign`; never an exception.
 */
export function parseLogLine(text: string, eventTime?: number): ParsedLine {
  const trimmed = text.trim();
  if (trimmed === '') return { kind: 'blank' };
  const mentions = trimmed.includes(DENIAL_MESSAGE);
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    // A text prefix before JSON is another program's line (console.log in Lambda's text format): never ours.
    return mentions ? { kind: 'foreign' } : { kind: 'malformed' };
  }
  if (eventTime === undefined && isObject(value)) {
    const exported = exportedEvent(value);
    if (exported) return parseLogLine(exported.message, exported.time);
  }
  const line = asDenialLine(value);
  if (!line) return mentions ? { kind: 'foreign' } : { kind: 'other' };
  const time = eventTime ?? Date.parse(line.timestamp);
  const route = Array.isArray(line.route) ? line.route.join(', ') : (line.route as string | undefined);
  const denial: Denial = {
    reason: line.reason!,
    origin: line.origin!,
    path: line.path!,
    ...(route ? { route } : {}),
    ...(line.policy !== undefined ? { policy: line.policy } : {}),
    ...(line.method !== undefined ? { method: line.method } : {}),
    ...(line.requestHeaders !== undefined ? { requestHeaders: line.requestHeaders } : {}),
    time,
  };
  return { kind: 'denial', denial };
}

/** Counts of what was read. */
export interface LineCounts {
  read: number;
  denials: number;
  /** Lines that mention the denial message but are not the exact line our functions write: possibly forged. */
  foreign: number;
  /** Valid JSON that is not a denial line (other log lines, metrics, platform lines). */
  other: number;
  malformed: number;
  /** Denial lines older than --since (files only). */
  outsideWindow: number;
}

/** Denials of one (origin, route, reason). */
export interface DenialGroup {
  readonly origin: string;
  /** The matched policy's route(s), or `(no policy)` when no route matched. */
  readonly route: string;
  readonly reason: string;
  count: number;
  firstSeen?: number;
  lastSeen?: number;
  /** How often each (method, path, request headers) was seen; the most frequent is explained. */
  readonly variants: Map<string, { method: string; path: string; requestHeaders?: string; count: number }>;
  readonly policy?: string;
}

export const NO_POLICY = '(no policy)';

/** Groups denials by origin, route and reason, most frequent first (ties: most recent first). */
export class DenialTally {
  readonly counts: LineCounts = { read: 0, denials: 0, foreign: 0, other: 0, malformed: 0, outsideWindow: 0 };
  private readonly groups = new Map<string, DenialGroup>();

  /** Adds one line; a denial with a known time before `since` is only counted as outside the window. */
  addLine(text: string, eventTime?: number, since?: number): ParsedLine['kind'] {
    const parsed = parseLogLine(text, eventTime);
    if (parsed.kind === 'blank') return parsed.kind;
    this.counts.read++;
    if (parsed.kind !== 'denial') this.counts[parsed.kind]++;
    else if (since !== undefined && parsed.denial.time !== undefined && parsed.denial.time < since) this.counts.outsideWindow++;
    else this.add(parsed.denial);
    return parsed.kind;
  }

  add(d: Denial): void {
    this.counts.denials++;
    const route = d.route ?? NO_POLICY;
    const key = JSON.stringify([d.origin, route, d.reason]);
    let g = this.groups.get(key);
    if (!g) {
      g = { origin: d.origin, route, reason: d.reason, count: 0, variants: new Map(), ...(d.policy ? { policy: d.policy } : {}) };
      this.groups.set(key, g);
    }
    g.count++;
    if (d.time !== undefined) {
      if (g.firstSeen === undefined || d.time < g.firstSeen) g.firstSeen = d.time;
      if (g.lastSeen === undefined || d.time > g.lastSeen) g.lastSeen = d.time;
    }
    const method = d.method ?? 'GET';
    const vkey = JSON.stringify([method, d.path, d.requestHeaders ?? '']);
    const v = g.variants.get(vkey);
    if (v) v.count++;
    else g.variants.set(vkey, { method, path: d.path, ...(d.requestHeaders !== undefined ? { requestHeaders: d.requestHeaders } : {}), count: 1 });
  }

  get size(): number {
    return this.groups.size;
  }

  top(n: number): DenialGroup[] {
    return [...this.groups.values()].sort((a, b) => b.count - a.count || (b.lastSeen ?? 0) - (a.lastSeen ?? 0) || (a.origin < b.origin ? -1 : 1)).slice(0, n);
  }
}

/** The most frequent request of a group. */
export function typicalRequest(g: DenialGroup): { method: string; path: string; requestHeaders?: string } {
  let best: { method: string; path: string; requestHeaders?: string; count: number } | undefined;
  for (const v of g.variants.values()) if (!best || v.count > best.count) best = v;
  return best!;
}

/** `Access-Control-Request-Headers` as a browser sends it, when the logged value is a clean list; else as logged. */
function browserHeaderList(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const names = raw.split(',').map((n) => n.trim().toLowerCase());
  if (names.some((n) => n !== '' && !isToken(n))) return raw;
  const clean = [...new Set(names.filter(Boolean))].sort();
  return clean.length > 0 ? clean.join(',') : undefined;
}

/** The preflight the log line records, as explain's model of a browser request (a preflight never carries credentials). */
export function preflightAsBrowserRequest(origin: string, method: string, path: string, requestHeaders: string | undefined): BrowserRequest {
  const list = browserHeaderList(requestHeaders);
  const names = list ? list.split(',') : [];
  return {
    method,
    path,
    origin,
    credentials: false,
    headers: names.map((name) => ({ name, safelisted: false, forbidden: false, why: 'listed in the logged Access-Control-Request-Headers' })),
    preflight: true,
    preflightBecause: ['the log line records a preflight'],
    ...(list !== undefined ? { requestHeaders: list } : {}),
    notes: [],
  };
}

export interface GroupVerdict {
  /** True when the current policies would let the browser's request through. */
  readonly allowedNow: boolean;
  readonly stage?: 'preflight' | 'actual';
  readonly reason?: string;
  readonly detail?: string;
  /** A suggestion only: the smallest policy edit that would allow it, checked with the engine. */
  readonly fixes: readonly Fix[];
  readonly blocked?: string;
}

/** What the current policies answer for a group's typical request, and the smallest change that would allow it. */
export function judge(entries: readonly PolicyEntry[], newSource: (name: string) => string, g: DenialGroup): GroupVerdict {
  const t = typicalRequest(g);
  const req = preflightAsBrowserRequest(g.origin, t.method, t.path, t.requestHeaders);
  const { failure } = evaluate(compilePolicySet(entries), req);
  if (!failure) return { allowedNow: true, fixes: [] };
  const repair = suggestRepair(entries, req, newSource);
  return {
    allowedNow: false,
    stage: failure.stage,
    reason: failure.reason,
    detail: failure.detail,
    fixes: repair.fixes,
    ...(repair.blocked ? { blocked: repair.blocked } : {}),
  };
}

/** `30m`, `1h`, `2d`, `90s` or an ISO 8601 time: the start of the window, in ms since the epoch. */
export function parseSince(value: string, now: number): number | undefined {
  const m = /^(\d+)\s*(s|m|h|d)$/.exec(value.trim());
  if (m) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
    return now - Number(m[1]) * unit;
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(value.trim())) {
    const t = Date.parse(value.trim());
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}
