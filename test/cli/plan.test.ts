import { deepEqual, diffDocuments } from '../../functions/cli/field-diff';
import type { LocalPolicy } from '../../functions/cli/local-policies';
import { countActions, planChanges } from '../../functions/cli/plan';

function local(name: string, document: object): LocalPolicy {
  const value = JSON.stringify(document);
  return { file: `policies/${name}.json`, name, parameter: `/cors/api/${name}`, format: 'json', document, value, bytes: value.length };
}

describe('deepEqual', () => {
  it('ignores key order but not array order', () => {
    expect(deepEqual({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 })).toBe(true);
    expect(deepEqual({ b: [2, 1] }, { b: [1, 2] })).toBe(false);
    expect(deepEqual({ a: undefined }, {})).toBe(false);
    expect(deepEqual([{ x: 1 }], [{ x: 1 }])).toBe(true);
  });
});

describe('diffDocuments', () => {
  it('reports list items added and removed, reorders, changed, added and removed fields', () => {
    const before = {
      route: '/a',
      allowOrigins: ['https://a.example.com', 'https://b.example.com'],
      allowMethods: ['GET', 'POST'],
      maxAge: 600,
      description: 'x',
    };
    const after = {
      route: ['/a', '/b'],
      allowOrigins: ['https://b.example.com', 'https://c.example.com'],
      allowMethods: ['POST', 'GET'],
      maxAge: 60,
      allowCredentials: true,
    };
    expect(diffDocuments(before, after)).toEqual([
      { field: 'route', kind: 'changed', before: '/a', after: ['/a', '/b'] },
      { field: 'allowOrigins', kind: 'items', added: ['https://c.example.com'], removed: ['https://a.example.com'] },
      { field: 'allowMethods', kind: 'reordered', before: ['GET', 'POST'], after: ['POST', 'GET'] },
      { field: 'maxAge', kind: 'changed', before: 600, after: 60 },
      { field: 'allowCredentials', kind: 'added', after: true },
      { field: 'description', kind: 'removed', before: 'x' },
    ]);
  });

  it('counts duplicated list items one for one', () => {
    expect(diffDocuments({ a: ['x', 'x'] }, { a: ['x'] })).toEqual([{ field: 'a', kind: 'items', added: [], removed: ['x'] }]);
  });

  it('compares non-object documents whole', () => {
    expect(diffDocuments('text', { a: 1 })).toEqual([{ field: '', kind: 'changed', before: 'text', after: { a: 1 } }]);
    expect(diffDocuments([1], [1])).toEqual([]);
  });
});

describe('planChanges', () => {
  const doc = { route: '/a', allowOrigins: ['https://a.example.com'], allowMethods: ['GET'] };

  it('classifies add, change, unchanged and remove, comparing parsed values not bytes', () => {
    const changes = planChanges(
      [local('new', doc), local('same', doc), local('edited', { ...doc, maxAge: 5 })],
      [
        {
          name: '/cors/api/same',
          value: JSON.stringify({ allowMethods: ['GET'], route: '/a', allowOrigins: ['https://a.example.com'] }, null, 2),
          type: 'String',
        },
        { name: '/cors/api/edited', value: JSON.stringify(doc), type: 'String' },
        { name: '/cors/api/stray', value: JSON.stringify(doc), type: 'String' },
      ],
    );
    expect(changes.map((c) => [c.action, c.parameter])).toEqual([
      ['change', '/cors/api/edited'],
      ['add', '/cors/api/new'],
      ['unchanged', '/cors/api/same'],
      ['remove', '/cors/api/stray'],
    ]);
    expect(changes[0]!.fields).toEqual([{ field: 'maxAge', kind: 'added', after: 5 }]);
    expect(changes[1]!.value).toBe(JSON.stringify(doc));
    expect(countActions(changes)).toEqual({ add: 1, change: 1, remove: 1, unchanged: 1 });
  });

  it('replaces a stored value that is not JSON or not a String parameter, saying why', () => {
    const changes = planChanges(
      [local('text', doc), local('secure', doc)],
      [
        { name: '/cors/api/text', value: 'oops', type: 'String' },
        { name: '/cors/api/secure', value: JSON.stringify(doc), type: 'SecureString' },
      ],
    );
    expect(changes.map((c) => [c.action, c.note])).toEqual([
      ['change', 'is a SecureString parameter; only String parameters are policies'],
      ['change', 'the stored value is not JSON'],
    ]);
  });
});
