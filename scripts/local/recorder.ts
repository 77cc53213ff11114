// What the local gateway saw: every request it passed to a function, and
// counters of preflights and actual requests per origin and path. The browser
// suite asserts on these counts (a browser's preflight cache is invisible to a
// page; the server side is the only place to count preflights), and the demo
// page shows the records next to the browser's verdict.

export type RequestKind = 'preflight' | 'options' | 'actual';

export interface RequestRecord {
  seq: number;
  time: string;
  payload: 'v1' | 'v2';
  /** `preflight`: OPTIONS with Origin and Access-Control-Request-Method; `options`: any other OPTIONS. */
  kind: RequestKind;
  method: string;
  path: string;
  query: string;
  host?: string;
  origin?: string;
  requestMethod?: string;
  requestHeaders?: string;
  /** True when the request carried a Cookie header (a preflight never should). */
  cookie: boolean;
  status: number;
  /** Response headers, names lower-cased, repeated headers joined with ", ". */
  responseHeaders: Record<string, string>;
  /** From `X-Cors-Deny-Reason` (CORS_DEBUG=true) on a denied preflight. */
  denyReason?: string;
  /** Why the gateway refused the function's result (502/500/504). */
  gatewayError?: string;
  function: string;
  requestId: string;
  ms: number;
  coldStart: boolean;
  /** JSON log lines the function wrote while handling this request. */
  logs: unknown[];
}

export interface CountFilter {
  path?: string;
  origin?: string;
}

const RING_SIZE = 2000;
const ORPHAN_LOGS = 500;

export class Recorder {
  private seq = 0;
  private readonly ring: RequestRecord[] = [];
  private readonly byRequestId = new Map<string, RequestRecord>();
  private readonly orphanLogs = new Map<string, unknown[]>();
  // Counts are kept for the stack's whole life, independent of the ring.
  private readonly counts: Record<RequestKind, Map<string, number>> = { preflight: new Map(), options: new Map(), actual: new Map() };

  /** Called with every new record (npm start prints them). */
  onAdd: ((record: RequestRecord) => void) | undefined;

  add(record: Omit<RequestRecord, 'seq' | 'logs'>): RequestRecord {
    const full: RequestRecord = { ...record, seq: ++this.seq, logs: this.orphanLogs.get(record.requestId) ?? [] };
    this.orphanLogs.delete(record.requestId);
    this.ring.push(full);
    this.byRequestId.set(full.requestId, full);
    if (this.ring.length > RING_SIZE) {
      const dropped = this.ring.shift();
      if (dropped) this.byRequestId.delete(dropped.requestId);
    }
    const key = countKey(record.path, record.origin);
    const map = this.counts[record.kind];
    map.set(key, (map.get(key) ?? 0) + 1);
    this.onAdd?.(full);
    return full;
  }

  /** Attaches a function's log line to the request it belongs to, whenever it arrives. */
  attachLog(requestId: string, entry: unknown): void {
    const record = this.byRequestId.get(requestId);
    if (record) {
      record.logs.push(entry);
      return;
    }
    const list = this.orphanLogs.get(requestId) ?? [];
    list.push(entry);
    this.orphanLogs.set(requestId, list);
    if (this.orphanLogs.size > ORPHAN_LOGS) this.orphanLogs.delete(this.orphanLogs.keys().next().value as string);
  }

  /** How many preflights (OPTIONS with Origin and ACRM) reached the preflight function. */
  preflights(filter: CountFilter = {}): number {
    return this.count('preflight', filter);
  }

  /** How many non-OPTIONS requests reached the API function. */
  actual(filter: CountFilter = {}): number {
    return this.count('actual', filter);
  }

  /** Records with `seq` greater than `since`, oldest first, optionally filtered. */
  records(filter: CountFilter & { since?: number; kind?: RequestKind } = {}): RequestRecord[] {
    return this.ring.filter(
      (r) =>
        r.seq > (filter.since ?? 0) &&
        (filter.kind === undefined || r.kind === filter.kind) &&
        (filter.path === undefined || r.path === filter.path) &&
        (filter.origin === undefined || r.origin === filter.origin),
    );
  }

  lastPreflight(filter: CountFilter = {}): RequestRecord | undefined {
    const list = this.records({ ...filter, kind: 'preflight' });
    return list[list.length - 1];
  }

  /** Latest sequence number: pass it as `since` to see only what comes after. */
  get lastSeq(): number {
    return this.seq;
  }

  /** Counts per "origin path" key. */
  snapshot(): Record<RequestKind, Record<string, number>> {
    return {
      preflight: Object.fromEntries(this.counts.preflight),
      options: Object.fromEntries(this.counts.options),
      actual: Object.fromEntries(this.counts.actual),
    };
  }

  private count(kind: RequestKind, filter: CountFilter): number {
    const map = this.counts[kind];
    if (filter.path !== undefined && filter.origin !== undefined) return map.get(countKey(filter.path, filter.origin)) ?? 0;
    let n = 0;
    for (const [key, value] of map) {
      const [origin, path] = splitKey(key);
      if ((filter.path === undefined || filter.path === path) && (filter.origin === undefined || filter.origin === origin)) n += value;
    }
    return n;
  }
}

// An origin never contains a space; a path may, after decoding, so the origin comes first.
function countKey(path: string, origin: string | undefined): string {
  return `${origin ?? '(no origin)'} ${path}`;
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf(' ');
  return [key.slice(0, i), key.slice(i + 1)];
}
