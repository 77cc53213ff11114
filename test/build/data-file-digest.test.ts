// The checksum the Lambda bundles carry for public-suffixes.txt
// (functions/core/data-file-digest.ts): what it must catch for certain, that
// it does not depend on how the bytes sit in memory, and that the generated
// data records the digest of its own rules.
import { dataFileDigest } from '../../functions/core/data-file-digest';
import data from '../../functions/core/public-suffixes.json';
import { flipBytes } from '../support/damaged-data-file';

const rules = Buffer.from(data.rules, 'latin1');

test('the generated data records the size and digest of its rules, as the bundles read them', () => {
  expect([rules.length, dataFileDigest(rules)]).toEqual([data.rulesSize, data.rulesDigest]);
});

test('16 hexadecimal digits, the same for the same bytes wherever they sit in memory', () => {
  const digest = dataFileDigest(rules);
  expect(digest).toMatch(/^[0-9a-f]{16}$/);
  const unaligned = Buffer.alloc(rules.length + 1);
  rules.copy(unaligned, 1);
  expect(dataFileDigest(unaligned.subarray(1))).toBe(digest);
});

test('every single changed byte of a small file changes it, whatever the position or value', () => {
  const small = rules.subarray(0, 67); // a tail of 3 bytes after the words
  const digest = dataFileDigest(small);
  for (let at = 0; at < small.length; at++) {
    for (const xor of [0x01, 0x20, 0x80, 0xff]) {
      const changed = Buffer.from(small);
      changed[at] = (changed[at] as number) ^ xor;
      expect(dataFileDigest(changed)).not.toBe(digest);
    }
  }
});

test('two different words swapped, and random damage, change it', () => {
  const digest = dataFileDigest(rules);
  const swapped = Buffer.from(rules);
  swapped.copy(swapped, 0, 4, 8);
  rules.copy(swapped, 4, 0, 4);
  expect(rules.subarray(0, 4).equals(rules.subarray(4, 8))).toBe(false);
  expect(dataFileDigest(swapped)).not.toBe(digest);
  for (let seed = 1; seed <= 50; seed++) expect(dataFileDigest(flipBytes(rules, 300, seed))).not.toBe(digest);
});
