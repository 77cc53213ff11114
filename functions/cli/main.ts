import pkg from '../../package.json';
import { helpText, parseCommandArgs } from './args';
import type { Command } from './command';
import { denials } from './commands/denials';
import { diff } from './commands/diff';
import { discover } from './commands/discover';
import { explain } from './commands/explain';
import { importCommand } from './commands/import';
import { pull } from './commands/pull';
import { push } from './commands/push';
import { snapshot } from './commands/snapshot';
import { validate } from './commands/validate';
import { verify } from './commands/verify';
import { AwsError, EXIT, FileError, UsageError, oneLine } from './errors';
import { Output } from './output';

/**
 * cors-policy: validate, diff, push, pull and explain the CORS policies the
 * preflight Lambda and the apigw-cors layer serve from Parameter Store.
 */
export const COMMANDS: readonly Command[] = [validate, diff, push, pull, explain, verify, denials, discover, importCommand, snapshot];

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: cors-policy <command> [options]',
    '',
    'Manages the per-route CORS policies in Parameter Store that the preflight Lambda and the apigw-cors layer serve.',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.usage.replace(/^cors-policy \S+ ?/, '')}`),
    '',
    'Run cors-policy <command> --help (or -h) for details; cors-policy --version (or -v) prints the version.',
    'Policy files: ./policies by default (yours; the demo policies are in ./examples).',
    'AWS settings come from the usual places: AWS_PROFILE, AWS_REGION, ~/.aws, and AWS_ENDPOINT_URL_SSM (e.g. a local moto server);',
    'discover and import read the API through AWS_ENDPOINT_URL_API_GATEWAY / AWS_ENDPOINT_URL_APIGATEWAYV2.',
    'exit codes: 0 ok, 1 policy problems, 2 usage, AWS, file or network errors, 3 a negative answer (diff --exit-code, explain, verify, discover)',
    '',
  ].join('\n');
}

// The SDK warns on Node 20 about SDK releases of 2027; this bundle carries its
// own SDK, so the warning is noise in a CLI whose errors are one line each.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** The CLI without process globals, so tests can run it in-process too. */
export async function main(argv: readonly string[], out?: Output): Promise<number> {
  const [name, ...rest] = argv;
  const wantsJson = rest.includes('--json');
  const output = out ?? new Output(wantsJson);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const target = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    process.stdout.write(target ? helpText(target.usage, target.summary, target.options, target.details) : topHelp());
    return name === undefined ? EXIT.error : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${pkg.version}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  const debug = rest.includes('--debug');
  try {
    if (!command) throw new UsageError(`unknown command "${name}"; commands: ${COMMANDS.map((c) => c.name).join(', ')} (see: cors-policy --help)`);
    const parsed = parseCommandArgs(command.name, rest, command.options, command.positionals);
    if (parsed.values.help === true) {
      process.stdout.write(helpText(command.usage, command.summary, command.options, command.details));
      return EXIT.ok;
    }
    return await command.run(parsed, output);
  } catch (err) {
    const known = err instanceof UsageError || err instanceof AwsError || err instanceof FileError;
    const message = known ? (err as Error).message : `unexpected error: ${(err as Error)?.message ?? String(err)}`;
    output.warn(`cors-policy${command ? ` ${command.name}` : ''}: error: ${oneLine(message)}`);
    if (debug) output.warn((err as Error)?.stack ?? String(err));
    if (debug && err instanceof AwsError && err.cause) output.warn(String((err.cause as Error)?.stack ?? err.cause));
    const code = err instanceof AwsError ? err.code : err instanceof UsageError ? 'UsageError' : err instanceof FileError ? 'FileError' : 'InternalError';
    output.document({ command: command?.name ?? null, ok: false, error: { code, message: oneLine(message) } });
    return EXIT.error;
  }
}

// Only when run as the program, not when imported by a test.
if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`cors-policy: unexpected error: ${String(err)}\n`);
      process.exitCode = EXIT.error;
    },
  );
}
