// Failure modes through the built binary: AWS errors are one line and exit 2,
// usage errors name the flag, every subcommand has --help.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '../../scripts/lib/moto';
import { join } from 'node:path';
import { POLICIES, assertBuilt, cliEnv, motoEndpoint, releaseBuilt, removeDir, runCli, tempDir, writeFiles } from './support/cli';

// Each case spawns the built CLI one or more times: generous for a loaded 2-core machine.
jest.setTimeout(60_000);

let home: string;
let policies: string;
let throttler: Server;
let throttled = 0;

beforeAll(async () => {
  assertBuilt();
  home = await tempDir('errors-home');
  policies = await tempDir('errors', { 'public.json': POLICIES.public });
  // Answers every SSM call the way Parameter Store does when it throttles.
  throttler = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      throttled++;
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-ErrorType': 'ThrottlingException' });
      res.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
    });
  });
  await new Promise<void>((resolve) => throttler.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => throttler?.close(resolve));
  await Promise.all([home, policies].map(removeDir));
  await releaseBuilt();
});

function throttleEndpoint(): string {
  return `http://127.0.0.1:${(throttler.address() as AddressInfo).port}`;
}

describe('AWS errors', () => {
  it.each([
    ['push', () => ['push', '--path', '/test/cli-errors/a', '--dir', policies]],
    ['explain', () => ['explain', '--path', '/test/cli-errors/a', '--url-path', '/x', '--origin', 'https://a.example.com']],
  ])('a throttled endpoint gives one line on stderr and exit 2 (%s)', async (_name, args) => {
    const calls = throttled;
    const r = await runCli(args(), { env: cliEnv(throttleEndpoint(), home) });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^cors-policy \w+: error: GetParametersByPath \/test\/cli-errors\/a failed: ThrottlingException: Rate exceeded .*throttling/);
    // The SDK retried before giving up.
    expect(throttled - calls).toBe(3);
  });

  it('an unreachable endpoint (a closed port) gives one line naming the endpoint and exit 2', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const r = await runCli(['diff', '--path', '/test/cli-errors/a', '--dir', policies], { env: cliEnv(endpoint, home) });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^cors-policy diff: error: GetParametersByPath /test/cli-errors/a failed: ECONNREFUSED: .*\\(endpoint: ${endpoint}\\)`)),
    ]);
  });

  it('a malformed listing (an empty 200 body) fails pull --prune with one line and deletes no file', async () => {
    const empty = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => empty.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(empty.address() as AddressInfo).port}`;
      const r = await runCli(['pull', '--path', '/test/cli-errors/a', '--dir', policies, '--prune'], { env: cliEnv(endpoint, home) });
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(
          /^cors-policy pull: error: malformed GetParametersByPath response for \/test\/cli-errors\/a: no Parameters list; nothing was changed/,
        ),
      ]);
      const { existsSync } = await import('node:fs');
      expect(existsSync(join(policies, 'public.json'))).toBe(true);
    } finally {
      await new Promise((resolve) => empty.close(resolve));
    }
  });

  it('--json puts the error in a JSON document on stdout as well', async () => {
    const r = await runCli(['pull', '--path', '/test/cli-errors/a', '--dir', policies, '--json'], { env: cliEnv(throttleEndpoint(), home) });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      command: 'pull',
      ok: false,
      error: { code: 'ThrottlingException', message: expect.stringContaining('Rate exceeded') },
    });
  });

  it('--debug adds the stack trace', async () => {
    const r = await runCli(['diff', '--path', '/test/cli-errors/a', '--dir', policies, '--debug'], { env: cliEnv(throttleEndpoint(), home) });
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n').length).toBeGreaterThan(3);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('--profile takes credentials and region from the named profile', async () => {
    await writeFiles(home, {
      'aws/config': '[profile demo]\nregion = us-east-1\n',
      'aws/credentials': '[demo]\naws_access_key_id = testing\naws_secret_access_key = testing\n',
    });
    const env = cliEnv(motoEndpoint(), home, { AWS_CONFIG_FILE: join(home, 'aws/config'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'aws/credentials') });
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_DEFAULT_REGION']) delete env[name];
    const args = ['pull', '--path', '/test/cli-errors/profile', '--dir', join(home, 'pulled'), '--dry-run'];
    const withProfile = await runCli([...args, '--profile', 'demo'], { env });
    expect(withProfile.stderr).toBe('');
    expect(withProfile.code).toBe(0);
    const without = await runCli(args, { env });
    expect(without.code).toBe(2);
    expect(without.stderr).toContain('RegionMissing');
  });

  it('missing credentials give one line with what to do', async () => {
    const env = cliEnv(motoEndpoint(), home);
    delete env.AWS_ACCESS_KEY_ID;
    delete env.AWS_SECRET_ACCESS_KEY;
    delete env.AWS_SESSION_TOKEN;
    const r = await runCli(['diff', '--path', '/test/cli-errors/a', '--dir', policies], { env });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringContaining('CredentialsProviderError')]);
  });
});

describe('usage', () => {
  const env = (): Record<string, string> => cliEnv(undefined, home);

  it.each(['validate', 'diff', 'push', 'pull', 'explain'])('%s --help describes every flag and exits 0', async (command) => {
    const r = await runCli([command, '--help'], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^usage: cors-policy ${command}`));
    for (const flag of ['--json', '--debug', '--help']) expect(r.stdout).toContain(flag);
  });

  it('an unknown flag is an error that names it, exit 2', async () => {
    const r = await runCli(['push', '--path', '/cors/a', '--prnue'], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('cors-policy push: error: unknown option --prnue for "push" (see: cors-policy push --help)\n');
  });

  it('a flag without its value, an unknown command and a missing --path are errors, exit 2', async () => {
    expect((await runCli(['diff', '--path'], { env: env() })).stderr).toBe('cors-policy diff: error: option --path needs a value: --path PATH\n');
    expect((await runCli(['sync'], { env: env() })).stderr).toBe(
      'cors-policy: error: unknown command "sync"; commands: validate, diff, push, pull, explain, verify, denials, discover, import, snapshot (see: cors-policy --help)\n',
    );
    const noPath = await runCli(['pull'], { env: env() });
    expect(noPath.code).toBe(2);
    expect(noPath.stderr).toContain('--path is required');
  });
});
