import { readFile, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  MAX_POLICY_DEPTH,
  formatOf,
  nameForRelativeFile,
  nestingDepth,
  parsePolicyText,
  prettyJson,
  relativeNameProblem,
  renderPolicyFile,
} from '../../functions/cli/policy-files';

describe('file names and parameter names', () => {
  it.each([
    ['products.json', 'json'],
    ['products.yaml', 'yaml'],
    ['products.yml', 'yaml'],
    ['products.JSON', undefined],
    ['README.md', undefined],
    ['.json', undefined],
  ])('%s has format %s', (file, format) => {
    expect(formatOf(file)).toBe(format);
  });

  it('maps a relative file to a "/"-separated name without its extension', () => {
    expect(nameForRelativeFile('products.json')).toBe('products');
    expect(nameForRelativeFile(join('team', 'orders.v2.yaml'))).toBe('team/orders.v2');
  });

  // What relativeNameProblem says of each name: part of the reason, or undefined for an ordinary nested name it accepts.
  it.each([
    ['', 'is empty'],
    ['team//x', 'has an empty segment'],
    ['.hidden', 'starting with "."'],
    ['team/../x', 'starting with "."'],
    ['team/orders_v2-x.y', undefined],
  ])('the relative name %j: %s', (name, reason) => {
    expect(relativeNameProblem(name)).toEqual(reason === undefined ? undefined : expect.stringContaining(reason));
  });
});

describe('parsing', () => {
  it('refuses YAML with duplicate keys, which JSON.parse would silently collapse', () => {
    const r = parsePolicyText('route: /a\nroute: /b\n', 'yaml');
    expect(r).toEqual({ ok: false, code: 'invalid_yaml', reason: expect.any(String) });
  });

  it('reads YAML 1.2: "on" and "yes" stay strings, unquoted paths stay strings', () => {
    expect(parsePolicyText('description: on\nroute: /a/{id}\nallowMethods: [GET]\n', 'yaml')).toEqual({
      ok: true,
      value: { description: 'on', route: '/a/{id}', allowMethods: ['GET'] },
    });
  });

  it('reports invalid JSON with its code and the parser message', () => {
    const r = parsePolicyText('{"route": ', 'json');
    expect(r).toMatchObject({ ok: false, code: 'invalid_json' });
    // The prose carries the parser's own message, whatever its wording.
    let parserMessage = '';
    try {
      JSON.parse('{"route": ');
    } catch (err) {
      parserMessage = (err as Error).message;
    }
    expect(!r.ok && r.reason).toContain(parserMessage);
  });

  it('refuses a 20,000-deep JSON file with a reason instead of overflowing the stack later', () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const r = parsePolicyText(deep, 'json');
    expect(r).toEqual({ ok: false, code: 'invalid_json', reason: expect.stringContaining(`nests more than ${MAX_POLICY_DEPTH} levels deep`) });
    const inField = `{"route": "/x", "allowOrigins": ${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`;
    expect(parsePolicyText(inField, 'json')).toMatchObject({ ok: false, code: 'invalid_json' });
  });

  it('refuses a YAML file too deep for the parser, naming it invalid', () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    expect(parsePolicyText(deep, 'yaml')).toEqual({ ok: false, code: 'invalid_yaml', reason: expect.stringMatching(/nest/) });
  });

  it('accepts nesting up to the limit and counts depth without recursion', () => {
    let v: unknown = 'x';
    for (let i = 0; i < MAX_POLICY_DEPTH; i++) v = [v];
    expect(nestingDepth(v)).toBe(MAX_POLICY_DEPTH);
    expect(parsePolicyText(JSON.stringify(v), 'json')).toMatchObject({ ok: true });
    expect(parsePolicyText(JSON.stringify([v]), 'json')).toMatchObject({ ok: false });
    expect(nestingDepth({ route: '/a', allowMethods: ['GET'] })).toBe(2);
  });
});

describe('prettyJson (what pull writes)', () => {
  it('reproduces the sample policies byte for byte', async () => {
    const dir = resolve(__dirname, '../../examples');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const text = await readFile(join(dir, f), 'utf8');
      expect(prettyJson(JSON.parse(text))).toBe(text);
    }
  });

  it('keeps short lists of scalars on one line and breaks long ones, one item per line', () => {
    const long = Array.from({ length: 8 }, (_, i) => `https://shop-${i}.example.com`);
    expect(prettyJson({ a: [1, 'x', true, null], b: long, c: {}, d: [] })).toBe(
      `{\n  "a": [1, "x", true, null],\n  "b": [\n${long.map((o) => `    "${o}"`).join(',\n')}\n  ],\n  "c": {},\n  "d": []\n}\n`,
    );
  });

  it('round-trips any JSON value', () => {
    const values = [{ route: ['/a'], nested: { list: [{ x: 1 }, [2, 3]] }, s: 'quote " and \\ and \u2028' }, [], 'text', 7, null];
    for (const v of values) expect(JSON.parse(prettyJson(v))).toEqual(v);
  });

  it('writes YAML for files that already are YAML', () => {
    const text = renderPolicyFile({ route: '/a', allowMethods: ['GET'] }, 'yaml');
    expect(parsePolicyText(text, 'yaml')).toEqual({ ok: true, value: { route: '/a', allowMethods: ['GET'] } });
  });
});
