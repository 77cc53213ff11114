import { compilePolicySet, type PolicyEntry } from '../core/policy-set';
import { isToken } from '../core/tokens';
import type { BrowserRequest } from './browser-request';
import { evaluate, suggestRepair, type Fix } from './explain-model';

/**
 * The preflight function's denial log lines, read back: one parsed line, the
 * groups a report shows, and for each group what the current policies answer
 * and the smallest edit that would allow it (from explain's own model).
 */

/** One "preflight denied" line, as functions/preflight/handler.ts writes it. */
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

export type ParsedLine = { kind: 'denial'; denial: Denial } | { kind: 'other' } | { kind: 'malformed' } | { kind: 'blank' };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function timeOf(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

/**
 * Parses one line of a log export: the function's own JSON line, a line with
 * a text prefix before the JSON (Lambda's text log format), or a wrapper whose
 * `message` holds the line as a string or object (`aws logs filter-log-events`
 * events, Lambda's JSON format). Anything else is `other` (valid JSON, not a
 * denial) or `malformed`; never an exception.
 */
export function parseLogLine(text: string, eventTime?: number): ParsedLine {
  const trimmed = text.trim();
  if (trimmed === '') return { kind: 'blank' };
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    // A text prefix before the JSON (Lambda's text log format)?
    const start = trimmed.indexOf('{');
    if (start <= 0) return { kind: 'malformed' };
    try {
      value = JSON.parse(trimmed.slice(start));
    } catch {
      return { kind: 'malformed' };
    }
  }
  if (!isObject(value)) return { kind: 'other' };
  let line = value;
  if (value.message !== 'preflight denied') {
    let inner: unknown = value.message;
    if (typeof inner === 'string' && inner.trimStart().startsWith('{')) {
      try {
        inner = JSON.parse(inner);
      } catch {
        return { kind: 'other' };
      }
    }
    if (!isObject(inner)) return { kind: 'other' };
    line = inner;
  }
  if (line.message !== 'preflight denied' || typeof line.reason !== 'string' || typeof line.origin !== 'string') return { kind: 'other' };
  // The log event's own time first (CloudWatch), then the line's, then a wrapper's.
  const time = eventTime ?? timeOf(line.timestamp) ?? timeOf(value.timestamp);
  const route = Array.isArray(line.route) ? line.route.filter((r) => typeof r === 'string').join(', ') : str(line.route);
  const denial: Denial = {
    reason: line.reason,
    origin: line.origin,
    path: str(line.path) ?? '/',
    ...(route ? { route } : {}),
    ...(str(line.policy) !== undefined ? { policy: str(line.policy) } : {}),
    ...(str(line.method) !== undefined ? { method: str(line.method) } : {}),
    ...(str(line.requestHeaders) !== undefined ? { requestHeaders: str(line.requestHeaders) } : {}),
    ...(time !== undefined ? { time } : {}),
  };
  return { kind: 'denial', denial };
}

/** Counts of what was read. */
export interface LineCounts {
  read: number;
  denials: number;
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
  readonly counts: LineCounts = { read: 0, denials: 0, other: 0, malformed: 0, outsideWindow: 0 };
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
