// Seeding policies into a moto server with the real SDK, for integration tests.
import { DeleteParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { motoEnv } from '../../scripts/lib/moto';

/** The global moto server started by test/support/global-setup.ts. */
export function globalMotoEndpoint(): string {
  const endpoint = process.env.MOTO_ENDPOINT;
  if (!endpoint) throw new Error('MOTO_ENDPOINT is not set: run integration tests through jest (the integration project starts moto)');
  return endpoint;
}

/** Points this process's SDK clients at `endpoint` with dummy credentials. */
export function useMoto(endpoint: string): void {
  Object.assign(process.env, motoEnv(endpoint));
}

/** A client for seeding, independent of the product's own client settings. */
export function seedingClient(endpoint: string): SSMClient {
  return new SSMClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
}

/** Writes each `{name: policy}` as a parameter (String unless `type` says otherwise), overwriting. */
export async function putPolicies(
  client: SSMClient,
  policies: Record<string, unknown>,
  type: 'String' | 'SecureString' | 'StringList' = 'String',
): Promise<void> {
  for (const [Name, doc] of Object.entries(policies)) {
    await client.send(new PutParameterCommand({ Name, Value: typeof doc === 'string' ? doc : JSON.stringify(doc), Type: type, Overwrite: true }));
  }
}

export async function deleteParameter(client: SSMClient, name: string): Promise<void> {
  await client.send(new DeleteParameterCommand({ Name: name }));
}
