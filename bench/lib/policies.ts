/**
 * Policy sets for the benchmarks, written to moto with the SDK before any
 * measurement. The first policy of every set is the sample `products` policy, so the benchmark
 * events (`/products/42`, origin https://shop.example.com) match it; the other
 * policies are distinct routes of the same shape, like a real API with many
 * resources.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ROOT } from './root';

export function samplePolicy(name: 'products' | 'public' | 'default'): string {
  return readFileSync(join(ROOT, 'examples', `${name}.json`), 'utf8');
}

/** `count` policies: products first, then `/r<i>/items/{id}` routes with their own origins. */
export function policyDocuments(count: number): Array<{ name: string; value: string }> {
  const docs = [{ name: 'products', value: samplePolicy('products') }];
  for (let i = 1; i < count; i++) {
    docs.push({
      name: `route-${String(i).padStart(4, '0')}`,
      value: JSON.stringify({
        route: [`/r${i}/items`, `/r${i}/items/{id}`],
        allowOrigins: [`https://app${i}.example.com`, `https://*.r${i}.example.net`],
        allowMethods: ['GET', 'POST', 'PUT', 'DELETE'],
        allowHeaders: ['content-type', 'authorization', 'x-request-id'],
        exposeHeaders: ['etag'],
        allowCredentials: true,
        maxAge: 600,
      }),
    });
  }
  return docs;
}

/** Writes the policies under `path` (overwriting), a few requests at a time. */
export async function seedPolicies(client: SSMClient, path: string, count: number): Promise<void> {
  const docs = policyDocuments(count);
  for (let i = 0; i < docs.length; i += 20) {
    await Promise.all(
      docs.slice(i, i + 20).map((d) => client.send(new PutParameterCommand({ Name: `${path}/${d.name}`, Value: d.value, Type: 'String', Overwrite: true }))),
    );
  }
}

/** An SDK client for seeding (not measured), pointed at moto. */
export function seedClient(endpoint: string): SSMClient {
  return new SSMClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
}
