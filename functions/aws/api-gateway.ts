import type { GetResourcesCommandInput, GetResourcesCommandOutput, Resource as RestResource } from '@aws-sdk/client-api-gateway';
import type { GetRoutesCommandInput, GetRoutesCommandOutput, Route as HttpRoute } from '@aws-sdk/client-apigatewayv2';

/**
 * Paging over an API's REST resources and HTTP routes, shared by the check/deploy
 * custom resource and the CLI's discover and import. `send` makes one call, so each
 * caller keeps its own client, timeouts and error reporting.
 */
export type { HttpRoute, RestResource };

/** Upper bound on pages: API Gateway allows a few hundred resources or routes per API; a token that never ends is a bug, not an API. */
export const MAX_API_PAGES = 100;

/**
 * Every item of a paged listing. `page` makes one call from the previous
 * page's token (undefined first) and returns its items and the next token.
 */
async function listPages<T>(call: string, page: (token: string | undefined) => Promise<[T[] | undefined, string | undefined]>): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    if (++pages > MAX_API_PAGES) throw new Error(`${call}: more than ${MAX_API_PAGES} pages`);
    const [more, next] = await page(token);
    items.push(...(more ?? []));
    token = next;
  } while (token);
  return items;
}

/** Every resource of a REST API, each with its methods embedded (`resourceMethods`). */
export function listRestResources(apiId: string, send: (input: GetResourcesCommandInput) => Promise<GetResourcesCommandOutput>): Promise<RestResource[]> {
  return listPages(`GetResources ${apiId}`, (position) =>
    send({ restApiId: apiId, limit: 500, embed: ['methods'], position }).then((page) => [page.items, page.position]),
  );
}

/** Every route of an HTTP API. */
export function listHttpRoutes(apiId: string, send: (input: GetRoutesCommandInput) => Promise<GetRoutesCommandOutput>): Promise<HttpRoute[]> {
  return listPages(`GetRoutes ${apiId}`, (token) => send({ ApiId: apiId, MaxResults: '500', NextToken: token }).then((page) => [page.Items, page.NextToken]));
}

/** The method names of a REST resource, e.g. `['GET', 'OPTIONS']`. */
export const methodsOf = (r: RestResource): string[] => Object.keys(r.resourceMethods ?? {});

/** The route keys the preflight stack adds to an HTTP API. */
export const OWN_HTTP_ROUTE_KEYS: readonly string[] = ['OPTIONS /{proxy+}', 'OPTIONS /'];

/**
 * REST: OPTIONS or ANY methods on paths other than `/` and `/{proxy+}` answer
 * preflights for their paths instead of the preflight function (more specific wins).
 */
export function restShadowing(resources: readonly RestResource[]): string[] {
  return resources
    .filter((r) => r.path !== '/' && r.path !== '/{proxy+}')
    .flatMap((r) =>
      methodsOf(r)
        .filter((m) => m === 'OPTIONS' || m === 'ANY')
        .map((m) => `${m} ${r.path}`),
    );
}

/** HTTP: OPTIONS or ANY routes more specific than `OPTIONS /{proxy+}` (`ANY /{proxy+}`, `ANY /` and `$default` are less specific). */
export function httpShadowing(routes: readonly HttpRoute[]): string[] {
  return routes
    .map((r) => r.RouteKey ?? '')
    .filter((key) => /^(OPTIONS|ANY) \//.test(key) && !OWN_HTTP_ROUTE_KEYS.includes(key) && key !== 'ANY /' && key !== 'ANY /{proxy+}');
}
