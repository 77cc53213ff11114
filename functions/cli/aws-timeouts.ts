import { UsageError } from './errors';

/**
 * How long the CLI waits for AWS: every call, retries included, ends within
 * the deadline, so a hung endpoint fails in seconds, never minutes. The
 * default suits AWS; `CORS_POLICY_AWS_TIMEOUT_SECONDS` raises it for a slow
 * link or a local endpoint on a loaded machine (the test suite and the local
 * stack set it for moto). The per-attempt timeouts scale with it.
 */
export interface AwsTimeouts {
  /** One call, every retry included. Default 8 s. */
  readonly deadlineMs: number;
  /** Opening a connection. Default 2 s. */
  readonly connectionTimeoutMs: number;
  /** One attempt of a short call (Parameter Store, API Gateway). Default 3 s. */
  readonly requestTimeoutMs: number;
  /** One attempt of a log read, which scans more. Default 5 s. */
  readonly logsRequestTimeoutMs: number;
}

export const DEFAULT_AWS_TIMEOUT_SECONDS = 8;
export const AWS_TIMEOUT_VARIABLE = 'CORS_POLICY_AWS_TIMEOUT_SECONDS';

/** The timeouts for this process; a bad setting is a usage error naming the variable and its value. */
export function awsTimeouts(env: NodeJS.ProcessEnv = process.env): AwsTimeouts {
  const raw = env[AWS_TIMEOUT_VARIABLE];
  let seconds = DEFAULT_AWS_TIMEOUT_SECONDS;
  if (raw !== undefined && raw.trim() !== '') {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 600) throw new UsageError(`${AWS_TIMEOUT_VARIABLE}="${raw}" must be a whole number of seconds from 1 to 600`);
    seconds = n;
  }
  const scale = seconds / DEFAULT_AWS_TIMEOUT_SECONDS;
  return {
    deadlineMs: seconds * 1000,
    connectionTimeoutMs: Math.round(2000 * scale),
    requestTimeoutMs: Math.round(3000 * scale),
    logsRequestTimeoutMs: Math.round(5000 * scale),
  };
}
