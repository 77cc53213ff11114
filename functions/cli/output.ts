import type { PolicyProblem } from '../core/problems';
import type { FieldChange } from './field-diff';
import type { CliJson, ProblemJson } from './json';

/**
 * Where output goes. Human text goes to stdout, warnings and errors to
 * stderr; with --json, stdout carries exactly one JSON document and nothing
 * else, so it can be piped straight into jq.
 */
export class Output {
  constructor(
    readonly json: boolean,
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly err: NodeJS.WritableStream = process.stderr,
  ) {}

  /** A line of human output (suppressed with --json). */
  line(text = ''): void {
    if (!this.json) this.out.write(`${text}\n`);
  }

  /** A warning or error line, always on stderr. */
  warn(text: string): void {
    this.err.write(`${text}\n`);
  }

  /** The one JSON document of a --json run. */
  document(value: CliJson): void {
    if (this.json) this.out.write(`${JSON.stringify(value, null, 2)}\n`);
  }
}

/** A value as it appears in messages: JSON, shortened. */
export function preview(value: unknown, max = 120): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** `policies/products.json: allowOrigins[1]: "https://*.com": invalid origin pattern: ...` */
export function problemLine(p: PolicyProblem): string {
  const parts = [p.source];
  if (p.field) parts.push(p.field);
  if (p.value !== undefined) parts.push(preview(p.value));
  parts.push(p.reason);
  return parts.join(': ');
}

export function problemJson(p: PolicyProblem): ProblemJson {
  return { file: p.source, field: p.field, value: p.value === undefined ? null : p.value, code: p.code, reason: p.reason };
}

/** One line per changed field, e.g. `allowOrigins: + "https://x", - "https://y"`. */
export function fieldChangeLine(c: FieldChange): string {
  const name = c.field || '(whole value)';
  switch (c.kind) {
    case 'added':
      return `+ ${name}: ${preview(c.after)}`;
    case 'removed':
      return `- ${name}: ${preview(c.before)}`;
    case 'changed':
      return `~ ${name}: ${preview(c.before)} -> ${preview(c.after)}`;
    case 'reordered':
      return `~ ${name}: order ${preview(c.before)} -> ${preview(c.after)}`;
    case 'items':
      return `~ ${name}: ${[...c.added.map((v) => `+ ${preview(v)}`), ...c.removed.map((v) => `- ${preview(v)}`)].join(', ')}`;
  }
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
