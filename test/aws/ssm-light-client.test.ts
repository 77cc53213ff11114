/**
 * The light GetParametersByPath client against a loopback server that records
 * requests: when it is used, what it sends (checked against a Signature V4
 * computed here from the AWS documentation, not with the SDK's signer), which
 * answers it retries, and the error names it reports. The fault suites
 * (test/reliability/ssm-faults.int.test.ts, test/aws/ssm-outage.int.test.ts)
 * run it against moto behind a fault proxy.
 */
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLightPageSender, lightClientSettings, SsmServiceError } from '../../functions/aws/ssm-light-client';

const home = mkdtempSync(join(tmpdir(), 'light-home-')); // no ~/.aws/config in it
const lambdaEnv = {
  HOME: home,
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret/example',
  AWS_SESSION_TOKEN: 'token',
};

describe('lightClientSettings: the light client only where it behaves as the SDK would', () => {
  it('takes the plain Lambda environment, with the regional endpoint', () => {
    const s = lightClientSettings(lambdaEnv);
    expect(s?.endpoint.href).toBe('https://ssm.eu-west-1.amazonaws.com/');
    expect(s?.credentials).toEqual({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret/example', sessionToken: 'token' });
  });

  it('honours AWS_ENDPOINT_URL_SSM, then AWS_ENDPOINT_URL, unless told to ignore them', () => {
    expect(lightClientSettings({ ...lambdaEnv, AWS_ENDPOINT_URL: 'http://a:1', AWS_ENDPOINT_URL_SSM: 'http://b:2' })?.endpoint.host).toBe('b:2');
    expect(lightClientSettings({ ...lambdaEnv, AWS_ENDPOINT_URL: 'http://a:1' })?.endpoint.host).toBe('a:1');
    expect(lightClientSettings({ ...lambdaEnv, AWS_ENDPOINT_URL: 'http://a:1', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' })?.endpoint.host).toBe(
      'ssm.eu-west-1.amazonaws.com',
    );
  });

  const config = join(mkdtempSync(join(tmpdir(), 'light-cfg-')), 'config');
  writeFileSync(config, '[default]\nuse_fips_endpoint = true\n');
  it.each<[string, Record<string, string | undefined>]>([
    ['no keys in the environment', { AWS_ACCESS_KEY_ID: undefined }],
    ['a named profile', { AWS_PROFILE: 'dev' }],
    ['a shared config file', { AWS_CONFIG_FILE: config }],
    ['no region', { AWS_REGION: undefined }],
    ['the China partition', { AWS_REGION: 'cn-north-1' }],
    ['GovCloud', { AWS_REGION: 'us-gov-west-1' }],
    ['FIPS endpoints', { AWS_USE_FIPS_ENDPOINT: 'true' }],
    ['dual-stack endpoints', { AWS_USE_DUALSTACK_ENDPOINT: 'true' }],
    ['a retry setting', { AWS_MAX_ATTEMPTS: '5' }],
    ['the adaptive retry mode', { AWS_RETRY_MODE: 'adaptive' }],
    ['the operator asking for the SDK', { CORS_SSM_CLIENT: 'sdk' }],
  ])('leaves %s to the SDK client', (_label, change) => {
    expect(lightClientSettings({ ...lambdaEnv, ...change })).toBeUndefined();
  });
});

interface Recorded {
  headers: IncomingHttpHeaders;
  body: string;
  url: string;
}

/** A server answering each request with the next scripted answer (the last one repeats). */
async function scriptedServer(
  answers: Array<{ status: number; headers?: Record<string, string>; body: string }>,
): Promise<{ url: string; requests: Recorded[]; server: Server }> {
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      requests.push({ headers: req.headers, body, url: req.url ?? '' });
      const a = answers[Math.min(requests.length - 1, answers.length - 1)]!;
      res.writeHead(a.status, { 'content-type': 'application/x-amz-json-1.1', ...a.headers });
      res.end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

/** Signature V4 as the AWS General Reference describes it, for a POST to `/` without a query string. */
function expectedAuthorization(r: Recorded, secret: string): string {
  const auth = String(r.headers.authorization);
  const credential = /Credential=([^,]+)/.exec(auth)![1]!;
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(auth)![1]!;
  const [, date, region, service] = credential.split('/');
  const amzDate = String(r.headers['x-amz-date']);
  const canonicalHeaders = signedHeaders
    .split(';')
    .map((h) => `${h}:${String(r.headers[h]).trim()}\n`)
    .join('');
  const canonicalRequest = ['POST', '/', '', canonicalHeaders, signedHeaders, createHash('sha256').update(r.body).digest('hex')].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date!), region!), service!), 'aws4_request');
  return `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=${signedHeaders}, Signature=${createHmac('sha256', key).update(stringToSign).digest('hex')}`;
}

const timeouts = { connectionTimeoutMs: 500, requestTimeoutMs: 1000, random: () => 0.5 };
const input = { Path: '/cors/api', Recursive: true, MaxResults: 10, WithDecryption: false };

describe('createLightPageSender', () => {
  const servers: Server[] = [];
  afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));
  async function sender(answers: Parameters<typeof scriptedServer>[0]) {
    const s = await scriptedServer(answers);
    servers.push(s.server);
    const settings = lightClientSettings({ ...lambdaEnv, AWS_ENDPOINT_URL_SSM: s.url, AWS_SDK_UA_APP_ID: 'cors-preflight' })!;
    return { send: createLightPageSender(settings, timeouts), requests: s.requests };
  }

  it('sends a GetParametersByPath request signed with Signature V4 for ssm in the region, with the session token', async () => {
    const page = { Parameters: [{ Name: '/cors/api/a', Type: 'String', Value: '{}', Version: 3 }], NextToken: 't' };
    const { send, requests } = await sender([{ status: 200, body: JSON.stringify(page) }]);
    const out = await send(input, new AbortController().signal);
    expect(out).toMatchObject(page);
    const r = requests[0]!;
    expect(r.url).toBe('/');
    expect(JSON.parse(r.body)).toEqual(input);
    expect(String(r.headers['user-agent'])).toMatch(/ app\/cors-preflight$/); // AWS_SDK_UA_APP_ID, as the SDK sends it
    expect(r.headers).toMatchObject({
      'x-amz-target': 'AmazonSSM.GetParametersByPath',
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-security-token': 'token',
    });
    expect(String(r.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/ssm\/aws4_request, /);
    for (const h of ['host', 'x-amz-date', 'x-amz-security-token', 'x-amz-target', 'content-type'])
      expect(String(r.headers.authorization)).toMatch(new RegExp(`SignedHeaders=[^,]*\\b${h}\\b`));
    expect(r.headers.authorization).toBe(expectedAuthorization(r, 'secret/example'));
  });

  it('retries throttling and 5xx answers, then returns the page', async () => {
    const { send, requests } = await sender([
      {
        status: 400,
        headers: { 'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.availability/' },
        body: '{"message":"Rate exceeded"}',
      },
      { status: 503, body: '<html>busy</html>' },
      { status: 200, body: '{"Parameters":[]}' },
    ]);
    const out = await send(input, new AbortController().signal);
    expect(out.Parameters).toEqual([]);
    expect(out.$metadata.attempts).toBe(3);
    expect(requests).toHaveLength(3);
  });

  it('reports the service’s error name and message after 3 attempts', async () => {
    const { send, requests } = await sender([{ status: 400, body: '{"__type":"com.amazonaws.ssm#ThrottlingException","message":"Rate exceeded"}' }]);
    const err = await send(input, new AbortController().signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SsmServiceError);
    expect(err).toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded', $fault: 'client', $metadata: { httpStatusCode: 400, attempts: 3 } });
    expect(requests).toHaveLength(3);
  });

  it('does not retry an error that is not transient (AccessDeniedException)', async () => {
    const { send, requests } = await sender([{ status: 400, body: '{"__type":"AccessDeniedException","Message":"no"}' }]);
    await expect(send(input, new AbortController().signal)).rejects.toMatchObject({ name: 'AccessDeniedException', message: 'no' });
    expect(requests).toHaveLength(1);
  });

  it('reads an empty or null 200 body as a page without Parameters (the pager rejects it)', async () => {
    const { send } = await sender([{ status: 200, body: 'null' }]);
    expect(await send(input, new AbortController().signal)).toMatchObject({});
    expect((await send(input, new AbortController().signal)).Parameters).toBeUndefined();
  });
});
