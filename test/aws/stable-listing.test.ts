// The stable-listing rule shared by the direct-mode store and the compiler,
// and the LastModifiedDate both clients hand over (the history cache key).
import type { ListedParameter } from '../../functions/aws/parameters-by-path';
import { listParametersByPath, modifiedMs } from '../../functions/aws/parameters-by-path';
import { HistoryCache, resolveInvalidParameters } from '../../functions/aws/policy-compile';
import { UnstableListingError, listStable, listingFingerprint } from '../../functions/aws/stable-listing';
import { basePolicy } from '../support/policies';

const p = (name: string, version = 1): ListedParameter => ({ name, value: `v${version}`, type: 'String', version });

/** A lister that answers each listing in turn (the last one repeats). */
function lister(...listings: ListedParameter[][]) {
  let i = 0;
  const list = jest.fn(async () => listings[Math.min(i++, listings.length - 1)]!);
  return list;
}

describe("confirm 'always' (the compiler)", () => {
  test('accepts the second of two identical listings', async () => {
    const list = lister([p('/a'), p('/b')]);
    const out = await listStable(list, { confirm: 'always' });
    expect(out.listings).toBe(2);
    expect(out.parameters.map((x) => x.name)).toEqual(['/a', '/b']);
  });

  test('a listing that skipped a name is never accepted alone: listing goes on until two agree', async () => {
    const list = lister([p('/a'), p('/c')], [p('/a'), p('/b'), p('/c')], [p('/a'), p('/b'), p('/c')]);
    const out = await listStable(list, { confirm: 'always' });
    expect(out.listings).toBe(3);
    expect(out.parameters.map((x) => x.name)).toEqual(['/a', '/b', '/c']);
  });

  test('a version that changed between listings forces another listing', async () => {
    const list = lister([p('/a', 1)], [p('/a', 2)], [p('/a', 2)]);
    const out = await listStable(list, { confirm: 'always' });
    expect(out.parameters[0]!.version).toBe(2);
    expect(out.listings).toBe(3);
  });

  test('two identical listings that list a name twice are refused', async () => {
    const list = lister([p('/a'), p('/a')], [p('/a'), p('/a')], [p('/a')], [p('/a')]);
    const out = await listStable(list, { confirm: 'always' });
    expect(out.parameters).toHaveLength(1);
  });

  test('a path that changes during every listing fails after maxListings, naming the cause', async () => {
    let n = 0;
    const list = jest.fn(async () => [p('/a', ++n)]);
    await expect(listStable(list, { confirm: 'always', maxListings: 3 })).rejects.toThrow(UnstableListingError);
    expect(list).toHaveBeenCalledTimes(3);
  });

  test('the fingerprint ignores the order of the listing, not the versions', () => {
    expect(listingFingerprint([p('/a'), p('/b')])).toBe(listingFingerprint([p('/b'), p('/a')]));
    expect(listingFingerprint([p('/a', 1)])).not.toBe(listingFingerprint([p('/a', 2)]));
  });
});

describe("confirm 'when-suspicious' (direct mode)", () => {
  test('one listing when nothing the caller had is missing and no name is listed twice', async () => {
    const list = lister([p('/a'), p('/b'), p('/new')]);
    const out = await listStable(list, { confirm: 'when-suspicious', previous: new Set(['/a', '/b']) });
    expect(out).toMatchObject({ listings: 1 });
    expect(out.confirmed).toBeUndefined();
  });

  test('a lost name is confirmed by two agreeing listings; a real delete is then accepted', async () => {
    const list = lister([p('/a')], [p('/a'), p('/b')], [p('/a'), p('/b')]);
    expect(await listStable(list, { confirm: 'when-suspicious', previous: new Set(['/a', '/b']) })).toMatchObject({ listings: 3, confirmed: 'lost-name' });
    const deleted = lister([p('/a')]);
    const out = await listStable(deleted, { confirm: 'when-suspicious', previous: new Set(['/a', '/b']) });
    expect(out).toMatchObject({ listings: 2, confirmed: 'lost-name' });
    expect(out.parameters.map((x) => x.name)).toEqual(['/a']);
  });

  test('a name listed twice is confirmed even with nothing to compare with (a fresh instance)', async () => {
    const list = lister([p('/a'), p('/a')], [p('/a')], [p('/a')]);
    expect(await listStable(list, { confirm: 'when-suspicious' })).toMatchObject({ confirmed: 'duplicate-name', listings: 3 });
  });
});

describe('LastModifiedDate, as both clients hand it over', () => {
  test('a Date (SDK client) and epoch seconds (light client, JSON protocol) give the same ms', () => {
    const date = new Date('2026-12-06T10:11:12.345Z');
    expect(modifiedMs(date)).toBe(date.getTime());
    expect(modifiedMs(date.getTime() / 1000)).toBe(date.getTime());
    expect(modifiedMs('1796551872.345')).toBe(1796551872345);
    expect(modifiedMs('junk')).toBeUndefined();
    expect(modifiedMs(undefined)).toBeUndefined();
  });

  test('the pager keeps a numeric LastModifiedDate, so the history cache key exists for the light client', async () => {
    const listed = await listParametersByPath('/x', async () => ({
      Parameters: [{ Name: '/x/a', Value: '{}', Type: 'String', Version: 3, LastModifiedDate: 1796551872.345 as unknown as Date }],
      $metadata: {},
    }));
    expect(listed[0]).toMatchObject({ version: 3, modified: 1796551872345 });
    expect(HistoryCache.keyOf(listed[0]!)).toBe('3@1796551872345');
  });

  test('a cached outcome is used for the same version and date, read again otherwise; unreadable is never cached', async () => {
    const cache = new HistoryCache();
    const valid = JSON.stringify(basePolicy());
    const broken: ListedParameter = { name: '/x/a', value: '{oops', type: 'String', version: 2, modified: 1000 };
    const read = jest.fn(async () => [
      { version: 1, value: valid, type: 'String' },
      { version: 2, value: '{oops', type: 'String' },
    ]);
    expect((await resolveInvalidParameters([broken], read, cache, 4)).get('/x/a')).toMatchObject({ kind: 'found', version: 1, value: valid });
    await resolveInvalidParameters([broken], read, cache, 4);
    expect(read).toHaveBeenCalledTimes(1);
    await resolveInvalidParameters([{ ...broken, modified: 2000 }], read, cache, 4);
    expect(read).toHaveBeenCalledTimes(2);
    const failing = jest.fn(async () => {
      throw new Error('ThrottlingException');
    });
    const other: ListedParameter = { ...broken, name: '/x/b' };
    const outcomes = await resolveInvalidParameters([other], failing, cache, 4);
    expect(outcomes.get('/x/b')).toMatchObject({ kind: 'unreadable' });
    await resolveInvalidParameters([other], failing, cache, 4);
    expect(failing).toHaveBeenCalledTimes(2);
  });
});
