// Puts policies into the local Parameter Store. Seeding goes through the
// project's own CLI (`cors-policy push`), as a user would; single edits (the
// browser suite's "policy edited live" case) use the SDK's PutParameter, as
// `aws ssm put-parameter` would.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';

export const REPO_ROOT = join(__dirname, '..', '..');
export const CLI_BUNDLE = join(REPO_ROOT, 'dist', 'cli', 'index.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI with the given environment added (moto endpoint, dummy credentials). */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 150_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    if (!existsSync(CLI_BUNDLE)) return reject(new Error(`${CLI_BUNDLE} is missing: run npm run build`));
    const child = spawn(process.execPath, [CLI_BUNDLE, ...args], {
      env: { ...process.env, ...env, NO_COLOR: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/** `cors-policy push --dir DIR --path PATH` against the local Parameter Store; throws with the CLI's output when it fails. */
export async function pushPolicies(dir: string, policyPath: string, env: Record<string, string>): Promise<CliRun> {
  const run = await runCli(['push', '--dir', dir, '--path', policyPath], env);
  if (run.code !== 0) throw new Error(`cors-policy push --dir ${dir} --path ${policyPath} failed (exit ${run.code}):\n${run.stderr || run.stdout}`);
  return run;
}

/** The parameter name a policy file gets under `policyPath` (the file name without `.json`). */
export function parameterNameFor(policyPath: string, file: string): string {
  return `${policyPath}/${basename(file).replace(/\.json$/, '')}`;
}

/** Writes one policy parameter with the SDK, like `aws ssm put-parameter --overwrite`. */
export async function putPolicy(name: string, document: unknown, env: Record<string, string>): Promise<void> {
  const client = new SSMClient({
    endpoint: env.AWS_ENDPOINT_URL_SSM,
    region: env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? 'testing', secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? 'testing' },
  });
  try {
    const value = typeof document === 'string' ? document : JSON.stringify(document, null, 2);
    await client.send(new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true }));
  } finally {
    client.destroy();
  }
}

/** Every `*.json` file of a directory, sorted. */
export async function policyFiles(dir: string): Promise<string[]> {
  return (await readdir(dir))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}

export async function readPolicy(file: string): Promise<unknown> {
  return JSON.parse(await readFile(file, 'utf8'));
}

export interface SeedResult {
  via: 'cli' | 'sdk';
  parameters: string[];
  output: string;
}

/**
 * Seeds `policyPath` from the policy files of `dir`: through the CLI's push
 * when the CLI is built, otherwise (an unbuilt CLI) one PutParameter per file.
 */
export async function seedPolicies(dir: string, policyPath: string, env: Record<string, string>): Promise<SeedResult> {
  const files = await policyFiles(dir);
  const parameters = files.map((f) => parameterNameFor(policyPath, f));
  if (existsSync(CLI_BUNDLE)) {
    const run = await pushPolicies(dir, policyPath, env);
    return { via: 'cli', parameters, output: run.stdout };
  }
  for (const file of files) await putPolicy(parameterNameFor(policyPath, file), await readFile(file, 'utf8'), env);
  return { via: 'sdk', parameters, output: `put ${files.length} parameters with the SDK (dist/cli/index.js is not built)` };
}
