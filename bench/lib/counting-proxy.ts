/**
 * A loopback HTTP proxy in front of moto that counts the requests it forwards,
 * by `X-Amz-Target` (for example `AmazonSSM.GetParametersByPath`). Processes
 * under test point AWS_ENDPOINT_URL_SSM at it, so their SSM traffic is counted
 * at the wire, whatever the process reports about itself.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingProxy {
  endpoint: string;
  /** Requests forwarded since the last reset, by target. */
  counts(): Record<string, number>;
  total(target?: string): number;
  reset(): void;
  close(): Promise<void>;
}

export async function startCountingProxy(upstream: string): Promise<CountingProxy> {
  const target = new URL(upstream);
  let counts: Record<string, number> = {};
  const server: Server = createServer((req, res) => {
    const name = String(req.headers['x-amz-target'] ?? `${req.method} ${req.url}`);
    counts[name] = (counts[name] ?? 0) + 1;
    const upstreamReq = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
      upstreamRes.pipe(res);
    });
    upstreamReq.on('error', (err) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
    req.pipe(upstreamReq);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts: () => ({ ...counts }),
    total: (t) => (t === undefined ? Object.values(counts).reduce((a, b) => a + b, 0) : (counts[t] ?? 0)),
    reset: () => {
      counts = {};
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
