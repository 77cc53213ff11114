/**
 * A loopback stand-in for S3's GetObject that checks each request's
 * Signature V4 the way S3 does: the canonical request rebuilt from what
 * arrived on the wire (the path as sent, not escaped again; the headers named
 * in SignedHeaders; the x-amz-content-sha256 value as the payload hash),
 * signed with the secret key, compared with the Authorization header. It
 * answers as S3 does: 200 with an ETag, 304 for a matching If-None-Match,
 * 404 NoSuchKey, 403 SignatureDoesNotMatch, or a fault the test injects.
 */
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FakeFault = { status: number; code: string } | 'hang' | { bigBody: number };

export interface SeenRequest {
  method: string;
  path: string;
  host: string;
  headers: IncomingMessage['headers'];
  signatureValid: boolean;
}

const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/** Checks the request's Authorization against one rebuilt from the wire. */
export function verifySignature(req: IncomingMessage, secretAccessKey: string): boolean {
  const auth = String(req.headers.authorization ?? '');
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return false;
  const [, , date, region, service, signedHeaders, signature] = m as unknown as string[];
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const [rawPath, rawQuery = ''] = (req.url ?? '/').split('?') as [string, string?];
  const query = rawQuery.split('&').filter(Boolean).sort().join('&');
  const names = signedHeaders!.split(';');
  const canonicalHeaders = names
    .map(
      (n) =>
        `${n}:${String(req.headers[n] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const payloadHash = String(req.headers['x-amz-content-sha256'] ?? createHash('sha256').update('').digest('hex'));
  const canonical = [req.method, rawPath, query, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date!), region!), service!), 'aws4_request');
  return createHmac('sha256', key).update(toSign).digest('hex') === signature;
}

export class FakeS3 {
  readonly seen: SeenRequest[] = [];
  /** Objects by "/bucket/key" (path style) or "bucket.host/key" keys: see {@link put}. */
  private readonly objects = new Map<string, { body: string; etag: string }>();
  private faults: FakeFault[] = [];
  private readonly sockets = new Set<Socket>();
  private constructor(
    private readonly server: Server,
    readonly secretAccessKey: string,
  ) {}

  static async start(secretAccessKey = 'fake-secret'): Promise<FakeS3> {
    let fake: FakeS3 | undefined;
    const server = createServer((req, res) => fake!.handle(req, res));
    fake = new FakeS3(server, secretAccessKey);
    server.on('connection', (s) => {
      fake!.sockets.add(s);
      s.on('close', () => fake!.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Stores an object under its path-style path, `/bucket/key` (the key as S3 decodes it). */
  put(bucket: string, key: string, body: string): string {
    const etag = `"${createHash('md5').update(body).digest('hex')}"`;
    this.objects.set(`/${bucket}/${key}`, { body, etag });
    return etag;
  }

  /** The next requests get these faults, in order. */
  inject(...faults: FakeFault[]): void {
    this.faults.push(...faults);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]!;
    const signatureValid = verifySignature(req, this.secretAccessKey);
    this.seen.push({ method: req.method ?? '', path, host: String(req.headers.host), headers: req.headers, signatureValid });
    const fault = this.faults.shift();
    if (fault === 'hang') return;
    const xml = (status: number, code: string) => {
      res.writeHead(status, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code} (fake)</Message></Error>`);
    };
    if (fault && 'bigBody' in fault) {
      res.writeHead(200, { 'content-type': 'application/json', etag: '"big"' });
      res.end('x'.repeat(fault.bigBody));
      return;
    }
    if (fault) {
      xml(fault.status, fault.code);
      return;
    }
    if (!signatureValid) {
      xml(403, 'SignatureDoesNotMatch');
      return;
    }
    const object = this.objects.get(decodeURIComponent(path));
    if (!object) {
      xml(404, 'NoSuchKey');
      return;
    }
    if (req.headers['if-none-match'] === object.etag) {
      res.writeHead(304, { etag: object.etag });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', etag: object.etag, 'content-length': String(Buffer.byteLength(object.body)) });
    res.end(object.body);
  }
}
