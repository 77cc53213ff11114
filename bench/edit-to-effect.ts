// Edit-to-effect on the local stack: how long from a policy edit in Parameter Store
// (PutParameter through the local Parameter Store, which emits the change event) until
// the preflight function's answer changes. Snapshot mode (the stack's default: change
// event -> compiler -> snapshot in S3 -> the instance's next conditional GET) and direct
// mode (the instance's next listing). Both are bounded by the instances' TTL; snapshot
// mode adds one compile. Edits start at a random point of the TTL, so the figures sample
// the whole range.
//
//   npx tsx bench/edit-to-effect.ts [--rounds N] [--ttl S]      (needs npm run build)
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { parseArgs } from 'node:util';
import { startMoto } from '../scripts/lib/moto';
import { runMain } from './lib/main';
import { startLocalStack, type LocalStack, type PolicyMode } from '../scripts/local/stack';

const { values } = parseArgs({ options: { rounds: { type: 'string' }, ttl: { type: 'string' } } });
const ROUNDS = Number(values.rounds ?? 8);
const TTL = Number(values.ttl ?? 5);
const ORIGIN = 'http://127.0.0.1:3001';

interface Round {
  effectMs: number;
  compiledMs?: number;
  compileRunMs?: number;
}

async function status(stack: LocalStack): Promise<number> {
  const res = await fetch(`${stack.urls.api}/products/42`, { method: 'OPTIONS', headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'PUT' } });
  await res.arrayBuffer();
  return res.status;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measure(mode: PolicyMode, motoEndpoint: string): Promise<Round[]> {
  const stack = await startLocalStack({
    mode,
    motoEndpoint,
    policiesDir: null,
    policyPath: `/bench/edit-to-effect/${mode}`,
    ttlSeconds: TTL,
    scheduleSeconds: 0,
    logLevel: 'WARN',
  });
  const ssm = new SSMClient({
    endpoint: stack.env.AWS_ENDPOINT_URL_SSM,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  const put = (origins: string[]) =>
    ssm.send(
      new PutParameterCommand({
        Name: `${stack.policyPath}/products`,
        Type: 'String',
        Overwrite: true,
        Value: JSON.stringify({ route: ['/products', '/products/{id}'], allowOrigins: origins, allowMethods: ['GET', 'PUT'] }),
      }),
    );
  const rounds: Round[] = [];
  try {
    await put(['http://localhost:*']);
    // Let both the snapshot (compile) and the instance settle on the first version.
    while ((await status(stack)) !== 403) await sleep(100);
    await sleep(TTL * 1000 + 500);
    for (let i = 0; i < ROUNDS; i++) {
      const allow = i % 2 === 0;
      const expected = allow ? 204 : 403;
      await sleep(Math.random() * TTL * 1000);
      const runsBefore = stack.snapshot?.compiler.runs.length ?? 0;
      const t0 = Date.now();
      await put(allow ? ['http://localhost:*', 'http://127.0.0.1:*'] : ['http://localhost:*']);
      let seen = await status(stack);
      while (seen !== expected) {
        if (Date.now() - t0 > (TTL + 30) * 1000) throw new Error(`no effect after ${Date.now() - t0} ms (${mode})`);
        await sleep(25);
        seen = await status(stack);
      }
      const round: Round = { effectMs: Date.now() - t0 };
      const run = stack.snapshot?.compiler.runs.slice(runsBefore).find((r) => r.trigger === 'change');
      if (run) Object.assign(round, { compiledMs: run.startedAt + run.ms - t0, compileRunMs: run.ms });
      rounds.push(round);
      process.stderr.write(
        `${mode} round ${i + 1}/${ROUNDS}: ${round.effectMs} ms${run ? ` (compiled after ${round.compiledMs} ms, run ${run.ms} ms)` : ''}\n`,
      );
    }
  } finally {
    ssm.destroy();
    await stack.stop();
  }
  return rounds;
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const med = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return `${s[0]} / ${Math.round(med)} / ${s[s.length - 1]} ms`;
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const moto = await startMoto();
  try {
    const results: Array<[PolicyMode, Round[]]> = [];
    for (const mode of ['snapshot', 'direct'] as const) results.push([mode, await measure(mode, moto.endpoint)]);
    process.stdout.write(`\nEdit-to-effect on the local stack (TTL ${TTL} s, ${ROUNDS} edits each, edits at random points of the TTL; min / median / max)\n\n`);
    process.stdout.write('| mode | edit -> preflight answer changes | edit -> snapshot written | compiler run |\n| --- | --- | --- | --- |\n');
    for (const [mode, rounds] of results) {
      const compiled = rounds.filter((r) => r.compiledMs !== undefined);
      process.stdout.write(
        `| ${mode} | ${stats(rounds.map((r) => r.effectMs))} | ${compiled.length ? stats(compiled.map((r) => r.compiledMs!)) : '-'} | ${compiled.length ? stats(compiled.map((r) => r.compileRunMs!)) : '-'} |\n`,
      );
    }
  } finally {
    await moto.stop();
  }
}

runMain(main);
