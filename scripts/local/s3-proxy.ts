// A counting pass-through in front of moto's S3, one per emulated function (the
// instances' light S3 client sends no app id to tell them apart). It counts each
// request by method and status, so the local stack can show what the snapshot
// costs: instances' conditional GETs answered 304 (nothing new) or 200 (a new
// snapshot downloaded), the compiler's reads and writes.
import { CallCounts, startPassThrough } from './pass-through';

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
  const counts = new CallCounts();
  const proxy = await startPassThrough(target, 'S3', (req, res) => (up) => {
    // Counted before the answer goes out, like the Parameter Store proxy.
    counts.add(String(req.method), String(up.statusCode ?? 502));
    res.writeHead(up.statusCode ?? 502, up.rawHeaders);
    up.pipe(res);
  });
  return {
    ...proxy,
    calls: (filter = {}) => counts.total(filter.method, filter.status === undefined ? undefined : String(filter.status)),
    snapshot: () => counts.flat(),
  };
}
