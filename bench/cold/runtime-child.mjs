// One cold start the way Lambda's Node.js runtime starts a function, then the
// same JSON lines as child.cjs. What the runtime has done before it loads the
// handler, after AWS's runtime interface client
// (github.com/aws/aws-lambda-nodejs-runtime-interface-client):
// - its bootstrap is an ES module (src/index.mjs), so Node's ES module loader
//   is running before any handler loads;
// - its Runtime API client loads node:http and creates a keep-alive agent
//   (src/client/rapid-client.ts; src/RAPIDClient.js in older releases);
// - it loads every handler with import(), whatever the extension
//   (src/function/module-loader.ts).
// It then talks to the Runtime API through a native addon, which this harness
// leaves out: that costs every variant the same and touches no JavaScript
// HTTP code, so leaving it out can only raise the ratios, never lower them.
// argv: <handler module> <event json file>
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const start = performance.now();
const http = createRequire(import.meta.url)('node:http');
new http.Agent({ keepAlive: true, maxSockets: 1 });
const [, , file = '', eventFile = ''] = process.argv;
try {
  /** @type {{ handler: (event: unknown, context: unknown) => Promise<{ statusCode?: number } | undefined> }} */
  const mod = await import(pathToFileURL(file).href);
  const loaded = performance.now();
  const event = JSON.parse(readFileSync(eventFile, 'utf8'));
  const result = await mod.handler(event, { awsRequestId: 'cold-start-bench' });
  const answered = performance.now();
  // The answer line first: the parent stops its clock at the first line.
  process.stdout.write(`${JSON.stringify({ statusCode: result?.statusCode, initMs: loaded - start, firstCallMs: answered - loaded })}\n`);
  const before = performance.now();
  await mod.handler(event, { awsRequestId: 'cold-start-bench-2' });
  process.stdout.write(`${JSON.stringify({ secondCallMs: performance.now() - before })}\n`);
  process.exit(0);
} catch (err) {
  process.stderr.write(`${/** @type {Error | undefined} */ (err)?.stack}\n`);
  process.exit(1);
}
