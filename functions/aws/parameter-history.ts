import type { GetParameterHistoryCommandInput, GetParameterHistoryCommandOutput } from '@aws-sdk/client-ssm';
import type { StoredVersion } from '../core/policy-set';
import { MalformedResponseError } from './parameters-by-path';

/** Sends one GetParameterHistory request (retries included) and returns the page; `signal` aborts it. */
export type HistorySender = (input: GetParameterHistoryCommandInput, signal: AbortSignal) => Promise<GetParameterHistoryCommandOutput>;

/**
 * Parameter Store keeps at most 100 versions of a parameter (the oldest is
 * dropped when the 101st is written), and GetParameterHistory returns at most
 * 50 a page: so at most 2 calls read a whole history. A history that claims
 * more is refused rather than read without end.
 */
export const MAX_HISTORY_VERSIONS = 100;
export const HISTORY_PAGE_SIZE = 50;
/** Two full pages, with room for a few empty ones. */
const MAX_HISTORY_PAGES = 8;

/**
 * Every stored version of one parameter, paging until there is no NextToken.
 * `send` makes one GetParameterHistory call (the caller owns the client, the
 * abort signal and the counting). Resolves to `undefined` when the parameter
 * no longer exists (deleted after it was listed).
 *
 * @throws {@link MalformedResponseError} for an answer that is not a history,
 *   or one longer than {@link MAX_HISTORY_VERSIONS}
 */
export async function readParameterHistory(
  name: string,
  send: (input: GetParameterHistoryCommandInput) => Promise<GetParameterHistoryCommandOutput>,
): Promise<StoredVersion[] | undefined> {
  const out: StoredVersion[] = [];
  let nextToken: string | undefined;
  let pages = 0;
  do {
    // Empty pages that keep a NextToken must not loop for ever either.
    if (++pages > MAX_HISTORY_PAGES) throw new MalformedResponseError(`GetParameterHistory ${name}: more than ${MAX_HISTORY_PAGES} pages`);
    let page: GetParameterHistoryCommandOutput;
    try {
      page = await send({ Name: name, WithDecryption: false, MaxResults: HISTORY_PAGE_SIZE, NextToken: nextToken });
    } catch (err) {
      const e = err as { name?: unknown; code?: unknown } | undefined;
      if (e?.name === 'ParameterNotFound' || e?.code === 'ParameterNotFound') return undefined;
      throw err;
    }
    if (!Array.isArray(page.Parameters)) throw new MalformedResponseError(`malformed GetParameterHistory response for ${name}: no Parameters list`);
    for (const p of page.Parameters) {
      if (typeof p?.Value !== 'string' || typeof p.Version !== 'number')
        throw new MalformedResponseError(`malformed GetParameterHistory response for ${name}: a version without Value or Version`);
      out.push({ version: p.Version, value: p.Value, type: p.Type ?? 'String' });
    }
    if (out.length > MAX_HISTORY_VERSIONS) throw new MalformedResponseError(`GetParameterHistory ${name}: more than ${MAX_HISTORY_VERSIONS} versions`);
    if (page.NextToken !== undefined && typeof page.NextToken !== 'string')
      throw new MalformedResponseError(`malformed GetParameterHistory response for ${name}: NextToken is not a string`);
    nextToken = page.NextToken;
  } while (nextToken);
  return out;
}
