'use strict';
// The Node built-ins the shipped bundle loads on a cold start (its
// require("node:...") calls, without node:async_hooks, which only Lambda
// Managed Instances reach), and nothing else: their share of the cold start.
exports.handler = async () => {
  for (const name of ['node:crypto', 'node:fs', 'node:fs/promises', 'node:http', 'node:https', 'node:os', 'node:path', 'node:stream']) require(name);
  return { statusCode: 200, body: '' };
};
