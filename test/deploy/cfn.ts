// CloudFormation's side of a custom resource, for the tests of the check/deploy
// function: the events it sends, a Lambda context, and a local HTTP server standing
// in for the pre-signed ResponseURL the function must answer exactly once.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import type { ResponseBody } from '../../functions/redeploy/handler';

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: ResponseBody;
}

export interface ResponseServer {
  readonly url: string;
  /** Responses accepted (status 200) so far. */
  readonly received: Received[];
  /** Status codes to answer with, in order (then 200). */
  readonly statusQueue: number[];
  reset(): void;
  close(): Promise<void>;
}

export async function startResponseServer(): Promise<ResponseServer> {
  const received: Received[] = [];
  const statusQueue: number[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = statusQueue.shift() ?? 200;
      if (status === 200) {
        received.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as ResponseBody,
        });
      }
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    statusQueue,
    reset() {
      received.length = 0;
      statusQueue.length = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const STACK_ID = 'arn:aws:cloudformation:us-east-1:123456789012:stack/shop-cors/0a1b2c3d-0000-1111-2222-333344445555';
export const LOG_STREAM = '2026/01/01/[$LATEST]abcdef';

export function lambdaContext(remainingMs = 60_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'redeploy',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:redeploy',
    memoryLimitInMB: '128',
    awsRequestId: 'req-1',
    logGroupName: '/aws/lambda/shop-cors-redeploy',
    logStreamName: LOG_STREAM,
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export type Props = Record<string, string | object>;

/** The event CloudFormation sends; `old` are the previous properties of an Update. */
export function cfnEvent(responseBase: string, requestType: 'Create' | 'Update' | 'Delete', props: Props, old?: Props): CloudFormationCustomResourceEvent {
  const serviceToken = 'arn:aws:lambda:us-east-1:123456789012:function:redeploy';
  const common = {
    ServiceToken: serviceToken,
    ResponseURL: `${responseBase}/cfn-response?X-Amz-Signature=abc`,
    StackId: STACK_ID,
    RequestId: `request-${requestType}`,
    LogicalResourceId: 'RestStageDeployment',
    ResourceType: 'Custom::StageDeployment',
    ResourceProperties: { ServiceToken: serviceToken, ...props },
  };
  if (requestType === 'Create') return { ...common, RequestType: 'Create' };
  if (requestType === 'Update') {
    return { ...common, RequestType: 'Update', PhysicalResourceId: 'physical-1', OldResourceProperties: { ServiceToken: serviceToken, ...(old ?? props) } };
  }
  return { ...common, RequestType: 'Delete', PhysicalResourceId: 'physical-1' };
}

/** Captures what the function logs on stdout (keeps test output readable); returns a reader. */
export function captureStdout(): () => string {
  let logged = '';
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    logged += String(chunk);
    return true;
  });
  return () => logged;
}
