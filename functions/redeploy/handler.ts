/**
 * CloudFormation custom resource for template.yaml. It lets the stack add OPTIONS
 * routes to an API Gateway API that another stack owns without ever owning (or
 * deleting) that API's stages.
 *
 * Action "Check" (runs before any route is added), rest.ts / http.ts:
 *   REST: the stage exists, RestRootResourceId is "/", ExistingProxyResourceId (if
 *   given) is "/{proxy+}", no second "/{proxy+}" would be created, and neither
 *   resource already has an OPTIONS method.
 *   HTTP: the API is an HTTP API without CorsConfiguration, the stage exists, and the
 *   OPTIONS routes do not exist yet.
 *   Both report existing OPTIONS/ANY methods or routes on more specific paths
 *   (they answer preflights instead of this product) as the ShadowingRoutes attribute.
 * Action "Deploy" (runs after the routes were added or changed):
 *   REST: CreateDeployment for the existing stage (never creates a stage).
 *   HTTP: fails when a CorsConfiguration appeared; a stage without AutoDeploy is
 *   deployed, one with AutoDeploy has already picked the routes up.
 * Delete never touches the API: see docs/deploy.md ("Rollback and removal").
 *
 * The response protocol (one answer per invocation, also on failure and before the
 * timeout) is in response.ts; the property checks in properties.ts.
 */
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { createLogger } from '../aws/logger';
import { checkHttp, deployHttp } from './http';
import { parseProperties, physicalIdFor, type Data, type Properties } from './properties';
import { SAFETY_MARGIN_MS, reasonFor, sendResponse, withDeadline } from './response';
import { checkRest, deployRest } from './rest';

// What the tests of the whole custom resource use.
export { summarize } from './properties';
export { SAFETY_MARGIN_MS, type ResponseBody } from './response';

const log = createLogger({ service: 'apigw-cors-redeploy' });

function stackNameOf(stackId: string): string {
  return /:stack\/([^/]+)\//.exec(stackId)?.[1] ?? stackId;
}

/** Does the work of one Create or Update; throws on failure. */
export async function run(event: CloudFormationCustomResourceEvent, p: Properties): Promise<Data> {
  if (p.Action === 'Check') {
    // Conflicts with existing OPTIONS methods/routes matter only when the routes are
    // about to be created: on a first install or when the stack moves to another API.
    const old = event.RequestType === 'Update' ? (event.OldResourceProperties as Record<string, unknown>) : undefined;
    const newInstall = event.RequestType === 'Create' || old?.ApiId !== p.ApiId || old?.ApiType !== p.ApiType;
    return p.ApiType === 'REST' ? checkRest(p, newInstall) : checkHttp(p, newInstall);
  }
  const description = `apigw-cors-preflight stack ${stackNameOf(event.StackId)}: OPTIONS routes (${event.RequestType})`;
  return p.ApiType === 'REST' ? deployRest(p, description) : deployHttp(p, description);
}

export async function handler(event: CloudFormationCustomResourceEvent, context: Context): Promise<void> {
  const base = { StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId, NoEcho: false };
  const previousId = event.RequestType === 'Create' ? undefined : event.PhysicalResourceId;
  log.info('request', { requestType: event.RequestType, logicalResourceId: event.LogicalResourceId, properties: event.ResourceProperties });

  if (event.RequestType === 'Delete') {
    // Never touch the API on delete: it and its stages belong to someone else. The
    // stage keeps serving its current deployment until the owner deploys again.
    await sendResponse(event.ResponseURL, { ...base, Status: 'SUCCESS', PhysicalResourceId: previousId ?? `${event.LogicalResourceId}-deleted` }, log);
    return;
  }

  let physicalId = previousId ?? `${event.LogicalResourceId}-${event.RequestId}`;
  try {
    const props = parseProperties(event.ResourceProperties as Record<string, unknown>);
    if (event.RequestType === 'Create') physicalId = physicalIdFor(props);
    const budget = Math.max(1_000, context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS);
    const data = await withDeadline(run(event, props), budget);
    log.info('done', { data });
    await sendResponse(event.ResponseURL, { ...base, Status: 'SUCCESS', PhysicalResourceId: physicalIdFor(props), Data: data }, log);
  } catch (err) {
    log.error('failed', { error: err instanceof Error ? { name: err.name, message: err.message } : String(err) });
    await sendResponse(event.ResponseURL, { ...base, Status: 'FAILED', Reason: reasonFor(err, context), PhysicalResourceId: physicalId }, log);
  }
}
