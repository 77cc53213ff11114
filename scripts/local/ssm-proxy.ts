// A counting pass-through in front of the local Parameter Store. The functions
// reach moto through it, so the stack can tell how many Parameter Store calls
// each function made (its SDK user agent carries `app/<function name>` from
// AWS_SDK_UA_APP_ID). The count is taken before the call is answered, so when
// a function's response reaches a client, its Parameter Store calls are counted.
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { close, listen } from './gateway';

export interface SsmProxy {
  /** `http://127.0.0.1:PORT`, for the functions' AWS_ENDPOINT_URL_SSM. */
  endpoint: string;
  /** Calls so far, optionally only those of one function (`app` id) and one operation (e.g. `GetParametersByPath`). */
  calls(filter?: { app?: string; operation?: string }): number;
  /** Every count, as `{ app: { operation: n } }`. */
  snapshot(): Record<string, Record<string, number>>;
  stop(): Promise<void>;
}

function appOf(req: IncomingMessage): string {
  const ua = `${req.headers['user-agent'] ?? ''} ${req.headers['x-amz-user-agent'] ?? ''}`;
  return /(?:^|\s)app\/([^\s]+)/.exec(ua)?.[1] ?? 'unknown';
}

function operationOf(req: IncomingMessage): string {
  const target = req.headers['x-amz-target'];
  const t = Array.isArray(target) ? target[0] : target;
  return t ? t.slice(t.indexOf('.') + 1) : 'unknown';
}

export async function startSsmProxy(target: string): Promise<SsmProxy> {
  const upstream = new URL(target);
  const counts = new Map<string, Map<string, number>>();
  const server: Server = createServer((req, res) => {
    const app = appOf(req);
    const operation = operationOf(req);
    const perApp = counts.get(app) ?? new Map<string, number>();
    perApp.set(operation, (perApp.get(operation) ?? 0) + 1);
    counts.set(app, perApp);
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.rawHeaders);
        up.pipe(res);
      },
    );
    forward.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(`local Parameter Store unreachable: ${err.message}`);
    });
    req.pipe(forward);
  });
  const port = await listen(server, 0);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls(filter = {}) {
      let n = 0;
      for (const [app, ops] of counts) {
        if (filter.app !== undefined && filter.app !== app) continue;
        for (const [op, c] of ops) if (filter.operation === undefined || filter.operation === op) n += c;
      }
      return n;
    },
    snapshot() {
      return Object.fromEntries([...counts].map(([app, ops]) => [app, Object.fromEntries(ops)]));
    },
    stop: () => close(server),
  };
}
