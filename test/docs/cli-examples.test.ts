// The CLI examples quoted in README.md and docs/ are the real ones:
// - every quoted `cors-policy ...` command names a real command and only flags
//   that command's --help lists (a renamed flag fails here, not in a reader's shell);
// - a quoted usage error is the one the CLI prints;
// - the README's examples run against the repository's examples/ and
//   print what the README shows (`...` in a quote stands for lines left out).
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { parseCommandArgs } from '../../functions/cli/args';
import { COMMANDS, main } from '../../functions/cli/main';
import { Output } from '../../functions/cli/output';

const ROOT = resolve(__dirname, '../..');
const DOCS = [
  join(ROOT, 'README.md'),
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join(ROOT, 'docs', f)),
];

interface Example {
  file: string;
  /** The command line after `$ `, without any leading VAR=value assignments. */
  command: string;
  env: Record<string, string>;
  /** The lines quoted after it, up to the next command or the end of the block. */
  output: string[];
}

/** Shell-like words: spaces separate, single and double quotes group. */
function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

function examplesOf(file: string): Example[] {
  const examples: Example[] = [];
  let fenced = false;
  let shell = false; // a ```sh block: every line is a command, no `$ ` prompt
  let current: Example | undefined;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('```')) {
      fenced = !fenced;
      shell = fenced && /^```(sh|bash|shell)\b/.test(line);
      current = undefined;
      continue;
    }
    if (!fenced) continue;
    const m = (shell ? /^(?:\$ )?((?:[A-Z_]+=\S+ )*)(?:npx )?(cors-policy [^#]*?)\s*(?:#.*)?$/ : /^\$ ((?:[A-Z_]+=\S+ )*)(?:npx )?(cors-policy .*)$/).exec(
      line,
    );
    if (m) {
      const env = Object.fromEntries(words(m[1]!).map((w) => w.split('=', 2) as [string, string]));
      const example: Example = { file: file.slice(ROOT.length + 1), command: m[2]!, env, output: [] };
      examples.push(example);
      current = shell ? undefined : example;
    } else if (line.startsWith('$ ') || shell) {
      // Another command; in a shell block every line is one, and none prints output.
      current = undefined;
    } else if (current) {
      current.output.push(line);
    }
  }
  return examples;
}

const examples = DOCS.flatMap(examplesOf);
const isUsageError = (e: Example) => e.output.some((l) => / error: unknown (option|command)/.test(l));

describe('quoted cors-policy commands', () => {
  it('are found in the docs', () => {
    expect(examples.length).toBeGreaterThan(15);
  });

  it.each(examples.filter((e) => !isUsageError(e)).map((e) => [`${e.file}: ${e.command}`, e]))('%s uses a real command and documented flags', (_title, e) => {
    const [, name, ...args] = words((e as Example).command);
    if (name === '--help' || name === '--version') return; // the top-level flags, handled before any command
    const command = COMMANDS.find((c) => c.name === name);
    expect(command).toBeDefined();
    expect(() => parseCommandArgs(command!.name, args, command!.options, command!.positionals)).not.toThrow();
  });

  it.each(examples.filter(isUsageError).map((e) => [`${e.file}: ${e.command}`, e]))('%s fails with the quoted message', async (_title, e) => {
    const { stderr, code } = await run(words((e as Example).command).slice(1));
    const quoted = (e as Example).output.filter((l) => l.includes(': error: '));
    expect(stderr.trimEnd().split('\n')).toEqual(quoted);
    expect(code).toBe(2);
  });
});

describe('README examples on the repository policies', () => {
  // Only examples that read the repository's files: nothing here may reach AWS.
  const runnable = examples.filter((e) => e.file === 'README.md' && e.output.length > 0 && !/\s--(path|url|api-id|log-group)(\s|=|$)/.test(e.command));

  it('has examples with output', () => {
    expect(runnable.length).toBeGreaterThan(0);
  });

  it.each(runnable.map((e) => [e.command, e]))('%s prints what the README shows', async (_title, e) => {
    const { stdout } = await run(words((e as Example).command).slice(1));
    expectLines(stdout.trimEnd().split('\n'), (e as Example).output);
  });
});

async function run(argv: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, done) {
        append(String(chunk));
        done();
      },
    });
  const previous = process.cwd();
  const endpoint = process.env.AWS_ENDPOINT_URL;
  // Belt and braces: whatever runs here can never reach AWS.
  process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:1';
  process.chdir(ROOT);
  try {
    const code = await main(
      argv,
      new Output(
        argv.includes('--json'),
        sink((s) => (stdout += s)),
        sink((s) => (stderr += s)),
      ),
    );
    return { stdout, stderr, code };
  } finally {
    process.chdir(previous);
    if (endpoint === undefined) delete process.env.AWS_ENDPOINT_URL;
    else process.env.AWS_ENDPOINT_URL = endpoint;
  }
}

/** Actual lines against quoted ones, where a quoted `...` line matches any run of lines. */
function expectLines(actual: string[], quoted: string[]): void {
  const pattern = quoted.map((l) => (l === '...' ? '(?:.*\\n)*?' : `${l.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`)).join('');
  const text = `${actual.join('\n')}\n`;
  if (!new RegExp(`^${pattern}$`).test(text)) expect(text).toBe(`${quoted.join('\n')}\n`);
}
