/**
 * An HTTP proxy on 127.0.0.1 that forwards AWS JSON requests to a target
 * (moto) or, on demand, answers them with a fault: throttling and other error
 * responses, 5xx, a response that never comes, a reset connection, a body cut
 * short or not JSON at all, or refused connections (the listener closed).
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  /** An AWS JSON error response, as SSM sends it (`__type` names the error). */
  | { kind: 'error'; status: number; type: string; message?: string }
  /** A non-AWS error page, as a load balancer in the way would send it. */
  | { kind: 'html'; status: number }
  /** Read the request, then never answer (the socket stays open until the client gives up). */
  | { kind: 'hang' }
  /** Destroy the connection as soon as the request arrives. */
  | { kind: 'reset' }
  /** The real response with only half its body; `declareFullLength` keeps the original Content-Length and drops the connection. */
  | { kind: 'truncate'; declareFullLength: boolean }
  /** A 200 with this body instead of the real one. */
  | { kind: 'body'; body: string; contentType?: string }
  /** Real responses, each delayed. */
  | { kind: 'delay'; ms: number };

export interface FaultProxyStats {
  requests: number;
  forwarded: number;
  faulted: number;
}

export class FaultProxy {
  readonly stats: FaultProxyStats = { requests: 0, forwarded: 0, faulted: 0 };
  private fault: Fault | undefined;
  /** How many more requests get the fault; Infinity = until healed. */
  private remaining = 0;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private server: Server | undefined;
  private port = 0;

  private constructor(private readonly target: URL) {}

  static async start(target: string): Promise<FaultProxy> {
    const proxy = new FaultProxy(new URL(target));
    await proxy.listen(0);
    return proxy;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Faults the next `times` requests (default: every request until {@link heal}). */
  inject(fault: Fault, times = Infinity): void {
    this.fault = fault;
    this.remaining = times;
  }

  /** Forwards every request again; reopens the listener if {@link refuseConnections} closed it. */
  async heal(): Promise<void> {
    this.fault = undefined;
    this.remaining = 0;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (!this.server) await this.listen(this.port);
  }

  /** Closes the listener and every open connection: new connections are refused (ECONNREFUSED). */
  async refuseConnections(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async stop(): Promise<void> {
    await this.refuseConnections();
  }

  private listen(port: number): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        this.port = (server.address() as AddressInfo).port;
        this.server = server;
        resolve();
      });
    });
  }

  private takeFault(): Fault | undefined {
    if (!this.fault || this.remaining <= 0) return undefined;
    this.remaining--;
    return this.fault;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.stats.requests++;
      const body = Buffer.concat(chunks);
      const fault = this.takeFault();
      if (!fault) {
        this.stats.forwarded++;
        this.forwardAsIs(req, body, res);
        return;
      }
      this.stats.faulted++;
      this.answerWithFault(fault, req, body, res);
    });
  }

  private answerWithFault(fault: Fault, req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    switch (fault.kind) {
      case 'error': {
        const payload = JSON.stringify({ __type: fault.type, message: fault.message ?? fault.type });
        res.writeHead(fault.status, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-ErrorType': fault.type, 'x-amzn-RequestId': 'fault-proxy' });
        res.end(payload);
        return;
      }
      case 'html':
        res.writeHead(fault.status, { 'Content-Type': 'text/html' });
        res.end(`<html><body><h1>${fault.status}</h1>upstream unavailable</body></html>`);
        return;
      case 'hang':
        return; // never answer; the socket is destroyed by the client's timeout or by stop()
      case 'reset':
        req.socket.destroy();
        return;
      case 'body':
        res.writeHead(200, { 'Content-Type': fault.contentType ?? 'application/x-amz-json-1.1', 'x-amzn-RequestId': 'fault-proxy' });
        res.end(fault.body);
        return;
      case 'truncate':
        this.forward(
          req,
          body,
          (status, headers, payload) => {
            const half = payload.subarray(0, Math.floor(payload.length / 2));
            if (fault.declareFullLength) {
              res.writeHead(status, { ...headers, 'content-length': String(payload.length) });
              res.write(half);
              // Drop the connection mid-body, as a dying upstream would.
              setImmediate(() => res.socket?.destroy());
            } else {
              res.writeHead(status, { ...headers, 'content-length': String(half.length) });
              res.end(half);
            }
          },
          res,
        );
        return;
      case 'delay': {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.forwardAsIs(req, body, res);
        }, fault.ms);
        this.timers.add(timer);
        return;
      }
    }
  }

  /** Forwards the request and relays moto's answer unchanged. */
  private forwardAsIs(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    this.forward(
      req,
      body,
      (status, headers, payload) => {
        res.writeHead(status, headers);
        res.end(payload);
      },
      res,
    );
  }

  private forward(
    req: IncomingMessage,
    body: Buffer,
    reply: (status: number, headers: Record<string, string>, payload: Buffer) => void,
    res: ServerResponse,
  ): void {
    const headers = { ...req.headers, host: this.target.host };
    const upstream = httpRequest({ host: this.target.hostname, port: this.target.port, method: req.method, path: req.url, headers }, (up) => {
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(up.headers)) {
          if (v === undefined || k === 'transfer-encoding' || k === 'connection') continue;
          out[k] = Array.isArray(v) ? v.join(', ') : v;
        }
        const payload = Buffer.concat(chunks);
        out['content-length'] = String(payload.length);
        reply(up.statusCode ?? 502, out, payload);
      });
    });
    upstream.on('error', () => res.socket?.destroy());
    upstream.end(body);
  }
}
