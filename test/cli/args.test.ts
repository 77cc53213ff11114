import { helpText, parseCommandArgs, policyPath, type OptionSpecs } from '../../functions/cli/args';
import { UsageError } from '../../functions/cli/errors';

const SPECS: OptionSpecs = {
  path: { type: 'string', value: 'PATH', help: 'the path' },
  headers: { type: 'string', value: 'LIST', multiple: true, help: 'headers' },
  prune: { type: 'boolean', help: 'prune' },
};

describe('parseCommandArgs', () => {
  it('parses known flags, inline values and repeated values', () => {
    const p = parseCommandArgs('push', ['--path=/cors/a', '--prune', '--headers', 'a', '--headers', 'b'], SPECS, false);
    expect(p.values).toEqual({ path: '/cors/a', prune: true, headers: ['a', 'b'] });
  });

  it.each([
    [['--prnue'], 'unknown option --prnue for "push" (see: cors-policy push --help)'],
    [['-x'], 'unknown option -x for "push"'],
    [['--prune=yes'], 'option --prune takes no value'],
    [['--path'], 'option --path needs a value: --path PATH'],
    [['--path', '--prune'], 'option --path needs a value'],
    [['stray'], '"push" takes no arguments, got "stray"'],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseCommandArgs('push', argv, SPECS, false)).toThrow(UsageError);
    expect(() => parseCommandArgs('push', argv, SPECS, false)).toThrow(message);
  });

  it('allows positionals where the subcommand takes them', () => {
    expect(parseCommandArgs('validate', ['a.json', 'dir'], SPECS, true).positionals).toEqual(['a.json', 'dir']);
  });
});

describe('policyPath', () => {
  it('tolerates a trailing slash, like CORS_POLICY_PATH', () => {
    expect(policyPath('/cors/api/', true)).toBe('/cors/api');
    expect(policyPath('/', true)).toBe('/');
  });

  it.each([
    ['cors/api', 'must start with "/"'],
    ['/cors/my api', 'may only contain'],
    ['/ssm/x', 'reserved by AWS'],
  ])('refuses %s', (raw, reason) => {
    expect(() => policyPath(raw, true)).toThrow(reason);
  });

  it('is required only where the subcommand needs it', () => {
    expect(() => policyPath(undefined, true)).toThrow('--path is required');
    expect(policyPath(undefined, false)).toBeUndefined();
  });
});

describe('helpText', () => {
  it('lists every flag with its value name, aligned', () => {
    const text = helpText('cors-policy push --path P', 'Pushes.', SPECS, 'exit codes: 0');
    expect(text).toBe(
      'usage: cors-policy push --path P\n\nPushes.\n\noptions:\n  --path PATH     the path\n  --headers LIST  headers\n  --prune         prune\n\nexit codes: 0\n',
    );
  });
});
