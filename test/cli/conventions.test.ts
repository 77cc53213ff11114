// The CLI's conventions: -h/--help on every command exits 0, -v/--version
// prints the package's version, and commands printed for a shell quote what
// came from an API.
import { execFileSync } from 'node:child_process';
import { Writable } from 'node:stream';
import pkg from '../../package.json';
import { shellQuote } from '../../functions/cli/shell';
import { COMMANDS, main } from '../../functions/cli/main';
import { Output } from '../../functions/cli/output';
import { captureStdout } from '../support/ssm-mock';

const sink = () =>
  new Writable({
    write(_chunk, _enc, done) {
      done();
    },
  });

async function run(argv: string[]): Promise<{ code: number; stdout: string }> {
  const stdout = captureStdout();
  try {
    const code = await main(argv, new Output(false, sink(), sink()));
    return { code, stdout: stdout.raw() };
  } finally {
    stdout.restore();
  }
}

describe('help and version', () => {
  it.each(COMMANDS.flatMap((c) => [[c.name, '-h'] as const, [c.name, '--help'] as const]))('%s %s prints its usage and exits 0', async (name, flag) => {
    const { code, stdout } = await run([name, flag]);
    expect(code).toBe(0);
    expect(stdout.startsWith(`usage: cors-policy ${name}`)).toBe(true);
  });

  it('-h wins over missing required flags', async () => {
    expect((await run(['push', '-h'])).code).toBe(0);
    expect((await run(['explain', '--origin', 'https://a.example', '-h'])).code).toBe(0);
  });

  it.each(['-h', '--help', 'help'])('top-level %s lists the commands and exits 0', async (flag) => {
    const { code, stdout } = await run([flag]);
    expect(code).toBe(0);
    for (const c of COMMANDS) expect(stdout).toContain(`  ${c.name} `);
  });

  it.each(['-v', '--version'])('%s prints the version of package.json', async (flag) => {
    expect(await run([flag])).toEqual({ code: 0, stdout: `${pkg.version}\n` });
  });

  it('an unknown short flag is still a usage error', async () => {
    expect((await run(['validate', '-x'])).code).toBe(2);
  });
});

describe('shellQuote', () => {
  it('leaves plain ids and paths as they are', () => {
    expect(['a1b2c3d4e5', '/cors/shop-api', 'OPTIONS', 'us-east-1'].map(shellQuote)).toEqual(['a1b2c3d4e5', '/cors/shop-api', 'OPTIONS', 'us-east-1']);
  });

  it.each(["it's", '$(rm -rf ~)', 'a b', '`x`', 'a;b', '', '*', 'x\ny'])('quotes %j so that a shell reads it back unchanged', (word) => {
    const quoted = shellQuote(word);
    expect(quoted).not.toBe(word);
    expect(execFileSync('/bin/sh', ['-c', `printf %s ${quoted}`], { encoding: 'utf8' })).toBe(word);
  });
});
