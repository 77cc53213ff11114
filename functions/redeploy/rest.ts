/**
 * REST API (v1) side of the custom resource: Check before the OPTIONS methods are
 * added, Deploy (CreateDeployment of the existing stage) after.
 */
import { APIGatewayClient, CreateDeploymentCommand, GetResourcesCommand, GetStageCommand, type Resource as RestResource } from '@aws-sdk/client-api-gateway';
import { listRestResources, methodsOf, restShadowing } from '../aws/api-gateway';
import { DeployError, isNotFound, summarize, type Data, type Properties } from './properties';

let client: APIGatewayClient | undefined;
// Created on first use: Delete and bad properties never load credentials. Six
// attempts ride out API Gateway's low control-plane rate limits.
const rest = (): APIGatewayClient => (client ??= new APIGatewayClient({ maxAttempts: 6 }));

async function requireStage(p: Properties): Promise<void> {
  try {
    await rest().send(new GetStageCommand({ restApiId: p.ApiId, stageName: p.StageName }));
  } catch (err) {
    if (isNotFound(err)) {
      throw new DeployError(
        `REST API ${p.ApiId} or its stage "${p.StageName}" was not found in this account and region (${(err as Error).message}). ` +
          'Check ApiId and StageName (for an HTTP API set ApiType=HTTP). The stage must already exist: this stack never creates stages.',
      );
    }
    throw err;
  }
}

/**
 * @param newInstall - true when the OPTIONS methods are about to be created (first
 *   install, or the stack moved to another API): only then do existing ones conflict.
 */
export async function checkRest(p: Properties, newInstall: boolean): Promise<Data> {
  await requireStage(p);
  const resources = await listRestResources(p.ApiId, (input) => rest().send(new GetResourcesCommand(input)));
  const root = resources.find((r) => r.path === '/');
  if (!root || root.id !== p.RestRootResourceId) {
    throw new DeployError(
      `RestRootResourceId "${p.RestRootResourceId}" is not the root resource of REST API ${p.ApiId}` +
        (root?.id ? `; its "/" resource has id "${root.id}".` : '.'),
    );
  }
  const existingProxy = resources.find((r) => r.path === '/{proxy+}');
  let proxy: RestResource | undefined;
  if (p.ExistingProxyResourceId) {
    proxy = resources.find((r) => r.id === p.ExistingProxyResourceId);
    if (!proxy) throw new DeployError(`ExistingProxyResourceId "${p.ExistingProxyResourceId}" is not a resource of REST API ${p.ApiId}.`);
    if (proxy.path !== '/{proxy+}') {
      throw new DeployError(
        `ExistingProxyResourceId "${p.ExistingProxyResourceId}" is the resource "${proxy.path}", not "/{proxy+}" directly under the root` +
          (existingProxy?.id ? ` (that one has id "${existingProxy.id}").` : '; leave ExistingProxyResourceId empty to create it.'),
      );
    }
  } else if (newInstall && existingProxy) {
    throw new DeployError(
      `REST API ${p.ApiId} already has a "/{proxy+}" resource (id "${existingProxy.id}") and API Gateway refuses a second one. ` +
        `Deploy again with ExistingProxyResourceId=${existingProxy.id}.`,
    );
  }
  if (newInstall) {
    for (const r of [root, proxy]) {
      if (r && methodsOf(r).includes('OPTIONS')) {
        throw new DeployError(
          `Resource "${r.path}" (id "${r.id}") of REST API ${p.ApiId} already has an OPTIONS method (for example from the console's ` +
            '"Enable CORS" or another stack). Remove that method first: this stack adds its own OPTIONS method there.',
        );
      }
    }
  }
  return { ShadowingRoutes: summarize(restShadowing(resources)) };
}

export async function deployRest(p: Properties, description: string): Promise<Data> {
  // CreateDeployment with a stageName that does not exist would CREATE that stage,
  // which this stack would then silently own: refuse instead.
  await requireStage(p);
  const out = await rest().send(new CreateDeploymentCommand({ restApiId: p.ApiId, stageName: p.StageName, description }));
  return { DeploymentId: out.id ?? '' };
}
