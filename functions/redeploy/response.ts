/**
 * The CloudFormation custom resource response protocol: every invocation ends with
 * exactly one PUT of SUCCESS or FAILED (with a reason) to the pre-signed ResponseURL,
 * also on exceptions and before the Lambda timeout, so that a stack never waits for
 * a custom resource that will not answer.
 */
import type { Context } from 'aws-lambda';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Logger } from '../aws/logger';
import { DeployError, errorName, type Data } from './properties';

/** Time kept back from the Lambda timeout to send FAILED when the work hangs. */
export const SAFETY_MARGIN_MS = 5_000;
/** CloudFormation rejects response bodies over 4096 bytes. */
const MAX_REASON_CHARS = 1_500;

export interface ResponseBody {
  Status: 'SUCCESS' | 'FAILED';
  Reason?: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  NoEcho: boolean;
  Data?: Data;
}

export class DeadlineError extends Error {
  override name = 'DeadlineError';
}

/** `work`, or a {@link DeadlineError} after `ms`. */
export async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`did not finish within ${Math.round(ms / 1000)} s`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The Reason of a FAILED response: what went wrong and what to do, short enough for CloudFormation. */
export function reasonFor(err: unknown, context: Context): string {
  let text: string;
  if (err instanceof DeployError) text = err.message;
  else if (err instanceof DeadlineError) {
    text = `The API Gateway calls ${err.message} (throttling or a network problem). Nothing was deleted; deploy again.`;
  } else if (errorName(err) === 'AccessDeniedException' || (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode === 403) {
    text = `Access denied by API Gateway: ${(err as Error).message}. The function's role may only read and deploy API ApiId/StageName; check those parameters.`;
  } else {
    text = `${errorName(err) || 'Error'}: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (text.length > MAX_REASON_CHARS) text = `${text.slice(0, MAX_REASON_CHARS)}...`;
  return `${text} (log stream ${context.logStreamName})`;
}

function put(url: string, body: string, timeoutMs: number): Promise<number> {
  const target = new URL(url);
  const request = target.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      // The ResponseURL is a pre-signed S3 URL signed without a content type.
      { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) }, timeout: timeoutMs },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** PUTs the response to CloudFormation, retrying a few times; never throws. The URL is a credential and is never logged. */
export async function sendResponse(url: string, body: ResponseBody, log: Logger, attempts = 4): Promise<boolean> {
  const json = JSON.stringify(body);
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const status = await put(url, json, 10_000);
      if (status >= 200 && status < 300) return true;
      log.warn('CloudFormation response was not accepted', { status, attempt });
    } catch (err) {
      log.warn('could not send the CloudFormation response', { error: String(err), attempt });
    }
    if (attempt < attempts) await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
  }
  log.error('gave up sending the CloudFormation response', { status: body.Status });
  return false;
}
