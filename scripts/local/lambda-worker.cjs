// One emulated Lambda execution environment: a worker thread with its own
// process.env (as a Lambda container has its own), which loads a handler file
// on the first invocation (the init phase) and then serves invocations sent by
// scripts/local/lambda.ts. CommonJS, so that `require('apigw-cors')` resolves
// through NODE_PATH exactly as a function resolves its layer from
// /opt/nodejs/node_modules in AWS.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const Module = /** @type {typeof import('node:module') & { _initPaths(): void }} */ (require('node:module'));

// NODE_PATH is read once when a thread's module system starts; re-read it so
// the value given in this worker's env (the layer directory) takes effect.
Module._initPaths();

/** @typedef {(event: unknown, context: unknown, callback?: (err: unknown, result?: unknown) => void) => unknown} Handler */
/** @typedef {{ id: number, requestId: string, timeoutMs: number, event: unknown }} Invocation */

/** @type {Handler | undefined} */
let handler;
// Always set: this file only runs as a worker thread.
const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);

/** @returns {Handler} */
function load() {
  if (handler) return handler;
  const mod = require(workerData.handlerFile);
  const fn = mod[workerData.handlerName];
  if (typeof fn !== 'function') throw new Error(`${workerData.handlerFile} does not export a function named "${workerData.handlerName}"`);
  handler = fn;
  return fn;
}

/**
 * @param {Invocation} message
 * @param {number} deadline
 */
function contextFor(message, deadline) {
  return {
    awsRequestId: message.requestId,
    functionName: workerData.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${workerData.functionName}`,
    memoryLimitInMB: '128',
    logGroupName: `/aws/lambda/${workerData.functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {},
    fail() {},
    succeed() {},
  };
}

/**
 * @param {Handler} fn
 * @param {unknown} event
 * @param {unknown} context
 * @returns {Promise<unknown>}
 */
function callHandler(fn, event, context) {
  // Callback-style handlers (three parameters) are still supported by the runtime.
  if (fn.length >= 3) {
    return new Promise((resolve, reject) => {
      const maybe = /** @type {Promise<unknown> | undefined} */ (fn(event, context, (err, result) => (err ? reject(err) : resolve(result))));
      if (maybe && typeof maybe.then === 'function') maybe.then(resolve, reject);
    });
  }
  return Promise.resolve().then(() => fn(event, context));
}

/** @param {unknown} err */
function describeError(err) {
  if (err instanceof Error)
    return {
      errorType: err.name,
      errorMessage: err.message,
      stack: String(err.stack ?? '')
        .split('\n')
        .slice(0, 8),
    };
  return { errorType: 'Error', errorMessage: String(err) };
}

port.on('message', async (/** @type {Invocation} */ message) => {
  let coldStart = false;
  try {
    coldStart = handler === undefined;
    const fn = load();
    // The init phase is over: the invocation's own timeout starts now, as in Lambda.
    port.postMessage({ id: message.id, started: true });
    const result = await callHandler(fn, message.event, contextFor(message, Date.now() + message.timeoutMs));
    // Lambda hands API Gateway the JSON serialization of the result.
    const payload = result === undefined ? null : JSON.parse(JSON.stringify(result));
    port.postMessage({ id: message.id, ok: true, result: payload, coldStart });
  } catch (err) {
    port.postMessage({ id: message.id, ok: false, error: describeError(err), coldStart });
  }
});
