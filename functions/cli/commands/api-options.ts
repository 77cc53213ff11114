import type { OptionSpecs } from '../args';
import { UsageError } from '../errors';

/** Flags of the commands that read an API (discover, import). */
export const API_ID_OPTION = {
  'api-id': { type: 'string', value: 'ID', help: 'id of the existing REST or HTTP API (required)' },
} as const satisfies OptionSpecs;

export const API_ENDPOINT_DETAILS =
  'API Gateway endpoints: AWS_ENDPOINT_URL_API_GATEWAY (REST), AWS_ENDPOINT_URL_APIGATEWAYV2 (HTTP) or AWS_ENDPOINT_URL. Needs apigateway:GET on the API.';

export function apiIdOf(values: { readonly 'api-id'?: string }): string {
  const id = values['api-id'];
  if (!id) throw new UsageError('--api-id is required: the id of the existing API (the first label of its execute-api host name)');
  if (!/^[a-z0-9]{1,32}$/.test(id)) throw new UsageError(`--api-id "${id}" is not an API Gateway id (lower-case letters and digits)`);
  return id;
}
