import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { performance } from 'node:perf_hooks';

/**
 * A polite HTTP client for `cors-policy verify`: request starts at least
 * `1000 / rate` ms apart (retries included), at most `concurrency` in flight,
 * each attempt bounded by `timeoutMs`, and retries with backoff on 429, 5xx
 * and dropped connections. Sends exactly the headers it is given: no
 * cookies, no credentials.
 */
export interface PoliteOptions {
  /** Request starts per second, retries included: two starts are never closer than `1000 / rate` ms. Default {@link DEFAULT_POLITE}.rate (10). */
  readonly rate: number;
  /** Requests in flight at once. Default 2. */
  readonly concurrency: number;
  /** Milliseconds an attempt may take, connection included. Default 10000. */
  readonly timeoutMs: number;
  /** Further attempts after a 429, a 5xx, a timeout or a reset connection. Default 2. */
  readonly retries: number;
}

export const DEFAULT_POLITE: PoliteOptions = { rate: 10, concurrency: 2, timeoutMs: 10_000, retries: 2 };

/** Longest wait a `Retry-After` may impose before the next attempt. */
const MAX_RETRY_AFTER_MS = 30_000;
/** Only the start of a body is kept: enough to recognise API Gateway's messages. */
const MAX_BODY_BYTES = 4096;

export interface OutgoingRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
}

export type Observed =
  | { readonly ok: true; readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: string; readonly attempts: number }
  | { readonly ok: false; readonly error: string; readonly code: string; readonly attempts: number };

/**
 * Lets request starts through one at a time, each at least `intervalMs` after
 * the previous one began. The interval is measured from the moment the
 * previous request was handed to the network (after `start` returned), on a
 * monotonic clock, so a late timer or a busy event loop can only widen a gap,
 * never shrink it: no burst after a delay.
 */
export class StartGate {
  private lastStart = Number.NEGATIVE_INFINITY;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Waits for this caller's turn, then calls `start` and returns what it returned. */
  run<T>(start: () => T): Promise<T> {
    const turn = this.queue.then(async () => {
      for (let wait = this.lastStart + this.intervalMs - this.now(); wait > 0; wait = this.lastStart + this.intervalMs - this.now()) {
        await sleep(Math.ceil(wait));
      }
      try {
        return start();
      } finally {
        this.lastStart = this.now();
      }
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Response headers, names lower case, repeated values joined with ", ". */
function headersOf(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    const key = (res.rawHeaders[i] as string).toLowerCase();
    const value = res.rawHeaders[i + 1] as string;
    out[key] = key in out ? `${out[key]}, ${value}` : value;
  }
  return out;
}

type Attempt = { ok: true; status: number; headers: Record<string, string>; body: string } | { ok: false; error: string; code: string; retryable: boolean };

/** Sends one attempt; the request is on its way when this returns (the promise settles with the answer). */
function attempt(req: OutgoingRequest, agents: { http: HttpAgent; https: HttpsAgent }, timeoutMs: number, onStart?: () => void): Promise<Attempt> {
  return new Promise((resolve) => {
    onStart?.();
    const https = req.url.protocol === 'https:';
    const send = https ? httpsRequest : httpRequest;
    let settled = false;
    const done = (a: Attempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(a);
    };
    const r = send(req.url, { method: req.method, headers: { ...req.headers }, agent: https ? agents.https : agents.http }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < MAX_BODY_BYTES) chunks.push(c);
        size += c.length;
      });
      res.on('end', () =>
        done({ ok: true, status: res.statusCode ?? 0, headers: headersOf(res), body: Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8') }),
      );
      res.on('error', (err) => done({ ok: false, error: err.message, code: (err as NodeJS.ErrnoException).code ?? 'ERR_RESPONSE', retryable: true }));
    });
    const timer = setTimeout(() => {
      done({ ok: false, error: `no answer within ${timeoutMs} ms`, code: 'ETIMEDOUT', retryable: true });
      r.destroy();
    }, timeoutMs);
    r.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'ERR_REQUEST';
      // A refused connection or an unknown host does not get better by asking again.
      done({ ok: false, error: err.message || code, code, retryable: code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETIMEDOUT' });
    });
    r.end();
  });
}

function retryAfterMs(headers: Record<string, string>): number | undefined {
  const v = headers['retry-after'];
  if (v === undefined) return undefined;
  const seconds = Number(v);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, MAX_RETRY_AFTER_MS);
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.min(Math.max(0, date - Date.now()), MAX_RETRY_AFTER_MS);
}

/**
 * Sends every request politely; resolves with one observation per request,
 * in order. Never rejects: failures come back as observations.
 */
export async function sendAll(
  requests: readonly OutgoingRequest[],
  options: PoliteOptions,
  onDone?: (done: number, total: number) => void,
  /** Called as each attempt starts, just before it is handed to the network (tests measure the pacing here). */
  onStart?: () => void,
): Promise<Observed[]> {
  const agents = {
    http: new HttpAgent({ keepAlive: true, maxSockets: options.concurrency }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: options.concurrency }),
  };
  const gate = new StartGate(1000 / options.rate);
  const results: Observed[] = new Array(requests.length);
  let nextIndex = 0;
  let finished = 0;

  async function one(req: OutgoingRequest): Promise<Observed> {
    for (let n = 1; ; n++) {
      // The gate hands back the pending answer inside an object: awaiting the
      // gate must not wait for the answer, only for this attempt's turn.
      const { answer } = await gate.run(() => ({ answer: attempt(req, agents, options.timeoutMs, onStart) }));
      const a = await answer;
      const retryable = a.ok ? a.status === 429 || a.status >= 500 : a.retryable;
      if (!retryable || n > options.retries) {
        return a.ok ? { ok: true, status: a.status, headers: a.headers, body: a.body, attempts: n } : { ok: false, error: a.error, code: a.code, attempts: n };
      }
      // Backoff 0.5 s, 1 s, 2 s... or what Retry-After asks, whichever is longer.
      const backoff = 500 * 2 ** (n - 1);
      await sleep(Math.max(backoff, (a.ok ? retryAfterMs(a.headers) : undefined) ?? 0));
    }
  }

  async function worker(): Promise<void> {
    for (;;) {
      const i = nextIndex++;
      if (i >= requests.length) return;
      results[i] = await one(requests[i] as OutgoingRequest);
      onDone?.(++finished, requests.length);
    }
  }

  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, requests.length)) }, worker));
  } finally {
    agents.http.destroy();
    agents.https.destroy();
  }
  return results;
}
