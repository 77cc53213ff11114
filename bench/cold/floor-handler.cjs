'use strict';
// The physical floor of "load policies over HTTP, then answer": node:http and
// node:crypto (an HMAC stands in for request signing) and one POST of the
// GetParametersByPath request to the same endpoint, without any SDK.
exports.handler = async () => {
  const http = require('node:http');
  const crypto = require('node:crypto');
  const body = JSON.stringify({ Path: process.env.CORS_POLICY_PATH, Recursive: true, MaxResults: 10 });
  const signature = crypto
    .createHmac('sha256', process.env.AWS_SECRET_ACCESS_KEY || 'k')
    .update(body)
    .digest('hex');
  /** @type {{ Parameters?: unknown }} */
  const page = await new Promise((resolve, reject) => {
    const req = http.request(
      process.env.AWS_ENDPOINT_URL_SSM ?? 'http://127.0.0.1:1',
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'AmazonSSM.GetParametersByPath',
          authorization: `AWS4-HMAC-SHA256 Credential=${process.env.AWS_ACCESS_KEY_ID}/20260101/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=${signature}`,
        },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          data += c;
        });
        res.on('end', () => resolve(JSON.parse(data)));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  return { statusCode: Array.isArray(page.Parameters) && page.Parameters.length > 0 ? 200 : 500, body: '' };
};
