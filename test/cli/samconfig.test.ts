import { mergeOverrides, parseOverrides, renderOverrides, setParameterOverrides } from '../../functions/cli/samconfig';

describe('SAM parameter overrides', () => {
  test('parse quoted, unquoted, empty and escaped values', () => {
    expect(parseOverrides('A=x B="y z" C="" D="say \\"hi\\""  ')).toEqual([
      ['A', 'x'],
      ['B', 'y z'],
      ['C', ''],
      ['D', 'say "hi"'],
    ]);
    expect(() => parseOverrides('A=x =broken')).toThrow(/cannot read parameter_overrides at "=broken"/);
  });

  test('render quotes every value, so empty ones survive a round trip', () => {
    const pairs = mergeOverrides(
      [
        ['A', 'x'],
        ['B', 'y'],
      ],
      { B: '', C: '$default' },
    );
    expect(renderOverrides(pairs)).toBe('A="x" B="" C="$default"');
    expect(parseOverrides(renderOverrides(pairs))).toEqual(pairs);
  });
});

describe('setParameterOverrides', () => {
  const file = [
    '# comment',
    'version = 0.1',
    '',
    '[default.deploy.parameters]',
    'capabilities = "CAPABILITY_IAM"',
    'parameter_overrides = "ApiType=\\"REST\\" PolicyPath=\\"/cors/a\\"" # keep me',
    '',
    '[prod.deploy.parameters]',
    'parameter_overrides = "ApiId=\\"zzz\\""',
    '',
  ].join('\r\n');

  test('changes only the parameter_overrides line of the default table, with its comment and line endings', () => {
    const out = setParameterOverrides(file, { ApiType: 'HTTP', ApiId: 'abc' });
    const [a, b] = [file.split('\r\n'), out.split('\r\n')];
    expect(b).toHaveLength(a.length);
    expect(b.filter((l, i) => l !== a[i])).toEqual(['parameter_overrides = "ApiType=\\"HTTP\\" PolicyPath=\\"/cors/a\\" ApiId=\\"abc\\"" # keep me']);
  });

  test('adds the line under the table header when the table has none', () => {
    expect(setParameterOverrides('[default.deploy.parameters]\ncapabilities = "X"\n', { A: 'x' })).toBe(
      '[default.deploy.parameters]\nparameter_overrides = "A=\\"x\\""\ncapabilities = "X"\n',
    );
  });

  test('appends the table when the file lacks it, and creates a file from nothing', () => {
    expect(setParameterOverrides('version = 0.1\n', { A: 'x' })).toBe('version = 0.1\n\n[default.deploy.parameters]\nparameter_overrides = "A=\\"x\\""\n');
    expect(setParameterOverrides('', { A: 'x' })).toBe('version = 0.1\n\n[default.deploy.parameters]\nparameter_overrides = "A=\\"x\\""\n');
  });

  test('refuses a parameter_overrides it cannot edit safely (a list)', () => {
    expect(() => setParameterOverrides('[default.deploy.parameters]\nparameter_overrides = ["A=x"]\n', { A: 'y' })).toThrow(
      /not a one-line string \(line 2\); edit it by hand/,
    );
  });
});
