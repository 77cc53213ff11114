import { awsTimeouts } from '../../functions/cli/aws-timeouts';
import { UsageError } from '../../functions/cli/errors';

describe('awsTimeouts: how long the CLI waits for AWS', () => {
  it('defaults to an 8 s deadline per call, retries included', () => {
    expect(awsTimeouts({})).toEqual({ deadlineMs: 8000, connectionTimeoutMs: 2000, requestTimeoutMs: 3000, logsRequestTimeoutMs: 5000 });
  });

  it('scales every timeout with CORS_POLICY_AWS_TIMEOUT_SECONDS', () => {
    expect(awsTimeouts({ CORS_POLICY_AWS_TIMEOUT_SECONDS: '60' })).toEqual({
      deadlineMs: 60_000,
      connectionTimeoutMs: 15_000,
      requestTimeoutMs: 22_500,
      logsRequestTimeoutMs: 37_500,
    });
  });

  it.each(['0', '-1', '1.5', 'ten', '601'])('refuses %j, naming the variable and the value', (raw) => {
    expect(() => awsTimeouts({ CORS_POLICY_AWS_TIMEOUT_SECONDS: raw })).toThrow(UsageError);
    expect(() => awsTimeouts({ CORS_POLICY_AWS_TIMEOUT_SECONDS: raw })).toThrow(
      `CORS_POLICY_AWS_TIMEOUT_SECONDS="${raw}" must be a whole number of seconds from 1 to 600`,
    );
  });
});
