import { parseArgs, type ParseArgsOptionDescriptor } from 'node:util';
import { normalisePolicyPath } from '../aws/config';
import { parameterNameProblem } from '../core/parameter-name';
import { UsageError } from './errors';

/** One flag of a subcommand, with the text its --help shows; also the descriptor node:util's parseArgs reads. */
export interface OptionSpec extends ParseArgsOptionDescriptor {
  readonly type: 'string' | 'boolean';
  readonly help: string;
  /** Shown as `--name VALUE`. */
  readonly value?: string;
  readonly multiple?: boolean;
  /** A one-letter alias, `-h` for `--help`. */
  readonly short?: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/**
 * The values a command's flags give, typed from its declaration as node's own
 * parser types them in strict mode: `string` for a string flag, `string[]`
 * for a repeatable one, `boolean` for a switch, each absent when not given.
 */
export type OptionValues<O extends OptionSpecs> = ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: true }>>['values'];

export interface Parsed<O extends OptionSpecs = OptionSpecs> {
  readonly values: OptionValues<O>;
  readonly positionals: string[];
}

/** Flags every subcommand accepts. */
export const COMMON_OPTIONS = {
  json: { type: 'boolean', help: 'print one JSON document on stdout (stable shape, see docs/cli.md)' },
  debug: { type: 'boolean', help: 'print stack traces and SDK error details on failures' },
  help: { type: 'boolean', short: 'h', help: 'show this help (also -h)' },
} as const satisfies OptionSpecs;

/** Flags of the subcommands that talk to AWS. */
export const AWS_OPTIONS = {
  region: { type: 'string', value: 'REGION', help: "AWS region (default: AWS_REGION, then the profile's region)" },
  profile: { type: 'string', value: 'NAME', help: 'named profile from ~/.aws/config (default: AWS_PROFILE)' },
} as const satisfies OptionSpecs;

/** `--region` and `--profile` as given: what every AWS client of the CLI is created from. */
export type AwsValues = OptionValues<typeof AWS_OPTIONS>;

/**
 * Parses a subcommand's arguments with Node's own parser, then checks every
 * flag against the subcommand's list so that a typo is an error that names
 * the flag, never silently ignored. Node's strict mode would refuse the same
 * arguments, but with its own messages (and it takes `--path -x` as an
 * ambiguous value); the checks here give ours, and once they pass every value
 * has the type its declaration gives, which is what {@link OptionValues} says.
 */
export function parseCommandArgs<const O extends OptionSpecs>(command: string, argv: readonly string[], specs: O, allowPositionals: boolean): Parsed<O> {
  const options: Record<string, ParseArgsOptionDescriptor> = {};
  // Only what the parser reads: help texts stay out of its configuration.
  for (const [name, spec] of Object.entries(specs))
    options[name] = { type: spec.type, ...(spec.multiple ? { multiple: true } : {}), ...(spec.short ? { short: spec.short } : {}) };
  const { values, positionals, tokens } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: false, tokens: true });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const spec = specs[token.name];
    if (!spec) throw new UsageError(`unknown option ${token.rawName} for "${command}" (see: cors-policy ${command} --help)`);
    if (spec.type === 'boolean' && token.value !== undefined) throw new UsageError(`option ${token.rawName} takes no value`);
    if (spec.type === 'string' && (token.value === undefined || (!token.inlineValue && token.value.startsWith('--')))) {
      throw new UsageError(`option ${token.rawName} needs a value: ${token.rawName} ${spec.value ?? 'VALUE'}`);
    }
  }
  if (!allowPositionals && positionals.length > 0)
    throw new UsageError(`"${command}" takes no arguments, got "${positionals[0]}" (see: cors-policy ${command} --help)`);
  // Every flag is declared and has a value of its declared type (checked above).
  return { values: values as OptionValues<O>, positionals };
}

/** Bounds of a numeric flag. */
export interface NumberBounds {
  readonly min: number;
  readonly max: number;
  /** Only whole numbers. */
  readonly integer: boolean;
}

/**
 * The one check of a numeric flag (verify's --rate, --timeout, ...; denials'
 * --top, --max-pages): `fallback` when absent, otherwise a finite number
 * within the bounds, whole when `integer`, or a usage error with `refusal`'s text.
 */
export function numberOption(
  name: string,
  raw: string | undefined,
  fallback: number,
  bounds: NumberBounds,
  refusal: (name: string, raw: string) => string = (n, r) =>
    `--${n} must be ${bounds.integer ? 'a whole number' : 'a number'} from ${bounds.min} to ${bounds.max}, not "${r}"`,
): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < bounds.min || n > bounds.max || (bounds.integer && !Number.isInteger(n))) throw new UsageError(refusal(name, raw));
  return n;
}

/** `--path`, normalised by the rule CORS_POLICY_PATH follows (a trailing slash is tolerated) and checked against SSM's naming rules. */
export function policyPath(raw: string | undefined, required: true): string;
export function policyPath(raw: string | undefined, required: false): string | undefined;
export function policyPath(raw: string | undefined, required: boolean): string | undefined {
  if (raw === undefined) {
    if (required) throw new UsageError('--path is required: the Parameter Store path holding the policies, e.g. --path /cors/my-api');
    return undefined;
  }
  const path = normalisePolicyPath(raw);
  const problem = parameterNameProblem(path, 'path');
  if (problem) throw new UsageError(`--path "${raw}" ${problem}`);
  return path;
}

/** Word-wraps prose to `width` columns; each input line stays a paragraph of its own. */
export function wrap(text: string, width = 100): string {
  return text
    .split('\n')
    .map((paragraph) => {
      const lines: string[] = [];
      let line = '';
      for (const word of paragraph.split(' ')) {
        if (line && line.length + 1 + word.length > width) {
          lines.push(line);
          line = word;
        } else line = line ? `${line} ${word}` : word;
      }
      lines.push(line);
      return lines.join('\n');
    })
    .join('\n');
}

/** Renders a subcommand's --help from its flags, so help and parser never disagree. */
export function helpText(usage: string, summary: string, specs: OptionSpecs, details = ''): string {
  const rows = Object.entries(specs).map(([name, spec]) => [`--${name}${spec.value ? ` ${spec.value}` : ''}`, spec.help] as const);
  const width = Math.max(...rows.map(([left]) => left.length));
  const lines = [`usage: ${usage}`, '', wrap(summary), '', 'options:', ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`)];
  if (details) lines.push('', wrap(details.trimEnd()));
  return `${lines.join('\n')}\n`;
}
