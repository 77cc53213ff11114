import { parseArgs } from 'node:util';
import { parameterNameProblem } from '../core/parameter-name';
import { UsageError } from './errors';

/** One flag of a subcommand, with the text its --help shows. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly help: string;
  /** Shown as `--name VALUE`. */
  readonly value?: string;
  readonly multiple?: boolean;
  /** A one-letter alias, `-h` for `--help`. */
  readonly short?: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

/** Flags every subcommand accepts. */
export const COMMON_OPTIONS: OptionSpecs = {
  json: { type: 'boolean', help: 'print one JSON document on stdout (stable shape, see docs/cli.md)' },
  debug: { type: 'boolean', help: 'print stack traces and SDK error details on failures' },
  help: { type: 'boolean', short: 'h', help: 'show this help (also -h)' },
};

/** Flags of the subcommands that talk to Parameter Store. */
export const AWS_OPTIONS: OptionSpecs = {
  region: { type: 'string', value: 'REGION', help: "AWS region (default: AWS_REGION, then the profile's region)" },
  profile: { type: 'string', value: 'NAME', help: 'named profile from ~/.aws/config (default: AWS_PROFILE)' },
};

export interface Parsed {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

/**
 * Parses a subcommand's arguments with Node's own parser, then checks every
 * flag against the subcommand's list so that a typo is an error that names
 * the flag, never silently ignored.
 */
export function parseCommandArgs(command: string, argv: readonly string[], specs: OptionSpecs, allowPositionals: boolean): Parsed {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
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
  return { values: values as Parsed['values'], positionals };
}

export function stringOption(parsed: Parsed, name: string): string | undefined {
  const v = parsed.values[name];
  if (Array.isArray(v)) return v[v.length - 1];
  return typeof v === 'string' ? v : undefined;
}

export function flag(parsed: Parsed, name: string): boolean {
  return parsed.values[name] === true;
}

/** `--path`, normalized like the Lambda's CORS_POLICY_PATH (a trailing slash is tolerated) and checked against SSM's naming rules. */
export function policyPath(raw: string | undefined, required: true): string;
export function policyPath(raw: string | undefined, required: false): string | undefined;
export function policyPath(raw: string | undefined, required: boolean): string | undefined {
  if (raw === undefined) {
    if (required) throw new UsageError('--path is required: the Parameter Store path holding the policies, e.g. --path /cors/my-api');
    return undefined;
  }
  const path = raw.length > 1 ? raw.replace(/\/+$/, '') : raw;
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
