// One Lambda instance of a BUILT artefact in its own Node process, for the fleet
// tests: dist/preflight's ES module entry (its init runs on import, as in Lambda)
// or an API function wrapped with the layer's withCors. The instance's clock is
// moved forward by a TTL instead of waited for (Date.now is offset before the
// bundle loads; moto does not check request times).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

const ROOT = join(__dirname, '..', '..');
export const PREFLIGHT_BUNDLE = join(ROOT, 'dist', 'preflight', 'index.mjs');
export const LAYER_PACKAGE = join(ROOT, 'dist', 'layer', 'nodejs', 'node_modules', 'apigw-cors', 'index.js');

/** Replies on fd 3 (one JSON line per command), the bundle's logs on stdout. */
const WORKER = `
const fs = require('node:fs');
const realNow = Date.now;
let offset = 0;
Date.now = () => realNow() + offset;
const loading = process.env.KIND === 'layer'
  ? Promise.resolve({ handler: require(process.env.LAYER).withCors(async () => ({ statusCode: 200, body: 'ok' })) })
  : import(require('node:url').pathToFileURL(process.env.BUNDLE).href);
const rl = require('node:readline').createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  const { handler } = await loading;
  const cmd = JSON.parse(line);
  if (cmd.advance !== undefined) offset += cmd.advance;
  const results = [];
  for (const event of cmd.invoke ?? []) results.push(await handler(event, { awsRequestId: process.env.REQUEST_ID }));
  fs.writeSync(3, JSON.stringify({ results }) + '\\n');
});
`;

export type InstanceResult = { statusCode: number; headers: Record<string, string>; body: string };

export class BundleInstance {
  readonly logs: Array<Record<string, unknown>> = [];
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly replies: AsyncIterator<string>;

  /**
   * @param kind the preflight function, or an API function on the layer.
   * @param env the instance's configuration (endpoints, CORS_POLICY_PATH...), on top of debug logging.
   * @param requestId the awsRequestId of every invocation.
   */
  constructor(kind: 'preflight' | 'layer', env: Record<string, string>, requestId: string) {
    this.child = spawn(process.execPath, ['-e', WORKER], {
      env: {
        PATH: process.env.PATH,
        KIND: kind,
        BUNDLE: PREFLIGHT_BUNDLE,
        LAYER: LAYER_PACKAGE,
        REQUEST_ID: requestId,
        CORS_DEBUG: 'true',
        LOG_LEVEL: 'DEBUG',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...env,
      },
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    }) as ChildProcessWithoutNullStreams;
    createInterface({ input: this.child.stdout }).on('line', (l) => {
      if (l.startsWith('{')) this.logs.push(JSON.parse(l));
    });
    this.replies = createInterface({ input: this.child.stdio[3] as Readable })[Symbol.asyncIterator]();
  }

  /** Moves the instance's clock forward by `advanceMs`, then answers the events in order. */
  async invoke(events: readonly unknown[], advanceMs = 0): Promise<InstanceResult[]> {
    this.child.stdin.write(`${JSON.stringify({ advance: advanceMs, invoke: events })}\n`);
    const reply = await this.replies.next();
    if (reply.done) throw new Error('the instance exited');
    return (JSON.parse(reply.value) as { results: InstanceResult[] }).results;
  }

  messages(): string[] {
    return this.logs.map((l) => String(l.message));
  }

  /** The 'policies loaded' debug lines: one per refresh, with the history reads it made. */
  refreshes(): Array<Record<string, unknown>> {
    return this.logs.filter((l) => l.message === 'policies loaded');
  }

  stop(): void {
    this.child.kill();
  }
}
