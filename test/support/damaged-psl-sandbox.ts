// The damaged Public Suffix List fixture shared by the built preflight function's
// and the built layer's tests (issue 22): the policies both load from moto, and
// a sandbox that copies a built bundle and damages the data file next to it.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Damage } from './damaged-data-file';
import { globalMotoEndpoint, putPolicies, seedingClient } from './moto-ssm';

export const PSL_FILE = 'public-suffixes.txt';

/** The message both bundles log (once, at load) when the file is missing or not the one the build wrote. */
export const PSL_UNUSABLE_MESSAGE = 'Public Suffix List unusable; every wildcard origin is refused';

/** The log lines among `logs` saying the list is unusable. */
export const unusableListLines = (logs: ReadonlyArray<Record<string, unknown>>) => logs.filter((l) => l.message === PSL_UNUSABLE_MESSAGE);

export interface DamagedPslOptions {
  /** The built directory holding the bundle and its data file. */
  built: string;
  /** A file in `built` that must exist (the build ran). */
  entry: string;
  /** Policy path with `wild` (https://*.vercel.app), `mine` (https://*.preview.example.com) and `exact` (https://shop.example.com). */
  prefix: string;
  /** Policy path with only `exact`: no policy has a wildcard. */
  exactOnly: string;
  /** Prefix of the temporary directories. */
  tmpPrefix: string;
  /** Name of the sub-directory of the sandbox the copy goes into (a package under node_modules); default: the sandbox itself. */
  nest?: string;
}

/** A damaged copy: `sandbox` is the temporary directory, `dir` the copy of the built directory, `file` its data file. */
export interface DamagedCopy {
  sandbox: string;
  dir: string;
  file: string;
}

/**
 * Registers the suite's beforeAll (checks the build ran, keeps the good file, seeds the
 * policies) and afterAll (removes every copy), and returns the function making damaged copies.
 */
export function damagedPslSandbox(options: DamagedPslOptions): (damage: Damage[1]) => DamagedCopy {
  let good: Buffer;
  const sandboxes: string[] = [];

  beforeAll(async () => {
    expect(existsSync(join(options.built, options.entry))).toBe(true);
    good = readFileSync(join(options.built, PSL_FILE));
    const seed = seedingClient(globalMotoEndpoint());
    const { prefix, exactOnly } = options;
    try {
      await putPolicies(seed, {
        [`${prefix}/wild`]: { route: '/wild', allowOrigins: ['https://*.vercel.app'], allowMethods: ['GET'] },
        [`${prefix}/mine`]: { route: '/mine', allowOrigins: ['https://*.preview.example.com'], allowMethods: ['GET'] },
        [`${prefix}/exact`]: { route: '/exact', allowOrigins: ['https://shop.example.com'], allowMethods: ['GET'] },
        [`${exactOnly}/exact`]: { route: '/exact', allowOrigins: ['https://shop.example.com'], allowMethods: ['GET'] },
      });
    } finally {
      seed.destroy();
    }
  });

  afterAll(() => {
    for (const dir of sandboxes) rmSync(dir, { recursive: true, force: true });
  });

  return (damage) => {
    const sandbox = mkdtempSync(join(tmpdir(), options.tmpPrefix));
    sandboxes.push(sandbox);
    const dir = options.nest === undefined ? sandbox : join(sandbox, options.nest);
    cpSync(options.built, dir, { recursive: true });
    const file = join(dir, PSL_FILE);
    const bytes = damage(good);
    if (bytes === undefined) rmSync(file);
    else writeFileSync(file, bytes);
    return { sandbox, dir, file };
  };
}
