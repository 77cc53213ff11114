'use strict';
// One cold start: load a handler module, answer one event, print one JSON line, exit.
// The same program runs every variant, so process start-up and event reading cost the same.
// argv: <handler module> <event json file>
const { readFileSync } = require('node:fs');
const start = performance.now();
const [, , handlerModule = '', eventFile = ''] = process.argv;
const mod = require(handlerModule);
const loaded = performance.now();
const event = JSON.parse(readFileSync(eventFile, 'utf8'));
Promise.resolve(mod.handler(event, { awsRequestId: 'cold-start-bench' })).then(
  /** @param {{ statusCode?: number } | undefined} result */
  (result) => {
    const answered = performance.now();
    process.stdout.write(`${JSON.stringify({ statusCode: result && result.statusCode, requireMs: loaded - start, firstCallMs: answered - loaded })}\n`);
    process.exit(0);
  },
  /** @param {Error | undefined} err */
  (err) => {
    process.stderr.write(`${err && err.stack}\n`);
    process.exit(1);
  },
);
