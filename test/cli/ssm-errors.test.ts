import { ThrottlingException } from '@aws-sdk/client-ssm';
import { describeAwsError } from '../../functions/cli/ssm';

describe('describeAwsError: one line per failure, with what to do', () => {
  it('a service error keeps its code, message and HTTP status', () => {
    const err = new ThrottlingException({ message: 'Rate exceeded', Message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
    const e = describeAwsError(err, 'GetParametersByPath', '/cors/api');
    expect(e.code).toBe('ThrottlingException');
    expect(e.message).toMatch(/^GetParametersByPath \/cors\/api failed: ThrottlingException: Rate exceeded \[HTTP 400\] - Parameter Store is throttling/);
  });

  it('a refused connection, also when Node wraps it in an AggregateError', () => {
    const inner = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    for (const err of [inner, new AggregateError([inner], '')]) {
      const e = describeAwsError(err, 'PutParameter', '/cors/api/x');
      expect(e.code).toBe('ECONNREFUSED');
      expect(e.message).toContain('nothing is listening at the endpoint');
    }
  });

  it('access denied and a missing region', () => {
    const denied = Object.assign(new Error('User: arn:aws:iam::1:user/x is not authorized\nto perform: ssm:PutParameter'), { name: 'AccessDeniedException' });
    const e = describeAwsError(denied, 'PutParameter', '/cors/api/x');
    expect(e.message).not.toContain('\n');
    expect(e.message).toContain('not allowed to do this');
    expect(describeAwsError(new Error('Region is missing'), 'GetParametersByPath', '/c').code).toBe('RegionMissing');
  });

  it('an unknown error still gives one line', () => {
    const e = describeAwsError('weird', 'DeleteParameters', 'a, b');
    expect(e.message).toBe('DeleteParameters a, b failed: Error: weird');
  });
});
