'use strict';
// The part both cold-start harnesses share, after the handler is loaded: answer
// the event, print the answer line (the parent stops its clock at the first
// line), call again for a warm invocation of the same instance, print, exit.
const { readFileSync } = require('node:fs');

/**
 * @param {{ handler: (event: unknown, context: unknown) => Promise<{ statusCode?: number } | undefined> }} mod
 * @param {string} eventFile
 * @param {number} start  when the harness started loading the handler (performance.now())
 * @param {number} loaded  when the handler was loaded, its init included
 */
module.exports = async function answerTwice(mod, eventFile, start, loaded) {
  const event = JSON.parse(readFileSync(eventFile, 'utf8'));
  const result = await mod.handler(event, { awsRequestId: 'cold-start-bench' });
  const answered = performance.now();
  process.stdout.write(`${JSON.stringify({ statusCode: result?.statusCode, initMs: loaded - start, firstCallMs: answered - loaded })}\n`);
  const before = performance.now();
  await mod.handler(event, { awsRequestId: 'cold-start-bench-2' });
  process.stdout.write(`${JSON.stringify({ secondCallMs: performance.now() - before })}\n`);
  process.exit(0);
};
