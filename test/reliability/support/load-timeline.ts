/**
 * The bookkeeping of the load test with live policy edits
 * (`load-live-edits.int.test.ts`): which policy versions a function may be
 * serving at a given moment, worked out from the times of the edits and the
 * TTL, and the check of one observed answer against that.
 *
 * The model, from the store's contract (docs/configuration.md, "How policies are loaded"):
 * - a version can only be served once its PutParameter has been sent
 *   (`edit.start`);
 * - a refresh that read the version before the next PutParameter finished
 *   (`next.end`) completes within the load budget and is then served for at
 *   most one TTL (jitter only brings the next refresh forward). So a version
 *   may still be served until `next.end + ttl + budget`, and never after.
 * An answer is consistent when it equals, header for header, what one of the
 * versions gives for that request, and the request was in flight
 * ([sentAt, receivedAt]) while that version could be served.
 */

export type Version = 'A' | 'B';

/** One PutParameter of the edited policy, in `Date.now()` milliseconds. */
export interface Edit {
  version: Version;
  /** Just before the call was sent. */
  start: number;
  /** When the call had returned. */
  end: number;
}

/** What a response said, reduced to what CORS depends on. */
export interface Answer {
  status: number;
  /** Every `access-control-*` header and `Vary`, names lower-cased, repeated lines joined with ", ". */
  cors: Record<string, string>;
}

/** One request kind of the load, with the answer each version must give to it. */
export interface RequestKind {
  name: string;
  /** `preflight` goes to the preflight function, `actual` to the API function through the layer. */
  target: 'preflight' | 'actual';
  expected: Record<Version, Answer>;
}

export interface Observation {
  kind: number;
  sentAt: number;
  receivedAt: number;
  answer: Answer;
}

/** Reduces response headers (any casing, string or list values) to the CORS view of {@link Answer}. */
export function corsView(status: number, headers: Record<string, string | string[] | undefined>): Answer {
  const cors: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || !(lower.startsWith('access-control-') || lower === 'vary')) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    cors[lower] = lower in cors ? `${cors[lower]}, ${text}` : text;
  }
  return { status, cors };
}

/**
 * Keeps one object per distinct answer, so that a run of a few hundred
 * thousand responses holds a reference each instead of a copy.
 */
export class AnswerPool {
  private readonly pool = new Map<string, Answer>();

  intern(answer: Answer): Answer {
    const key = JSON.stringify([answer.status, Object.entries(answer.cors).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
    const known = this.pool.get(key);
    if (known) return known;
    this.pool.set(key, answer);
    return answer;
  }

  get size(): number {
    return this.pool.size;
  }
}

export function sameAnswer(a: Answer, b: Answer): boolean {
  if (a.status !== b.status) return false;
  const ka = Object.keys(a.cors).sort();
  const kb = Object.keys(b.cors).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a.cors[k] === b.cors[k]);
}

/** The versions whose expected answer this answer equals exactly (empty: a mix, or a version never put). */
export function matchingVersions(kind: RequestKind, answer: Answer): Version[] {
  return (['A', 'B'] as const).filter((v) => sameAnswer(kind.expected[v], answer));
}

/** True when the two versions answer this kind differently, so an answer tells which one served it. */
export function discriminates(kind: RequestKind): boolean {
  return !sameAnswer(kind.expected.A, kind.expected.B);
}

export interface Window {
  version: Version;
  from: number;
  /** `Infinity` for the last edit. */
  until: number;
}

/** When each edit's version may be served: from its put to the next put's end + TTL + budget. */
export function servingWindows(edits: readonly Edit[], ttlMs: number, budgetMs: number): Window[] {
  return edits.map((e, i) => {
    const next = edits[i + 1];
    return { version: e.version, from: e.start, until: next ? next.end + ttlMs + budgetMs : Infinity };
  });
}

/**
 * The stretches where only one edit's version may be served: after the
 * previous version's window closed and before the next put. Answers that fall
 * wholly inside one prove the edit was picked up.
 */
export function exclusiveStretches(edits: readonly Edit[], ttlMs: number, budgetMs: number, loadStart: number, loadEnd: number): Window[] {
  const out: Window[] = [];
  edits.forEach((e, i) => {
    const from = i === 0 ? Math.max(e.end, loadStart) : e.end + ttlMs + budgetMs;
    const next = edits[i + 1];
    const until = Math.min(next ? next.start : loadEnd, loadEnd);
    if (until > from) out.push({ version: e.version, from, until });
  });
  return out;
}

/**
 * Why an observation is inconsistent with the edits, or undefined when it is
 * consistent. Times in the message are in ms from `t0`.
 */
export function inconsistency(kinds: readonly RequestKind[], windows: readonly Window[], o: Observation, t0 = 0): string | undefined {
  const kind = kinds[o.kind];
  if (!kind) return `unknown request kind ${o.kind}`;
  const versions = matchingVersions(kind, o.answer);
  if (versions.length === 0) return `${kind.name}: answer ${JSON.stringify(o.answer)} is neither version A's nor version B's`;
  const fits = windows.some((w) => versions.includes(w.version) && o.receivedAt >= w.from && o.sentAt <= w.until);
  if (fits) return undefined;
  const open = windows.map((w) => `${w.version} [${w.from - t0}, ${w.until - t0}]`).join(', ');
  return `${kind.name}: version ${versions.join('/')} answered a request in flight during [${o.sentAt - t0}, ${o.receivedAt - t0}] ms, outside every window in which it could be served (${open})`;
}
