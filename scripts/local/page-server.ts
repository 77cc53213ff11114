// The demo page's server, on a second origin: serves the page (read from
// scripts/local/demo on every request, so editing it needs no restart), its
// configuration, an `explain` endpoint that runs the CLI's explain against the
// local Parameter Store, and `/blank`, an empty page the browser suite opens
// to get a document on a given origin.
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';

export interface ExplainQuery {
  origin: string;
  method: string;
  path: string;
  /** Request headers the page would send: `name`, or `content-type:value` (the one value that decides whether a preflight is needed). */
  headers: string[];
  credentials: boolean;
}

export interface ExplainResult {
  /** False when the CLI could not be run at all (not built). */
  available: boolean;
  code: number;
  text: string;
  command: string;
}

export type ExplainFn = (query: ExplainQuery) => Promise<ExplainResult>;

export interface PageServerOptions {
  config: () => Record<string, unknown>;
  explain: ExplainFn;
}

const DEMO_DIR = join(__dirname, 'demo');
const FILES: Record<string, [string, string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/index.html': ['index.html', 'text/html; charset=utf-8'],
  '/demo.js': ['demo.js', 'text/javascript; charset=utf-8'],
  '/demo.css': ['demo.css', 'text/css; charset=utf-8'],
};

const BLANK =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>blank</title></head><body><p>blank page for cross-origin tests</p></body></html>';

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Headers from repeated `headers=name[:value]` parameters. Names must be
 * tokens; only content-type keeps its value (without commas, which the CLI's
 * list syntax would split on).
 */
function requestHeaders(params: URLSearchParams): string[] {
  const out: string[] = [];
  for (const item of params.getAll('headers')) {
    const colon = item.indexOf(':');
    const name = (colon < 0 ? item : item.slice(0, colon)).trim().toLowerCase();
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) continue;
    const value =
      colon < 0
        ? ''
        : item
            .slice(colon + 1)
            .trim()
            .replace(/,/g, '');
    out.push(name === 'content-type' && value !== '' ? `${name}:${value}` : name);
  }
  return out;
}

export function createPageServer(options: PageServerOptions): Server {
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://page.invalid');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'GET only\n');
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204, { 'Cache-Control': 'max-age=3600' });
      return void res.end();
    }
    if (url.pathname === '/blank') return send(res, 200, 'text/html; charset=utf-8', BLANK);
    if (url.pathname === '/__demo/config') return send(res, 200, 'application/json', JSON.stringify(options.config()));
    if (url.pathname === '/__demo/explain') {
      const p = url.searchParams;
      const query: ExplainQuery = {
        origin: p.get('origin') ?? '',
        method: p.get('method') ?? 'GET',
        path: p.get('path') ?? '/',
        headers: requestHeaders(p),
        credentials: p.get('credentials') === 'include',
      };
      return send(res, 200, 'application/json', JSON.stringify(await options.explain(query)));
    }
    const file = FILES[url.pathname];
    if (!file) return send(res, 404, 'text/plain', 'not found\n');
    return send(res, 200, file[1], await readFile(join(DEMO_DIR, file[0]), 'utf8'));
  }
  return createServer((req, res) => {
    handle(req, res).catch((err) => send(res, 500, 'text/plain', `demo page server error: ${String(err)}\n`));
  });
}
