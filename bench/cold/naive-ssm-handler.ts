// What a user gets from the SDK with a default esbuild bundle: one SSMClient,
// one GetParametersByPath, default settings.
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';

const client = new SSMClient({});

export async function handler(): Promise<{ statusCode: number; body: string }> {
  const page = await client.send(new GetParametersByPathCommand({ Path: process.env.CORS_POLICY_PATH, Recursive: true, MaxResults: 10 }));
  return { statusCode: page.Parameters && page.Parameters.length > 0 ? 200 : 500, body: '' };
}
