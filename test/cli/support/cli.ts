// Runs the BUILT cors-policy (dist/cli/index.js) as a child process, the way
// an operator does, and gives tests a direct SSM client on the same moto.
import { DeleteParametersCommand, GetParametersByPathCommand, PutParameterCommand, SSMClient, type Parameter } from '@aws-sdk/client-ssm';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { motoEnv } from '../../../scripts/lib/moto';

export const CLI = resolve(__dirname, '../../../dist/cli/index.js');

/**
 * The bundle each test file runs: a copy of dist/cli/index.js taken once per
 * file, because a concurrent `npm run build` in the same checkout empties dist/
 * for a moment. The bundle is self-contained, so the copy runs the same code.
 */
let snapshot: string | undefined;

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "node scripts/build.mjs --only cli" (npm test builds it first)`);
  const dir = mkdtempSync(join(tmpdir(), 'cors-cli-bin-'));
  snapshot = join(dir, 'index.js');
  copyFileSync(CLI, snapshot);
}

/** Removes the copy; call from afterAll. */
export async function releaseBuilt(): Promise<void> {
  if (snapshot) await rm(dirname(snapshot), { recursive: true, force: true });
  snapshot = undefined;
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A clean environment: no inherited AWS_PROFILE, no ~/.aws, no instance metadata lookups. */
export function cliEnv(endpoint: string | undefined, home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(home, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-aws-credentials'),
    ...(endpoint ? motoEnv(endpoint) : {}),
    ...extra,
  };
}

/**
 * Runs the CLI; resolves with its exit code and output, killing it after `timeoutMs` so a hang fails the test instead of jest.
 * @param options.timeoutMs - default 100 s, under the integration tests' 120 s limit (test/support/integration-timeout.ts); a
 *   caller passes less when the test runs the CLI more than once, so that the calls together stay under its limit
 */
export function runCli(args: readonly string[], options: { env: Record<string, string>; cwd?: string; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    if (!snapshot) throw new Error('call assertBuilt() in beforeAll first');
    const child = spawn(process.execPath, [snapshot, ...args], { env: options.env, cwd: options.cwd ?? process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 100_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

export function motoEndpoint(): string {
  const endpoint = process.env.MOTO_ENDPOINT;
  if (!endpoint) throw new Error('MOTO_ENDPOINT is not set: run through the jest "integration" project, whose global setup starts moto');
  return endpoint;
}

export function ssmClient(endpoint: string): SSMClient {
  return new SSMClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
}

/** Every parameter under `path` as name -> {value, type}. */
export async function readParameters(client: SSMClient, path: string): Promise<Record<string, { value: string; type: string }>> {
  const out: Record<string, { value: string; type: string }> = {};
  let token: string | undefined;
  do {
    const page = await client.send(new GetParametersByPathCommand({ Path: path, Recursive: true, MaxResults: 10, NextToken: token }));
    for (const p of page.Parameters ?? ([] as Parameter[])) out[p.Name as string] = { value: p.Value ?? '', type: p.Type ?? '' };
    token = page.NextToken;
  } while (token);
  return out;
}

export async function putParameters(
  client: SSMClient,
  values: Record<string, string>,
  type: 'String' | 'StringList' | 'SecureString' = 'String',
): Promise<void> {
  for (const [name, value] of Object.entries(values)) await client.send(new PutParameterCommand({ Name: name, Value: value, Type: type, Overwrite: true }));
}

export async function clearPath(client: SSMClient, path: string): Promise<void> {
  const names = Object.keys(await readParameters(client, path));
  for (let i = 0; i < names.length; i += 10) await client.send(new DeleteParametersCommand({ Names: names.slice(i, i + 10) }));
}

/** A fresh temporary directory; `files` maps relative paths to contents (objects are written as 2-space JSON). */
export async function tempDir(prefix: string, files: Record<string, string | object> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `cors-cli-${prefix}-`));
  await writeFiles(dir, files);
  return dir;
}

export async function writeFiles(dir: string, files: Record<string, string | object>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const file = join(dir, rel);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`);
  }
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** The request the explain tests ask about most: the shop's page sending a PUT to /products/42 (tests add --credentials, --headers). */
export const SHOP_PUT = ['--url-path', '/products/42', '--origin', 'https://shop.example.com', '--method', 'PUT'] as const;

/** Valid policies used across the CLI tests. */
export const POLICIES = {
  products: {
    route: ['/products', '/products/{id}'],
    allowOrigins: ['https://shop.example.com', 'http://localhost:*'],
    allowMethods: ['GET', 'POST', 'PUT', 'DELETE'],
    allowHeaders: ['content-type', 'x-request-id'],
    exposeHeaders: ['etag'],
    allowCredentials: true,
    maxAge: 600,
  },
  public: { route: '/public/{path+}', allowOrigins: ['*'], allowMethods: ['GET', 'HEAD'] },
  fallback: { route: '$default', allowOrigins: ['https://shop.example.com'], allowMethods: ['GET'] },
} as const;
