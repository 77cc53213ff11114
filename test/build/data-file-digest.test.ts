// The checksum the build bakes into the Lambda bundles for public-suffixes.txt
// (scripts/lib/data-file-digest.mjs): what it must catch for certain, and that
// it does not depend on how the bytes sit in memory.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { flipBytes } from '../support/damaged-data-file';

const { dataFileDigest } = require(join(__dirname, '..', '..', 'scripts', 'lib', 'data-file-digest.mjs')) as { dataFileDigest: (bytes: Uint8Array) => string };
const text = readFileSync(join(__dirname, '..', '..', 'functions', 'core', 'public-suffixes.ts'), 'utf8');
const rules = Buffer.from(JSON.parse(/^export const SUFFIXES = (".*");$/m.exec(text)?.[1] as string) as string, 'latin1');

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
