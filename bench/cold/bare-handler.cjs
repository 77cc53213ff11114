'use strict';
// The baseline: a Lambda handler that does nothing.
exports.handler = async () => ({ statusCode: 200, body: '' });
