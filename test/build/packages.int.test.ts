// `npm run pack` writes tarballs that install and run on their own: both are
// installed from dist/packages/ into an empty project (npm install of local
// tarballs needs no registry), then the helper is required, imported, type-
// checked, bundled into a function, and run against moto; the CLI's bin runs
// from node_modules/.bin and pushes to moto.
//
// Packed with --no-build: `npm test`'s build stage has built dist/cli, which
// other integration files run at the same time, so it is not rebuilt here;
// only the helper target, which that stage does not build, is.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { motoEnv } from '../../scripts/lib/moto';
import { httpEvent } from '../support/apigw-events';
import { globalMotoEndpoint, putPolicies, seedingClient } from '../support/moto-ssm';

const ROOT = resolve(__dirname, '../..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const PACKAGES = join(ROOT, 'dist', 'packages');
const PATH = '/test/packages';

let project: string;
let client: SSMClient;
let env: NodeJS.ProcessEnv;

/** Runs `node` in the consumer project; returns stdout, failing with stderr. */
function node(args: string[], cwd = project): string {
  const r = spawnSync(process.execPath, args, { cwd, env, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

beforeAll(async () => {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--only', 'helper'], { cwd: ROOT, stdio: 'pipe', timeout: 180_000 });
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'pack.mjs'), '--no-build'], { cwd: ROOT, stdio: 'pipe', timeout: 120_000 });
  project = await mkdtemp(join(tmpdir(), 'cors-packages-'));
  await writeFile(join(project, 'package.json'), '{ "name": "consumer", "version": "1.0.0", "private": true }\n');
  execFileSync(
    'npm',
    [
      'install',
      '--offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      join(PACKAGES, `apigw-cors-${VERSION}.tgz`),
      join(PACKAGES, `cors-policy-${VERSION}.tgz`),
    ],
    { cwd: project, stdio: 'pipe', timeout: 120_000 },
  );
  const endpoint = globalMotoEndpoint();
  client = seedingClient(endpoint);
  await putPolicies(client, {
    [`${PATH}/helper/products`]: {
      route: ['/products', '/products/{id}'],
      allowOrigins: ['https://*.preview.example.com'],
      allowMethods: ['GET', 'PUT'],
      allowCredentials: true,
    },
  });
  env = {
    PATH: process.env.PATH,
    HOME: project,
    ...motoEnv(endpoint),
    CORS_POLICY_PATH: `${PATH}/helper`,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}, 420_000);

afterAll(async () => {
  client?.destroy();
  if (project) await rm(project, { recursive: true, force: true });
});

describe('npm run pack', () => {
  it('writes one tarball per package, with the repository version', () => {
    expect(readdirSync(PACKAGES).sort()).toEqual([`apigw-cors-${VERSION}.tgz`, `cors-policy-${VERSION}.tgz`]);
  });

  it('both packages carry the MIT LICENSE, a README and the version', () => {
    for (const name of ['apigw-cors', 'cors-policy']) {
      const dir = join(project, 'node_modules', name);
      expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toContain('MIT License');
      expect(existsSync(join(dir, 'README.md'))).toBe(true);
      expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))).toMatchObject({ name, version: VERSION, license: 'MIT' });
    }
  });
});

