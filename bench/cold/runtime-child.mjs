// One cold start the way Lambda's Node.js runtime starts a function, answered
// as in child.cjs (bench/cold/answer.cjs). What the runtime has done before it loads the
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
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
/** @type {typeof import('./answer.cjs')} */
const answerTwice = require('./answer.cjs');

const http = require('node:http');
new http.Agent({ keepAlive: true, maxSockets: 1 });
// The handler's init starts here: the runtime's own set-up above is not the handler's.
const start = performance.now();
const [, , file = '', eventFile = ''] = process.argv;
try {
  const mod = await import(pathToFileURL(file).href);
  await answerTwice(mod, eventFile, start, performance.now());
} catch (err) {
  process.stderr.write(`${/** @type {Error | undefined} */ (err)?.stack}\n`);
  process.exit(1);
}
