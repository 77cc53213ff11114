// Problem codes are a contract (docs/policies.md, "Problem codes"): every code the
// engine or the CLI can give is documented there, and the table names no other.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { POLICY_PROBLEM_CODES } from '../../functions/core';

const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'policies.md'), 'utf8');
const section = doc.slice(doc.indexOf('### Problem codes'), doc.indexOf('## Route matching'));
const documented = new Set([...section.matchAll(/^\| ([^|]+) \|/gm)].flatMap((m) => [...m[1]!.matchAll(/`([a-z_]+)`/g)].map((c) => c[1]!)));

test.each([...POLICY_PROBLEM_CODES])('%s is documented', (code) => {
  expect(documented.has(code)).toBe(true);
});

test('the table documents no code the engine does not have', () => {
  expect([...documented].filter((c) => !(POLICY_PROBLEM_CODES as readonly string[]).includes(c))).toEqual([]);
});

test('codes are unique snake_case words', () => {
  expect(new Set(POLICY_PROBLEM_CODES).size).toBe(POLICY_PROBLEM_CODES.length);
  for (const code of POLICY_PROBLEM_CODES) expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
});