describe('apigw-cors from its tarball', () => {
  const event = httpEvent({
    routeKey: 'GET /products/{id}',
    rawPath: '/products/42',
    pathParameters: { id: '42' },
    headers: { origin: 'https://pr-7.preview.example.com' },
  });
  // A wildcard origin: the answer needs the Public Suffix List, which must travel with the code.
  const expected = { 'Access-Control-Allow-Origin': 'https://pr-7.preview.example.com', 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' };
  const script = (load: string) => `${load}\ncorsHeaders(${JSON.stringify(event)}).then((h) => { process.stdout.write(JSON.stringify(h)); });`;

  it('require() gives withCors and corsHeaders, and corsHeaders answers from Parameter Store', () => {
    const out = node([
      '-e',
      script("const { corsHeaders, withCors } = require('apigw-cors'); if (typeof withCors !== 'function') throw new Error('no withCors');"),
    ]);
    expect(JSON.parse(out)).toEqual(expected);
  });

  it('import gives the same module instance as require', () => {
    const out = node([
      '--input-type=module',
      '-e',
      [
        "import { createRequire } from 'node:module';",
        "import def, { withCors, corsHeaders } from 'apigw-cors';",
        "const cjs = createRequire(import.meta.url)('apigw-cors');",
        'if (withCors !== cjs.withCors || corsHeaders !== cjs.corsHeaders || def !== cjs) throw new Error("two instances");',
        `corsHeaders(${JSON.stringify(event)}).then((h) => process.stdout.write(JSON.stringify(h)));`,
      ].join('\n'),
    ]);
    expect(JSON.parse(out)).toEqual(expected);
  });

  it('bundled into a function with esbuild, it still answers (nothing left behind in node_modules)', async () => {
    const fn = join(project, 'fn');
    await mkdir(fn, { recursive: true });
    await writeFile(join(fn, 'handler.mjs'), script("import { corsHeaders } from 'apigw-cors';"));
    const { build } = await import('esbuild');
    await build({
      entryPoints: [join(fn, 'handler.mjs')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile: join(project, 'out', 'handler.cjs'),
      logLevel: 'silent',
    });
    // Run from a directory without node_modules: the bundle must stand alone.
    const out = node([join(project, 'out', 'handler.cjs')], join(project, 'out'));
    expect(JSON.parse(out)).toEqual(expected);
  });

  it('its types check a TypeScript handler (with @types/aws-lambda, as the README says)', async () => {
    await mkdir(join(project, 'node_modules', '@types'), { recursive: true });
    for (const t of ['aws-lambda', 'node']) await symlink(join(ROOT, 'node_modules', '@types', t), join(project, 'node_modules', '@types', t), 'dir');
    const ok =
      'import { withCors, corsHeaders } from "apigw-cors";\nexport const handler = withCors(async () => ({ statusCode: 200, body: "ok" }));\nexport const h: Promise<Record<string, string>> = corsHeaders({} as never);\n';
    const bad = 'import { withCors } from "apigw-cors";\nexport const handler = withCors(42);\n';
    await writeFile(join(project, 'ok.ts'), ok);
    await writeFile(join(project, 'bad.ts'), bad);
    const tsc = (file: string) =>
      spawnSync(
        process.execPath,
        [
          join(ROOT, 'node_modules/typescript/bin/tsc'),
          '--ignoreConfig',
          '--noEmit',
          '--strict',
          '--module',
          'nodenext',
          '--moduleResolution',
          'nodenext',
          '--types',
          'node',
          file,
        ],
        { cwd: project, encoding: 'utf8', timeout: 120_000 },
      );
    const good = tsc('ok.ts');
    expect(good.stdout + good.stderr).toBe('');
    expect(good.status).toBe(0);
    expect(tsc('bad.ts').status).not.toBe(0);
  });
});

describe('cors-policy from its tarball', () => {
  const bin = () => join(project, 'node_modules', '.bin', 'cors-policy');

  it('is an executable bin with its source map beside it, not inline', () => {
    const file = join(project, 'node_modules', 'cors-policy', 'index.js');
    expect(statSync(file).mode & 0o111).not.toBe(0);
    expect(existsSync(`${file}.map`)).toBe(true);
    expect(readFileSync(file, 'utf8')).not.toContain('sourceMappingURL=data:');
    expect(readdirSync(join(project, 'node_modules', 'cors-policy')).sort()).toEqual(['LICENSE', 'README.md', 'index.js', 'index.js.map', 'package.json']);
  });

  it('runs from node_modules/.bin: --version, -h', () => {
    expect(execFileSync(bin(), ['--version'], { env, encoding: 'utf8' })).toBe(`${VERSION}\n`);
    expect(execFileSync(bin(), ['validate', '-h'], { env, encoding: 'utf8' })).toMatch(/^usage: cors-policy validate/);
  });

  it('validates and pushes the examples to Parameter Store on its own (no dependencies installed)', async () => {
    const examples = join(ROOT, 'examples');
    expect(execFileSync(bin(), ['validate', examples], { env, encoding: 'utf8' })).toContain('3 files checked: all valid');
    const push = execFileSync(bin(), ['push', '--path', `${PATH}/cli`, '--dir', examples], { env, encoding: 'utf8' });
    expect(push).toContain('3 added, 0 updated, 0 deleted, 0 unchanged');
    const stored = await client.send(new GetParameterCommand({ Name: `${PATH}/cli/products` }));
    expect(JSON.parse(stored.Parameter!.Value!)).toEqual(JSON.parse(readFileSync(join(examples, 'products.json'), 'utf8')));
  });
});
