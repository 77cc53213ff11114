// The snapshot format (functions/core/snapshot.ts): what parses, what is
// refused with a message naming the field, byte-stable serialization, the
// entries instances compile, and the default key.
import { compilePolicySet } from '../../functions/core/policy-set';
import {
  MAX_SNAPSHOT_BYTES,
  SNAPSHOT_FORMAT,
  SnapshotFormatError,
  checkSnapshot,
  defaultSnapshotKey,
  parseSnapshot,
  serializeSnapshot,
  snapshotEntries,
  type PolicySnapshot,
} from '../../functions/core/snapshot';
import { basePolicy } from '../support/policies';

const value = (route: string) => JSON.stringify(basePolicy({ route }));

const sample = (): PolicySnapshot => ({
  format: SNAPSHOT_FORMAT,
  sequence: 3,
  policyPath: '/cors/shop-api',
  listedAt: '2026-12-06T12:00:00.000Z',
  writtenAt: '2026-12-06T12:00:01.000Z',
  parameters: [
    { name: '/cors/shop-api/users', version: 4, status: 'earlier-version', servedVersion: 2, value: value('/users'), reason: 'invalid JSON' },
    { name: '/cors/shop-api/orders', version: 1, status: 'current', servedVersion: 1, value: value('/orders') },
    { name: '/cors/shop-api/broken', version: 2, status: 'rejected', reason: 'no earlier version validates' },
    { name: '/cors/shop-api/held', version: 5, status: 'previous-snapshot', servedVersion: 3, value: value('/held'), reason: 'history unreadable' },
  ],
});

const refused = (doc: unknown): SnapshotFormatError => {
  try {
    checkSnapshot(doc);
  } catch (err) {
    if (err instanceof SnapshotFormatError) return err;
    throw err;
  }
  throw new Error(`expected a SnapshotFormatError for ${JSON.stringify(doc)}`);
};

test('serialize then parse gives the same snapshot, parameters sorted by name, and equal snapshots are equal bytes', () => {
  const text = serializeSnapshot(sample());
  const parsed = parseSnapshot(text);
  expect(parsed.parameters.map((p) => p.name)).toEqual(['/cors/shop-api/broken', '/cors/shop-api/held', '/cors/shop-api/orders', '/cors/shop-api/users']);
  expect(parsed).toEqual({ ...sample(), parameters: [...sample().parameters].sort((a, b) => (a.name < b.name ? -1 : 1)) });
  const shuffled = { ...sample(), parameters: [...sample().parameters].reverse() };
  expect(serializeSnapshot(shuffled)).toBe(text);
});

test('entries: every parameter that serves, at the version that serves; a rejected one is left out', () => {
  const entries = snapshotEntries(sample());
  expect(entries.map((e) => [e.source, e.version])).toEqual([
    ['/cors/shop-api/users', 2],
    ['/cors/shop-api/orders', 1],
    ['/cors/shop-api/held', 3],
  ]);
  const set = compilePolicySet(entries);
  expect([...set.policies.keys()].sort()).toEqual(['/cors/shop-api/held', '/cors/shop-api/orders', '/cors/shop-api/users']);
});

test('an unknown format version is refused as such (instances fall back to listing the path)', () => {
  const err = refused({ ...sample(), format: 2 });
  expect(err.unknownFormat).toBe(true);
  expect(err.message).toMatch(/format 2 is not 1/);
  expect(refused({ ...sample(), sequence: 0 }).unknownFormat).toBe(false);
});

test.each([
  ['not an object', [], /JSON object/],
  ['sequence 0', { ...sample(), sequence: 0 }, /sequence/],
  ['sequence 1.5', { ...sample(), sequence: 1.5 }, /sequence/],
  ['a relative policy path', { ...sample(), policyPath: 'cors' }, /policyPath/],
  ['a listedAt that is no time', { ...sample(), listedAt: 'yesterday' }, /listedAt/],
  ['no writtenAt', { ...sample(), writtenAt: undefined }, /writtenAt/],
  ['parameters not a list', { ...sample(), parameters: {} }, /parameters must be an array/],
  ['a parameter name without /', { ...sample(), parameters: [{ name: 'x', version: 1, status: 'rejected' }] }, /parameters\[0\]\.name/],
  ['version 0', { ...sample(), parameters: [{ name: '/x', version: 0, status: 'rejected' }] }, /version/],
  ['an unknown status', { ...sample(), parameters: [{ name: '/x', version: 1, status: 'maybe' }] }, /status must be one of/],
  [
    'a rejected parameter with a value',
    { ...sample(), parameters: [{ name: '/x', version: 1, status: 'rejected', value: '{}', servedVersion: 1 }] },
    /rejected yet has a value/,
  ],
  [
    'a serving parameter without a value',
    { ...sample(), parameters: [{ name: '/x', version: 1, status: 'current', servedVersion: 1 }] },
    /value must be a string/,
  ],
  ['a serving parameter without servedVersion', { ...sample(), parameters: [{ name: '/x', version: 1, status: 'current', value: '{}' }] }, /servedVersion/],
  ['a reason that is not text', { ...sample(), parameters: [{ name: '/x', version: 1, status: 'rejected', reason: 3 }] }, /reason must be a string/],
  [
    'a name twice',
    {
      ...sample(),
      parameters: [
        { name: '/x', version: 1, status: 'rejected' },
        { name: '/x', version: 2, status: 'rejected' },
      ],
    },
    /appears twice/,
  ],
])('refused: %s', (_label, doc, message) => {
  expect(refused(doc).message).toMatch(message);
});

test('text that is not JSON, or larger than the limit, is refused before anything else', () => {
  expect(() => parseSnapshot('{"format":1,')).toThrow(/not valid JSON/);
  const err = (() => {
    try {
      parseSnapshot(' '.repeat(MAX_SNAPSHOT_BYTES + 1));
    } catch (e) {
      return e as SnapshotFormatError;
    }
    return undefined;
  })();
  expect(err).toBeInstanceOf(SnapshotFormatError);
  expect(err?.message).toMatch(/over the .* limit/);
});

test('a document with fields this build does not know still parses (a later compiler may add some)', () => {
  const doc = { ...sample(), compiler: 'next', parameters: [{ ...sample().parameters[1]!, extra: true }] };
  expect(parseSnapshot(JSON.stringify(doc)).sequence).toBe(3);
});

test('the default key: cors-snapshots + the policy path + .json, trailing slashes ignored', () => {
  expect(defaultSnapshotKey('/cors/shop-api')).toBe('cors-snapshots/cors/shop-api.json');
  expect(defaultSnapshotKey('/cors/shop-api/')).toBe('cors-snapshots/cors/shop-api.json');
  expect(defaultSnapshotKey('/cors')).toBe('cors-snapshots/cors.json');
});
