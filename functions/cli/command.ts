import type { OptionSpecs, Parsed } from './args';
import type { Output } from './output';

/** One subcommand: its flags (which also render its --help) and what it does. Returns the exit code. */
export interface Command {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  readonly options: OptionSpecs;
  readonly positionals: boolean;
  /** Extra --help text: examples, exit codes, formats. */
  readonly details?: string;
  run(parsed: Parsed, out: Output): Promise<number>;
}

/** Where policy files live unless --dir says otherwise. */
export const DEFAULT_DIR = 'policies';
