'use strict';
// One cold start under a plain node program: load a handler module, answer one
// event, print one JSON line, exit (bench/cold/answer.cjs). The same program runs
// every variant, so process start-up and event reading cost the same.
// argv: <handler module> <event json file>
// An ES module (.mjs) is loaded with import(), and its top-level await (the
// init phase) counts in initMs; a CommonJS one with require.
const { pathToFileURL } = require('node:url');
const answerTwice = require('./answer.cjs');

const start = performance.now();
const [, , file = '', eventFile = ''] = process.argv;
const load = file.endsWith('.mjs') ? import(pathToFileURL(file).href) : Promise.resolve(require(file));
load
  .then((/** @type {Parameters<typeof answerTwice>[0]} */ mod) => answerTwice(mod, eventFile, start, performance.now()))
  .catch((/** @type {Error | undefined} */ err) => {
    process.stderr.write(`${err?.stack}\n`);
    process.exit(1);
  });
