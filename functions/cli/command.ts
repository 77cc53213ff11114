import { COMMON_OPTIONS, type OptionSpecs, type Parsed } from './args';
import type { Output } from './output';
import { escapingOutput } from './terminal-text';

/** One subcommand: its flags (which also render its --help) and what it does. Returns the exit code. */
export interface Command<O extends OptionSpecs = OptionSpecs> {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  readonly options: O;
  readonly positionals: boolean;
  /** Extra --help text: examples, exit codes, formats. */
  readonly details?: string;
  run(parsed: Parsed<O>, out: Output): Promise<number>;
}

/** A command's own flags followed by the ones every command takes (--json, --debug, --help). */
export type WithCommonOptions<O extends OptionSpecs> = O & typeof COMMON_OPTIONS;

/** What a command declares; {@link defineCommand} adds what every command shares. */
export interface CommandDefinition<O extends OptionSpecs> {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  /** The command's own flags, in --help order; --json, --debug and --help follow. */
  readonly options: O;
  /** Takes positional arguments (validate's files). Default false. */
  readonly positionals?: boolean;
  /** Extra --help text: examples, exit codes, formats. */
  readonly details?: string;
  /**
   * The command prints text from logs, the network or AWS APIs: every human
   * line and warning then passes through `escapingOutput`, so no control or
   * bidi character reaches the terminal. Default false.
   */
  readonly remoteText?: boolean;
  /** Runs with the values its flags declare, typed. */
  run(parsed: Parsed<WithCommonOptions<O>>, out: Output): Promise<number>;
}

/** A command from its declaration: the common flags appended, positionals refused unless declared, remote text escaped. */
export function defineCommand<const O extends OptionSpecs>(definition: CommandDefinition<O>): Command<WithCommonOptions<O>> {
  const { remoteText = false, positionals = false, options, ...described } = definition;
  return {
    ...described,
    options: { ...options, ...COMMON_OPTIONS },
    positionals,
    run: (parsed, out) => definition.run(parsed, remoteText ? escapingOutput(out) : out),
  };
}
