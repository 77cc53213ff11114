import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { sendAll, StartGate, type OutgoingRequest, type PoliteOptions } from '../../functions/cli/verify-http';

/** A server answering with `plan(n)` for its n-th request (from 1), recording what it saw. */
async function serve(plan: (n: number) => { status: number; headers?: Record<string, string>; delayMs?: number }) {
  const seen: Array<{ at: number; method: string; headers: IncomingHttpHeaders }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server: Server = createServer((req, res) => {
    seen.push({ at: Date.now(), method: req.method ?? '', headers: req.headers });
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const step = plan(seen.length);
    setTimeout(() => {
      inFlight--;
      res.writeHead(step.status, step.headers ?? {});
      res.end();
    }, step.delayMs ?? 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`);
  return { url, seen, maxInFlight: () => maxInFlight, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const fast: PoliteOptions = { rate: 1000, concurrency: 2, timeoutMs: 20_000, retries: 2 };
const requests = (url: URL, n: number): OutgoingRequest[] =>
  Array.from({ length: n }, () => ({ method: 'OPTIONS', url, headers: { Origin: 'https://a.example.com', 'Access-Control-Request-Method': 'PUT' } }));

describe('sendAll', () => {
  it('keeps at most `concurrency` requests in flight and answers in request order', async () => {
    const s = await serve((n) => ({ status: 204, headers: { 'x-n': String(n) }, delayMs: 20 }));
    try {
      const out = await sendAll(requests(s.url, 8), fast);
      expect(s.maxInFlight()).toBe(2);
      expect(out.every((o) => o.ok && o.status === 204)).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('starts requests at least 1/rate seconds apart, retries included, measured where they start', async () => {
    // Slow answers keep both workers busy, so starts compete for the gate.
    const s = await serve((n) => ({ status: n === 2 || n === 5 ? 503 : 204, delayMs: 15 }));
    try {
      const starts: number[] = [];
      await sendAll(requests(s.url, 6), { ...fast, rate: 20, concurrency: 2 }, undefined, () => starts.push(performance.now()));
      expect(s.seen).toHaveLength(8);
      expect(starts).toHaveLength(8);
      const gaps = starts.slice(1).map((at, i) => at - (starts[i] as number));
      // The gate measures on the same monotonic clock, so no slack is needed: a busy machine only widens gaps.
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(50);
    } finally {
      await s.close();
    }
  });

  it('retries 429 and 5xx, then reports the last answer', async () => {
    const s = await serve((n) => (n === 1 ? { status: 429, headers: { 'retry-after': '0' } } : n === 2 ? { status: 502 } : { status: 204 }));
    try {
      expect(await sendAll(requests(s.url, 1), fast)).toEqual([{ ok: true, status: 204, headers: expect.any(Object), body: '', attempts: 3 }]);
    } finally {
      await s.close();
    }
    const always = await serve(() => ({ status: 503 }));
    try {
      expect(await sendAll(requests(always.url, 1), { ...fast, retries: 1 })).toMatchObject([{ ok: true, status: 503, attempts: 2 }]);
    } finally {
      await always.close();
    }
  });

  it('sends exactly the given headers: no cookie, no authorization', async () => {
    const s = await serve(() => ({ status: 204 }));
    try {
      await sendAll(requests(s.url, 1), fast);
      expect(s.seen[0]?.method).toBe('OPTIONS');
      expect(Object.keys(s.seen[0]?.headers ?? {}).sort()).toEqual(['access-control-request-method', 'connection', 'host', 'origin']);
    } finally {
      await s.close();
    }
  });

  it('times out a silent server and does not retry a refused connection', async () => {
    const s = await serve(() => ({ status: 204, delayMs: 1000 }));
    try {
      expect(await sendAll(requests(s.url, 1), { ...fast, timeoutMs: 100, retries: 0 })).toMatchObject([{ ok: false, code: 'ETIMEDOUT', attempts: 1 }]);
    } finally {
      await s.close();
    }
    expect(await sendAll(requests(new URL('http://127.0.0.1:9/x'), 1), fast)).toMatchObject([{ ok: false, code: 'ECONNREFUSED', attempts: 1 }]);
  });
});

describe('StartGate', () => {
  it('never lets a start through before the interval has passed, even when timers fire late', async () => {
    // A clock that jumps: the gate must re-check after every wake-up instead of trusting the timer.
    let t = 0;
    const gate = new StartGate(100, () => t);
    const order: number[] = [];
    const first = gate.run(() => order.push(t));
    await first;
    t = 40; // 40 ms later: the second start must wait for 60 more
    const second = gate.run(() => order.push(t));
    await new Promise((r) => setTimeout(r, 5));
    expect(order).toEqual([0]);
    t = 99;
    await new Promise((r) => setTimeout(r, 80));
    expect(order).toEqual([0]);
    t = 100;
    await second;
    expect(order).toEqual([0, 100]);
  });

  it('keeps serving after a start throws', async () => {
    const gate = new StartGate(0);
    await expect(
      gate.run(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(gate.run(() => 'next')).resolves.toBe('next');
  });
});
