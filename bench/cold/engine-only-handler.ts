// The policy engine without any SDK: compiles the sample policies (read from
// disk instead of Parameter Store) and answers the preflight. Its cold start
// is the product's own share of the shipped bundle's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compilePolicySet, decidePreflight } from '../../functions/core';
import { corsRequestFromEvent, type ApiGatewayEvent } from '../../functions/aws/event';

export async function handler(event: ApiGatewayEvent): Promise<{ statusCode: number; body: string }> {
  const dir = join(process.env.BENCH_ROOT ?? '.', 'examples');
  const set = compilePolicySet(
    ['products', 'public', 'default'].map((name) => ({ source: name, value: readFileSync(join(dir, `${name}.json`), 'utf8'), type: 'String' })),
  );
  const decision = decidePreflight(set, corsRequestFromEvent(event));
  return { statusCode: decision.kind === 'allowed' ? 204 : 403, body: '' };
}
