// The setup every CLI integration test file shares: the built CLI copied once,
// a fresh HOME, an environment pointing at moto and nothing inherited, the AWS
// clients the tests seed with, and temporary directories; all released after
// the file.
import { fileFixture } from '../../support/file-fixture';
import { apiGatewayEnv, httpClient, restClient } from '../../support/moto-apigateway';
import { assertBuilt, cliEnv, motoEndpoint, releaseBuilt, removeDir, runCli, ssmClient, tempDir, type CliResult } from './cli';

interface Destroyable {
  destroy(): void;
}

export interface SandboxOptions<C> {
  /** Point the CLI at moto (MOTO_ENDPOINT). Default true; false for commands that never reach AWS. */
  readonly moto?: boolean;
  /** More environment for the CLI, e.g. {@link apiGatewayEnv}. */
  readonly env?: (endpoint: string) => Record<string, string>;
  /** The clients the tests use on the same moto, e.g. {@link ssmClients}; destroyed after the file. */
  readonly clients?: (endpoint: string) => C;
}

export interface CliSandbox<C> {
  /** moto's endpoint ('' without moto). */
  readonly endpoint: string;
  readonly home: string;
  /** The CLI's whole environment. */
  readonly env: Record<string, string>;
  readonly clients: C;
  /** Runs the built CLI with the sandbox's environment. */
  readonly cli: (...args: string[]) => Promise<CliResult>;
  /** A fresh temporary directory holding `files` (objects as 2-space JSON), removed after the file. */
  readonly dir: (files?: Record<string, string | object>) => Promise<string>;
}

/**
 * Declares the sandbox of one test file (call it at the top level: it adds
 * the beforeAll and afterAll); its fields are there from beforeAll on, `cli`
 * and `dir` may be destructured at the top of the file.
 */
export function useCliSandbox<C extends Record<string, Destroyable> = Record<never, Destroyable>>(
  name: string,
  options: SandboxOptions<C> = {},
): CliSandbox<C> {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map(removeDir));
    await releaseBuilt();
  });
  return fileFixture(
    async () => {
      assertBuilt();
      const endpoint = options.moto === false ? '' : motoEndpoint();
      const home = await tempDir(`${name}-home`);
      dirs.push(home);
      return { endpoint, home, env: cliEnv(endpoint || undefined, home, options.env?.(endpoint)), clients: options.clients?.(endpoint) ?? ({} as C) };
    },
    ({ clients }) => {
      for (const client of Object.values(clients)) client.destroy();
    },
    (sandbox) => ({
      cli: (...args: string[]) => runCli(args, { env: sandbox().env }),
      dir: async (files: Record<string, string | object> = {}) => {
        const d = await tempDir(name, files);
        dirs.push(d);
        return d;
      },
    }),
  );
}

/** A Parameter Store client on moto, to seed and read parameters. */
export const ssmClients = (endpoint: string) => ({ ssm: ssmClient(endpoint) });

/** moto's REST and HTTP API Gateway clients, for tests that build APIs. */
export const apiGatewayClients = (endpoint: string) => ({ rest: restClient(endpoint), http: httpClient(endpoint) });

/** The options of a sandbox whose CLI reads API Gateway (discover, import). */
export const API_GATEWAY_SANDBOX = { env: apiGatewayEnv, clients: apiGatewayClients };
