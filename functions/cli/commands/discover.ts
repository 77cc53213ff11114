import { readFile } from 'node:fs/promises';
import type { Resource as RestResource } from '@aws-sdk/client-api-gateway';
import { OWN_HTTP_ROUTE_KEYS, httpShadowing, methodsOf, restShadowing } from '../../aws/api-gateway';
import { AWS_OPTIONS, policyPath, type AwsValues } from '../args';
import { defineCommand } from '../command';
import { createApiGatewayClients, destroyClients, findApi, httpRoutes, restResources, stagesOf, type ApiGatewayClients, type FoundApi } from '../api-gateway';
import { AwsError, EXIT, FileError, UsageError } from '../errors';
import type { Discovery } from '../json';
import type { StageInfo } from '../api-gateway';
import type { Cors } from '@aws-sdk/client-apigatewayv2';
import { API_ENDPOINT_DETAILS, API_ID_OPTION, apiIdOf } from './api-options';
import { writePolicyFile } from '../policy-files';
import { SamconfigError, renderOverrides, setParameterOverrides } from '../samconfig';
import { shellQuote } from '../shell';

/** The template's ApiId pattern (template.yaml): AWS ids have 10 characters. */
const TEMPLATE_API_ID = /^[a-z0-9]{10}$/;

function routeOf(method: string, path: string | undefined): string {
  return `${method} ${path ?? '?'}`;
}

/** `aws ...` with the --region/--profile the user gave discover, every argument quoted. */
function awsCommand(words: string[], aws: AwsValues): string {
  const extra = [...(aws.region ? ['--region', aws.region] : []), ...(aws.profile ? ['--profile', aws.profile] : [])];
  return ['aws', ...words, ...extra].map(shellQuote).join(' ');
}

function deleteRestOptions(apiId: string, resourceId: string, aws: AwsValues): string {
  return awsCommand(['apigateway', 'delete-method', '--rest-api-id', apiId, '--resource-id', resourceId, '--http-method', 'OPTIONS'], aws);
}

function analyseRest(resources: RestResource[], apiId: string, aws: AwsValues, add: (to: 'blockers' | 'notes', text: string) => void) {
  const root = resources.find((r) => r.path === '/');
  const proxy = resources.find((r) => r.path === '/{proxy+}');
  const removeBlockers: string[] = [];
  for (const r of [root, proxy]) {
    if (r && methodsOf(r).includes('OPTIONS')) {
      add(
        'blockers',
        `${r.path} already has an OPTIONS method (id ${r.id}); the stack adds its own there: remove it first (cors-policy import can turn a MOCK one into a policy before)`,
      );
      if (r.id) removeBlockers.push(deleteRestOptions(apiId, r.id, aws));
    }
  }
  const mocks = resources
    .filter((r) => r.resourceMethods?.OPTIONS?.methodIntegration?.type === 'MOCK')
    .sort((a, b) => ((a.path ?? '') < (b.path ?? '') ? -1 : 1));
  const mockOptions = mocks.map((r) => r.path ?? '');
  const removeMockOptions = mocks.filter((r) => r !== root && r !== proxy && r.id).map((r) => deleteRestOptions(apiId, r.id!, aws));
  const authorizedPreflights = resources.flatMap((r) =>
    (['OPTIONS', 'ANY'] as const)
      .map((m) => [m, r.resourceMethods?.[m]] as const)
      .filter(([, method]) => method?.authorizationType && method.authorizationType !== 'NONE')
      .map(([m, method]) => ({ route: routeOf(m, r.path), authorization: method!.authorizationType! })),
  );
  return {
    rootResourceId: root?.id ?? null,
    proxyResourceId: proxy?.id ?? null,
    mockOptions,
    removeBlockers,
    removeMockOptions,
    shadowing: restShadowing(resources).sort(),
    authorizedPreflights,
  };
}

