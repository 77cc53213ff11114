// Starts moto server (a local, wire-compatible SSM Parameter Store) on a free
// loopback port, installing it with pip when the machine lacks it.
// Used by the test suite, the local stack and the benchmarks.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';

const PYTHON = process.env.PYTHON ?? 'python3';

/** Installs `moto[server]` with pip unless `import moto.server` already works. */
export function ensureMoto(): void {
  const probe = spawnSync(PYTHON, ['-c', 'import moto.server'], { stdio: 'ignore' });
  if (probe.status === 0) return;
  process.stderr.write('moto is not installed; installing moto[server] with pip...\n');
  const install = spawnSync(PYTHON, ['-m', 'pip', 'install', '--quiet', 'moto[server]'], { stdio: 'inherit' });
  if (install.status !== 0) {
    throw new Error(`could not install moto[server] with pip (exit ${install.status}); install it by hand: ${PYTHON} -m pip install "moto[server]"`);
  }
}

/**
 * Runs moto's server and ends it when the process that started it ends,
 * however it ends (Ctrl-C, a CI timeout, SIGKILL): the server watches its
 * stdin, a pipe only the parent holds, and exits when the pipe closes.
 */
const SERVER_TIED_TO_PARENT = `
import os, sys, threading
def watch_parent():
    try:
        while sys.stdin.buffer.read(65536):
            pass
    finally:
        os._exit(0)
threading.Thread(target=watch_parent, daemon=True).start()
from moto.server import main
main(sys.argv[1:])
`;

/** Resolves to a TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function waitUntilReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto server exited early with code ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      if (res.status < 500) return;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto server did not answer on ${url} within ${timeoutMs} ms`, { cause: lastError });
}

export interface MotoServer {
  /** `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL_SSM`. */
  endpoint: string;
  port: number;
  pid: number;
  /** Stops the server (SIGTERM, then SIGKILL after 2 s). */
  stop: () => Promise<void>;
}

/** Starts a moto server on loopback; `port` defaults to a free one. */
export async function startMoto(options: { port?: number; quiet?: boolean; timeoutMs?: number } = {}): Promise<MotoServer> {
  ensureMoto();
  const port = options.port ?? (await freePort());
  const out = options.quiet === false ? 'inherit' : 'ignore';
  const child = spawn(PYTHON, ['-c', SERVER_TIED_TO_PARENT, '-H', '127.0.0.1', '-p', String(port)], { stdio: ['pipe', out, out], detached: false });
  // The pipe must not keep this process alive on its own.
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(endpoint, child, options.timeoutMs ?? 30_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const stop = (): Promise<void> =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 2000).unref();
    });
  return { endpoint, port, pid: child.pid ?? -1, stop };
}

/**
 * Environment that points the AWS SDK and CLI at a moto endpoint with dummy
 * credentials. The CLI's per-call deadline is raised: moto on a loaded machine
 * can take seconds to answer, which is not what the tests and the local stack test.
 */
export function motoEnv(endpoint: string): Record<string, string> {
  return {
    CORS_POLICY_AWS_TIMEOUT_SECONDS: '60',
    AWS_ENDPOINT_URL_SSM: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_SESSION_TOKEN: 'testing',
  };
}
