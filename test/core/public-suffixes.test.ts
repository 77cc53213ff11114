// Wildcard origins against the Public Suffix List: the generated data
// (functions/core/public-suffixes.json) must be the installed tldts package's
// list, and a wildcard is refused when any public suffix lies at or below its base.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getPublicSuffix } from 'tldts';
import { publicSuffixAtOrBelow } from '../../functions/core/public-suffix';
import { publicSuffixRules, renderData } from '../../scripts/lib/public-suffix-data';
import { accept, basePolicy, problemsOf } from '../support/policies';

const rules = publicSuffixRules();

test('the committed public-suffixes.json is what the installed tldts generates (else: npm run generate:psl)', () => {
  const committed = readFileSync(join(__dirname, '..', '..', 'functions', 'core', 'public-suffixes.json'), 'utf8');
  expect(committed).toBe(renderData(rules));
});

test('the rules read from the package are its public suffixes, by its own lookup', () => {
  expect(rules.rules.length).toBeGreaterThan(9000);
  for (const rule of rules.rules) {
    const name = rule.startsWith('*.') ? `x-any${rule.slice(1)}` : rule;
    const exception = rules.exceptions.includes(name);
    if (!exception) expect([rule, getPublicSuffix(name, { allowPrivateDomains: true })]).toEqual([rule, name]);
  }
});

test('every rule, and every ancestor of one, has a public suffix at or below it', () => {
  for (const rule of rules.rules) {
    const labels = rule.split('.');
    const name = labels[0] === '*' ? labels.slice(1).join('.') : rule;
    const found = publicSuffixAtOrBelow(name);
    expect([name, found !== undefined && (found === name || found.endsWith(`.${name}`))]).toEqual([name, true]);
    for (let i = 1; i < labels.length; i++) expect(publicSuffixAtOrBelow(labels.slice(i).join('.'))).toBeDefined();
  }
});

test.each([
  ['example.com', undefined],
  ['preview.example.com', undefined],
  ['example.co.uk', undefined],
  ['myproject.github.io', undefined],
  ['city.kawasaki.jp', undefined], // an exception rule: registrable
  ['github.io', 'github.io'],
  ['foo.kawasaki.jp', 'foo.kawasaki.jp'], // under the wildcard rule *.kawasaki.jp
  ['core.windows.net', 'blob.core.windows.net'],
  ['example', 'example'], // the default rule: any top-level label
])('publicSuffixAtOrBelow(%j) is %j', (domain, suffix) => {
  expect(publicSuffixAtOrBelow(domain)).toBe(suffix);
});

describe('a wildcard origin over a hosting domain is refused, naming the suffix found', () => {
  test.each([
    ['https://*.amazonaws.com', 'amazonaws.com'],
    ['https://*.on.aws', 'on.aws'],
    ['https://*.core.windows.net', 'core.windows.net'],
    ['https://*.windows.net', 'windows.net'],
    ['https://*.us-east-1.on.aws', 'us-east-1.on.aws'],
  ])('%s', (origin, base) => {
    const problems = problemsOf(basePolicy({ allowOrigins: [origin] }));
    expect(problems).toEqual([expect.objectContaining({ field: 'allowOrigins[0]', value: origin, code: 'origin_wildcard_public_suffix' })]);
    const suffix = publicSuffixAtOrBelow(base) as string;
    expect(suffix.endsWith(`.${base}`)).toBe(true);
    expect(problems[0]!.reason).toContain(`"${suffix}"`);
  });

  test('with or without credentials, and in any port form', () => {
    for (const origin of ['https://*.amazonaws.com:*', 'https://*.amazonaws.com:8443', 'http://*.amazonaws.com']) {
      expect(problemsOf(basePolicy({ allowOrigins: [origin] }))).toEqual([expect.objectContaining({ code: 'origin_wildcard_public_suffix' })]);
    }
  });

  test('a wildcard under such a suffix, on a site of your own, is accepted', () => {
    for (const origin of ['https://*.mybucket.s3.amazonaws.com', 'https://*.example.com', 'https://*.myapp.vercel.app', 'http://*.localhost:*']) {
      expect(accept(basePolicy({ allowOrigins: [origin] })).document.allowOrigins).toEqual([origin]);
    }
  });
});