async function discoverApi(
  clients: ApiGatewayClients,
  found: FoundApi,
  wantedStage: string | undefined,
  policyPathValue: string | undefined,
  aws: AwsValues,
): Promise<Discovery> {
  const blockers: string[] = [];
  const notes: string[] = [];
  const add = (to: 'blockers' | 'notes', text: string) => (to === 'blockers' ? blockers : notes).push(text);
  const stages = await stagesOf(clients, found);
  if (wantedStage !== undefined && !stages.some((s) => s.name === wantedStage)) {
    throw new AwsError(
      `${found.type} API ${found.id} has no stage "${wantedStage}" (stages: ${stages.map((s) => s.name).join(', ') || 'none'}); the stack never creates stages`,
      'NotFound',
    );
  }
  const stage = wantedStage ?? (stages.length === 1 ? stages[0]!.name : null);
  if (stages.length === 0) add('blockers', `the API has no stage; create and deploy one first (the stack deploys an existing stage, it never creates one)`);
  else if (stage === null) add('notes', `the API has several stages (${stages.map((s) => s.name).join(', ')}); pass --stage NAME to choose the one to serve`);

  let rest: ReturnType<typeof analyseRest> | undefined;
  let corsConfiguration: Cors | null = null;
  let shadowing: string[];
  let authorizedPreflights: Discovery['authorizedPreflights'];
  const removeBlockers: string[] = [];
  if (found.type === 'REST') {
    rest = analyseRest(await restResources(clients, found.id), found.id, aws, add);
    removeBlockers.push(...rest.removeBlockers);
    shadowing = rest.shadowing;
    authorizedPreflights = rest.authorizedPreflights;
    if (rest.mockOptions.length > 0)
      add(
        'notes',
        `OPTIONS methods with MOCK integrations on ${rest.mockOptions.join(', ')}: cors-policy import --api-id ${found.id} turns them into policies`,
      );
  } else {
    corsConfiguration = found.api.CorsConfiguration ?? null;
    if (corsConfiguration) {
      add(
        'blockers',
        `the API has a CorsConfiguration: API Gateway then answers every preflight itself and drops the function's headers. Import it (cors-policy import --api-id ${found.id}), push the policies, then remove it`,
      );
      removeBlockers.push(awsCommand(['apigatewayv2', 'delete-cors-configuration', '--api-id', found.id], aws));
    }
    const routes = await httpRoutes(clients, found.id);
    for (const r of routes) {
      if (r.RouteKey && OWN_HTTP_ROUTE_KEYS.includes(r.RouteKey)) {
        add('blockers', `the route "${r.RouteKey}" exists already; the stack adds its own: remove it first`);
        if (r.RouteId) removeBlockers.push(awsCommand(['apigatewayv2', 'delete-route', '--api-id', found.id, '--route-id', r.RouteId], aws));
      }
    }
    shadowing = httpShadowing(routes).sort();
    authorizedPreflights = routes
      .filter((r) => /^(OPTIONS|ANY) \//.test(r.RouteKey ?? '') && r.AuthorizationType && r.AuthorizationType !== 'NONE')
      .map((r) => ({ route: r.RouteKey!, authorization: r.AuthorizationType! }));
    const chosen = stages.find((s) => s.name === stage);
    if (chosen && !chosen.autoDeploy) add('notes', `stage ${chosen.name} has no AutoDeploy: the stack deploys it after adding the routes`);
  }
  if (shadowing.length > 0) add('notes', `${shadowing.join(', ')} answer preflights for their paths instead of the function (more specific routes win)`);
  for (const a of authorizedPreflights)
    add(
      'notes',
      `${a.route} has an authorizer (${a.authorization}): preflights there fail before any function runs, since browsers send no credentials on a preflight`,
    );
  if (!TEMPLATE_API_ID.test(found.id))
    add('notes', `the id "${found.id}" does not have the 10 characters of an AWS API id; the template's ApiId parameter will refuse it`);

  const parameters: Record<string, string> = {
    ApiType: found.type,
    ApiId: found.id,
    RestRootResourceId: rest?.rootResourceId ?? '',
    ExistingProxyResourceId: rest?.proxyResourceId ?? '',
    StageName: stage ?? '<STAGE>',
    ...(policyPathValue ? { PolicyPath: policyPathValue } : {}),
  };
  if (!policyPathValue) add('notes', 'no --policy-path: the sam deploy line leaves PolicyPath to samconfig.toml or the template default (/cors/default)');
  // One single-quoted argument in SAM's own syntax: the values never contain a single quote.
  const samDeploy = `sam deploy --parameter-overrides '${renderOverrides(Object.entries(parameters))}'`;
  return {
    apiId: found.id,
    apiType: found.type,
    name: found.name,
    rootResourceId: rest?.rootResourceId ?? null,
    proxyResourceId: rest?.proxyResourceId ?? null,
    stages,
    stage,
    corsConfiguration,
    mockOptions: rest?.mockOptions ?? [],
    shadowing,
    authorizedPreflights,
    blockers,
    removeBlockers,
    removeMockOptions: rest?.removeMockOptions ?? [],
    notes,
    parameters,
    samDeploy,
  };
}

async function writeSamconfig(file: string, parameters: Record<string, string>): Promise<void> {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new FileError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  let updated: string;
  try {
    updated = setParameterOverrides(text, parameters);
  } catch (err) {
    if (err instanceof SamconfigError) throw new FileError(`${file}: ${err.message}`, { cause: err });
    throw err;
  }
  // Through a temporary file and a rename: an interrupted run never leaves half a samconfig.toml.
  await writePolicyFile(file, updated);
}

export const discover = defineCommand({
  name: 'discover',
  usage: 'cors-policy discover --api-id ID [--stage NAME] [--policy-path PATH] [--write-samconfig] [--json]',
  summary:
    'Reads an existing REST or HTTP API and prints what the stack needs and what stands in the way: the API type, the root and /{proxy+} resource ids, the stages (AutoDeploy for HTTP), OPTIONS or ANY methods/routes that would answer preflights instead of the function, a CorsConfiguration, MOCK OPTIONS integrations and authorizers on OPTIONS. Ends with the sam deploy line for these values.',
  options: {
    ...API_ID_OPTION,
    stage: { type: 'string', value: 'NAME', help: 'the stage to serve (default: the only stage)' },
    'policy-path': { type: 'string', value: 'PATH', help: 'the PolicyPath to put in the sam deploy line, e.g. /cors/my-api' },
    'write-samconfig': {
      type: 'boolean',
      help: 'write the values into parameter_overrides of [default.deploy.parameters] in samconfig.toml, changing nothing else',
    },
    samconfig: { type: 'string', value: 'FILE', help: 'the file --write-samconfig edits (default: ./samconfig.toml)' },
    ...AWS_OPTIONS,
  },
  details: `${API_ENDPOINT_DETAILS}\nexit codes: 0 the deploy can go ahead, 3 something blocks it (listed), 2 the API or the stage does not exist, or an AWS, file or usage error`,
  // Everything shown comes from the API's configuration.
  remoteText: true,
  async run({ values }, out) {
    const apiId = apiIdOf(values);
    const stage = values.stage;
    const path = policyPath(values['policy-path'], false);
    const write = values['write-samconfig'] === true;
    const samconfig = values.samconfig ?? 'samconfig.toml';
    const clients = createApiGatewayClients(values);
    let d: Discovery;
    try {
      d = await discoverApi(clients, await findApi(clients, apiId), stage, path, values);
    } finally {
      destroyClients(clients);
    }
    if (write && d.stage === null)
      throw new UsageError(`--write-samconfig needs one stage: pass --stage (stages: ${d.stages.map((s) => s.name).join(', ') || 'none'})`);
    if (write) await writeSamconfig(samconfig, d.parameters);

    const stageText = (s: StageInfo) => (s.autoDeploy === null ? s.name : `${s.name} (${s.autoDeploy ? 'AutoDeploy' : 'no AutoDeploy'})`);
    out.line(`${d.apiType} API ${d.apiId}${d.name ? ` "${d.name}"` : ''}`);
    if (d.apiType === 'REST') {
      out.line(`  root resource "/":     ${d.rootResourceId ?? 'none'}`);
      out.line(`  "/{proxy+}" resource:  ${d.proxyResourceId ?? 'none (the stack creates it)'}`);
    } else {
      out.line(`  CorsConfiguration:     ${d.corsConfiguration ? JSON.stringify(d.corsConfiguration) : 'none'}`);
    }
    out.line(`  stages:                ${d.stages.map(stageText).join(', ') || 'none'}`);
    if (d.apiType === 'REST') out.line(`  MOCK OPTIONS:          ${d.mockOptions.join(', ') || 'none'}`);
    out.line(`  shadowing OPTIONS/ANY: ${d.shadowing.join(', ') || 'none'}`);
    out.line(`  authorizers:           ${d.authorizedPreflights.map((a) => `${a.route} (${a.authorization})`).join(', ') || 'none on OPTIONS or ANY'}`);
    for (const n of d.notes) out.line(`note: ${n}`);
    for (const b of d.blockers) out.line(`blocks the deploy: ${b}`);
    if (d.removeBlockers.length > 0) {
      out.line('');
      out.line(
        d.apiType === 'HTTP'
          ? 'to remove what blocks the deploy, after import and push (preflights fail from then until the stack exists: run sam deploy right after):'
          : 'to remove what blocks the deploy, after import and push (live with the stage deployment the stack makes):',
      );
      for (const c of d.removeBlockers) out.line(`  ${c}`);
    }
    if (d.removeMockOptions.length > 0) {
      out.line('');
      out.line('once cors-policy verify is green, the MOCK OPTIONS methods that still answer for their paths (then deploy the stage):');
      for (const c of d.removeMockOptions) out.line(`  ${c}`);
    }
    out.line('');
    out.line(d.samDeploy);
    if (write) out.line(`wrote ${Object.keys(d.parameters).join(', ')} into ${samconfig} ([default.deploy.parameters] parameter_overrides)`);
    const ok = d.blockers.length === 0;
    out.document({ command: 'discover', ok, ...d, samconfig: write ? samconfig : null });
    return ok ? EXIT.ok : EXIT.negative;
  },
});
