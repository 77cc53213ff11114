'use strict';
// The Node built-ins the shipped bundle loads on a cold start against an http
// endpoint such as moto (its require("node:...") calls; node:https is loaded
// only for an https endpoint, node:fs and node:path are loaded by Node itself),
// and nothing else: their share of the cold start.
exports.handler = async () => {
  for (const name of ['node:crypto', 'node:http', 'node:os']) require(name);
  return { statusCode: 200, body: '' };
};
