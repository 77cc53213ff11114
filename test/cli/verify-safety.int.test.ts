// `cors-policy verify` against a stand-in server: it counts its probes before
// sending anything and refuses above --max-probes (a valid 3.2 KB policy can
// mean ~70,000 requests), and what the server answers reaches the terminal escaped.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assertBuilt, cliEnv, releaseBuilt, removeDir, runCli, tempDir } from './support/cli';

let home: string;
let server: Server;
let received = 0;
let hostile = false;
let url: string;
const dirs: string[] = [];

// 230 routes x 300 methods: valid, 3.2 KB, and 69,690 preflights (about 1.9 h at the default rate).
const HUGE = {
  route: Array.from({ length: 230 }, (_, i) => `/r${i}`),
  allowOrigins: ['https://shop.example.com'],
  allowMethods: Array.from({ length: 300 }, (_, i) => `M${i}`),
};
const SMALL = { route: '/items', allowOrigins: ['https://shop.example.com'], allowMethods: ['GET', 'PUT'] };

beforeAll(async () => {
  assertBuilt();
  home = await tempDir('verify-max-home');
  server = createServer((_req, res) => {
    received++;
    if (hostile)
      // Latin-1 C1 bytes in a header value, ESC and bidi controls in the body: whatever a server sends.
      res.writeHead(200, { 'Access-Control-Allow-Origin': 'https://x.example\u009b2J', Vary: 'Origin' }).end('{"message":"\u202eevil\u001b[2J"}');
    else res.writeHead(403, { Vary: 'Origin' }).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prod`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await Promise.all([home, ...dirs].map(removeDir));
  await releaseBuilt();
});

async function dirWith(files: Record<string, object>): Promise<string> {
  const d = await tempDir('verify-max', files);
  dirs.push(d);
  return d;
}

describe('verify --max-probes', () => {
  it('refuses a policy set that needs more probes than the default cap, naming the count, before sending anything', async () => {
    const d = await dirWith({ 'huge.json': HUGE });
    received = 0;
    const r = await runCli(['verify', '--url', url, '--dir', d], { env: cliEnv(undefined, home), timeoutMs: 90_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the policies need 69,690 requests \(230 routes\), more than --max-probes 2,000: about 1\.9 h at --rate 10/);
    expect(r.stderr).toContain('nothing was sent');
    expect(received).toBe(0);
  });

  it('honours a lower --max-probes, and sends when the count fits', async () => {
    const d = await dirWith({ 'small.json': SMALL });
    received = 0;
    // Two runs in one test: each killed in time for both to fit the 120 s limit.
    const refused = await runCli(['verify', '--url', url, '--dir', d, '--max-probes', '3'], { env: cliEnv(undefined, home), timeoutMs: 55_000 });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/the policies need 5 requests \(1 route\), more than --max-probes 3/);
    expect(received).toBe(0);

    const sent = await runCli(['verify', '--url', url, '--dir', d, '--max-probes', '5', '--rate', '100', '--json'], {
      env: cliEnv(undefined, home),
      timeoutMs: 55_000,
    });
    // The stand-in server answers 403 to everything: the allowed probes mismatch (exit 3), but all 5 were sent.
    expect(sent.code).toBe(3);
    expect(JSON.parse(sent.stdout).summary.probes).toBe(5);
    expect(received).toBeGreaterThanOrEqual(5);
  });

  it('refuses a --max-probes that is not a whole number from 1', async () => {
    const d = await dirWith({ 'small.json': SMALL });
    const r = await runCli(['verify', '--url', url, '--dir', d, '--max-probes', '0'], { env: cliEnv(undefined, home), timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--max-probes must be a whole number from 1');
  });

  it('shows what the server answered with control and bidi characters escaped', async () => {
    const d = await dirWith({ 'small.json': SMALL });
    hostile = true;
    try {
      const r = await runCli(['verify', '--url', url, '--dir', d, '--rate', '100'], { env: cliEnv(undefined, home), timeoutMs: 90_000 });
      expect(r.code).toBe(3);
      expect(r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
      expect(r.stdout).toContain('\\x9b2J');
      expect(r.stdout).toContain('\\u202eevil');
    } finally {
      hostile = false;
    }
  });
});
