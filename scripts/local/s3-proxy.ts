// A counting pass-through in front of moto's S3, one per emulated function (the
// instances' light S3 client sends no app id to tell them apart). It counts each
// request by method and status, so the local stack can show what the snapshot
// costs: instances' conditional GETs answered 304 (nothing new) or 200 (a new
// snapshot downloaded), the compiler's reads and writes.
import { createServer, request, type Server } from 'node:http';
import { close, listen } from './gateway';

export interface S3Proxy {
  /** `http://127.0.0.1:PORT`, for the function's AWS_ENDPOINT_URL_S3. */
  endpoint: string;
  /** Requests answered so far, optionally of one method and status, e.g. `{ method: 'GET', status: 304 }`. */
  calls(filter?: { method?: string; status?: number }): number;
  /** Every count, as `{ "GET 304": n }`. */
  snapshot(): Record<string, number>;
  stop(): Promise<void>;
}

export async function startS3Proxy(target: string): Promise<S3Proxy> {
  const upstream = new URL(target);
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (up) => {
        const key = `${req.method} ${up.statusCode ?? 502}`;
        // Counted before the answer goes out, like the Parameter Store proxy.
        counts.set(key, (counts.get(key) ?? 0) + 1);
        res.writeHead(up.statusCode ?? 502, up.rawHeaders);
        up.pipe(res);
      },
    );
    forward.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(`local S3 unreachable: ${err.message}`);
    });
    req.pipe(forward);
  });
  const port = await listen(server, 0);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls(filter = {}) {
      let n = 0;
      for (const [key, c] of counts) {
        const [method, status] = key.split(' ');
        if (filter.method !== undefined && filter.method !== method) continue;
        if (filter.status !== undefined && String(filter.status) !== status) continue;
        n += c;
      }
      return n;
    },
    snapshot: () => Object.fromEntries(counts),
    stop: () => close(server),
  };
}
