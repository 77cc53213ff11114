import { stringOption, type OptionSpecs, type Parsed } from '../args';
import { createApiGatewayClients, type ApiGatewayClients } from '../api-gateway';
import { UsageError } from '../errors';

/** Flags and clients of the commands that read an API (discover, import). */
export const API_ID_OPTION: OptionSpecs = {
  'api-id': { type: 'string', value: 'ID', help: 'id of the existing REST or HTTP API (required)' },
};

export const API_ENDPOINT_DETAILS =
  'API Gateway endpoints: AWS_ENDPOINT_URL_API_GATEWAY (REST), AWS_ENDPOINT_URL_APIGATEWAYV2 (HTTP) or AWS_ENDPOINT_URL. Needs apigateway:GET on the API.';

export function apiIdOf(parsed: Parsed): string {
  const id = stringOption(parsed, 'api-id');
  if (!id) throw new UsageError('--api-id is required: the id of the existing API (the first label of its execute-api host name)');
  if (!/^[a-z0-9]{1,32}$/.test(id)) throw new UsageError(`--api-id "${id}" is not an API Gateway id (lower-case letters and digits)`);
  return id;
}

export function apiClientsOf(parsed: Parsed): ApiGatewayClients {
  const region = stringOption(parsed, 'region');
  const profile = stringOption(parsed, 'profile');
  return createApiGatewayClients({ ...(region ? { region } : {}), ...(profile ? { profile } : {}) });
}
