// Only what moto cannot show: moto embeds every method's integration in
// GetResources, so the GetMethod fallback for an OPTIONS method listed without
// one runs against a mocked client.
import { mockClient } from 'aws-sdk-client-mock';
import { APIGatewayClient, GetMethodCommand, GetResourcesCommand } from '@aws-sdk/client-api-gateway';
import { createApiGatewayClients, restResources } from '../../functions/cli/api-gateway';

const restMock = mockClient(APIGatewayClient);

test('an OPTIONS method listed without its integration is read with GetMethod', async () => {
  restMock
    .on(GetResourcesCommand)
    .resolves({ items: [{ id: 'r1', path: '/x', resourceMethods: { OPTIONS: { httpMethod: 'OPTIONS' }, GET: { httpMethod: 'GET' } } }] });
  restMock.on(GetMethodCommand).resolves({ httpMethod: 'OPTIONS', methodIntegration: { type: 'MOCK' } });
  const clients = createApiGatewayClients({ region: 'us-east-1' });
  const [r] = await restResources(clients, 'api');
  expect(r!.resourceMethods!.OPTIONS!.methodIntegration).toEqual({ type: 'MOCK' });
  expect(restMock.commandCalls(GetMethodCommand).map((c) => c.args[0].input)).toEqual([{ restApiId: 'api', resourceId: 'r1', httpMethod: 'OPTIONS' }]);
});
