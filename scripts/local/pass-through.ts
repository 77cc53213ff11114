// The one pass-through both counting proxies (s3-proxy.ts, ssm-proxy.ts) put
// in front of moto: each request goes on to it as it came, and the proxy's own
// handler sees the request first and moto's answer after.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { close, listen } from './gateway';

export interface PassThrough {
  /** `http://127.0.0.1:PORT`, for the functions' endpoint variable. */
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * Listens on a free local port and forwards every request to `target`.
 * `onRequest` runs first, for each request, and returns what answers the
 * client once moto's answer arrives. moto unreachable: 502, naming `service`.
 */
export async function startPassThrough(
  target: string,
  service: string,
  onRequest: (req: IncomingMessage, res: ServerResponse) => (answer: IncomingMessage) => void,
): Promise<PassThrough> {
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const onAnswer = onRequest(req, res);
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      onAnswer,
    );
    forward.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(`local ${service} unreachable: ${err.message}`);
    });
    req.pipe(forward);
  });
  const port = await listen(server, 0);
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => close(server) };
}

/** Requests counted under two labels: S3's method and status, Parameter Store's function (app id) and operation. */
export class CallCounts {
  private readonly counts = new Map<string, Map<string, number>>();

  add(outer: string, inner: string): void {
    const counts = this.counts.get(outer) ?? new Map<string, number>();
    counts.set(inner, (counts.get(inner) ?? 0) + 1);
    this.counts.set(outer, counts);
  }

  /** Requests counted so far, only those under `outer` and `inner` when given. */
  total(outer?: string, inner?: string): number {
    let n = 0;
    for (const [o, counts] of this.counts) {
      if (outer !== undefined && outer !== o) continue;
      for (const [i, c] of counts) if (inner === undefined || inner === i) n += c;
    }
    return n;
  }

  /** Every count, as `{ outer: { inner: n } }`. */
  nested(): Record<string, Record<string, number>> {
    return Object.fromEntries([...this.counts].map(([outer, counts]) => [outer, Object.fromEntries(counts)]));
  }

  /** Every count, as `{ "outer inner": n }`. */
  flat(): Record<string, number> {
    return Object.fromEntries([...this.counts].flatMap(([outer, counts]) => [...counts].map(([inner, n]) => [`${outer} ${inner}`, n])));
  }
}
