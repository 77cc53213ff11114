'use strict';
// One cold start: load a handler module, answer one event, print one JSON line, exit.
// The same program runs every variant, so process start-up and event reading cost the same.
// argv: <handler module> <event json file>
// An ES module (.mjs) is loaded with import(), as Lambda's runtime loads one, and its
// top-level await (the init phase) counts in initMs. After the answer line, a second
// call measures a warm invocation of the same instance (secondCallMs, in the JSON line).
const { readFileSync } = require('node:fs');
const { pathToFileURL } = require('node:url');
const start = performance.now();
const [, , file = '', eventFile = ''] = process.argv;
const load = file.endsWith('.mjs') ? import(pathToFileURL(file).href) : Promise.resolve(require(file));
load
  .then(async (/** @type {{ handler: (event: unknown, context: unknown) => Promise<{ statusCode?: number } | undefined> }} */ mod) => {
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
  })
  .catch((/** @type {Error | undefined} */ err) => {
    process.stderr.write(`${err?.stack}\n`);
    process.exit(1);
  });
