import type { GetParametersByPathCommandInput, GetParametersByPathCommandOutput } from '@aws-sdk/client-ssm';

/** Sends one GetParametersByPath request (retries included) and returns the page; `signal` aborts it. */
export type PageSender = (input: GetParametersByPathCommandInput, signal: AbortSignal) => Promise<GetParametersByPathCommandOutput>;

/** One parameter under the path, as Parameter Store listed it. */
export interface ListedParameter {
  readonly name: string;
  readonly value: string;
  /** `String`, `StringList` or `SecureString`. */
  readonly type: string;
  readonly version?: number;
  /** LastModifiedDate of this version in ms since the epoch, when listed. */
  readonly modified?: number;
}

/** A GetParametersByPath answer that is not one: a wrong shape, or paging that never ends. */
export class MalformedResponseError extends Error {
  override readonly name = 'MalformedResponseError';
}

/**
 * LastModifiedDate in ms since the epoch. The SDK client parses it into a
 * `Date`; the light client hands over the JSON protocol's number of seconds
 * (fractional), which must give the same key, or the history cache never hits.
 */
export function modifiedMs(value: unknown): number | undefined {
  let ms: number | undefined;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'number') ms = Math.round(value * 1000);
  else if (typeof value === 'string' && value.trim() !== '') ms = /^\d+(\.\d+)?$/.test(value) ? Math.round(Number(value) * 1000) : Date.parse(value);
  return ms !== undefined && Number.isFinite(ms) ? ms : undefined;
}

/** Upper bound on pages: 10,000 parameters (the Standard tier's regional limit) at 10 a page. */
export const MAX_PAGES = 1000;

/**
 * Every parameter under `path`, recursively, paging until there is no
 * NextToken (a page may be empty). `send` makes one call, so each caller keeps
 * its own timeouts, abort signal and error reporting.
 *
 * Only `{"Parameters": [...]}` (possibly empty), or a bare NextToken for an
 * empty page, is an answer. A body the SDK parsed into anything else (empty,
 * truncated, junk) throws {@link MalformedResponseError}: read as "no
 * parameters", it would make the preflight function deny everything and the
 * CLI's prune delete everything.
 */
export async function listParametersByPath(
  path: string,
  send: (input: GetParametersByPathCommandInput) => Promise<GetParametersByPathCommandOutput>,
): Promise<ListedParameter[]> {
  const out: ListedParameter[] = [];
  let nextToken: string | undefined;
  let pages = 0;
  do {
    if (++pages > MAX_PAGES) throw new MalformedResponseError(`GetParametersByPath ${path}: more than ${MAX_PAGES} pages`);
    const page = await send({ Path: path, Recursive: true, MaxResults: 10, WithDecryption: false, NextToken: nextToken });
    const parameters = page.Parameters ?? (typeof page.NextToken === 'string' ? [] : undefined);
    if (!Array.isArray(parameters)) throw new MalformedResponseError(`malformed GetParametersByPath response for ${path}: no Parameters list`);
    for (const p of parameters) {
      if (typeof p?.Name !== 'string' || typeof p.Value !== 'string')
        throw new MalformedResponseError(`malformed GetParametersByPath response for ${path}: a parameter without Name or Value`);
      const modified = modifiedMs(p.LastModifiedDate);
      out.push({
        name: p.Name,
        value: p.Value,
        type: p.Type ?? 'String',
        ...(p.Version !== undefined ? { version: p.Version } : {}),
        ...(modified !== undefined ? { modified } : {}),
      });
    }
    if (page.NextToken !== undefined && typeof page.NextToken !== 'string')
      throw new MalformedResponseError(`malformed GetParametersByPath response for ${path}: NextToken is not a string`);
    nextToken = page.NextToken;
  } while (nextToken);
  return out;
}
