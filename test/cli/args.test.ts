import { readPolicyPath } from '../../functions/aws/config';
import { helpText, numberOption, parseCommandArgs, policyPath, type OptionSpecs } from '../../functions/cli/args';
import { defineCommand } from '../../functions/cli/command';
import { UsageError } from '../../functions/cli/errors';
import type { Output } from '../../functions/cli/output';

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
  it.each(['/cors/api/', '/cors/api//', '/', '/cors'])('normalises %j as CORS_POLICY_PATH is normalised', (raw) => {
    const errors: string[] = [];
    expect(policyPath(raw, true)).toBe(readPolicyPath({ CORS_POLICY_PATH: raw }, errors));
    expect(errors).toEqual([]);
  });

  it('tolerates a trailing slash', () => {
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

describe('numberOption', () => {
  const whole = { min: 1, max: 16, integer: true };

  it('is the fallback when absent and the number when in bounds', () => {
    expect(numberOption('n', undefined, 4, whole)).toBe(4);
    expect(numberOption('n', '16', 4, whole)).toBe(16);
    expect(numberOption('rate', '0.5', 5, { min: 0.1, max: 100, integer: false })).toBe(0.5);
  });

  it.each([
    ['0', whole, '--n must be a whole number from 1 to 16, not "0"'],
    ['17', whole, '--n must be a whole number from 1 to 16, not "17"'],
    ['1.5', whole, '--n must be a whole number from 1 to 16, not "1.5"'],
    ['x', whole, '--n must be a whole number from 1 to 16, not "x"'],
    ['Infinity', { min: 0.1, max: Infinity, integer: false }, '--n must be a number from 0.1 to Infinity, not "Infinity"'],
  ])('refuses %j', (raw, bounds, message) => {
    expect(() => numberOption('n', raw, 1, bounds)).toThrow(new UsageError(message));
  });

  it('words the refusal as the command asks', () => {
    expect(() => numberOption('top', '0', 10, whole, (n, r) => `--${n} "${r}" is wrong`)).toThrow(new UsageError('--top "0" is wrong'));
  });
});

describe('defineCommand', () => {
  const lines: string[] = [];
  const sink = { line: (text = '') => lines.push(text), warn: (text: string) => lines.push(text) } as unknown as Output;
  const declare = (remoteText: boolean) =>
    defineCommand({
      name: 'x',
      usage: 'cors-policy x',
      summary: 'X.',
      options: { name: { type: 'string', value: 'NAME', help: 'a name' } },
      remoteText,
      async run({ values }, out) {
        out.line(`name ${values.name ?? 'none'}`);
        return values.json === true ? 1 : 0;
      },
    });

  it('appends the common flags after the own ones and refuses positionals unless declared', () => {
    const x = declare(false);
    expect(Object.keys(x.options)).toEqual(['name', 'json', 'debug', 'help']);
    expect(x.positionals).toBe(false);
  });

  it('escapes what a remote-text command prints, and only then', async () => {
    lines.length = 0;
    expect(await declare(true).run(parseCommandArgs('x', ['--name', 'a\u001b[2Jb', '--json'], declare(true).options, false), sink)).toBe(1);
    expect(await declare(false).run(parseCommandArgs('x', ['--name', 'a\u001b[2Jb'], declare(false).options, false), sink)).toBe(0);
    expect(lines).toEqual(['name a\\x1b[2Jb', 'name a\u001b[2Jb']);
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
