import type { Dirent } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { FileError } from './errors';

/**
 * Policy files on disk and the names they map to.
 *
 * `<dir>/<name>.json` (or .yaml/.yml) is the parameter `<path>/<name>`; a file
 * in a subfolder, `<dir>/team/x.json`, is `<path>/team/x`, because the Lambda
 * loads everything under the path recursively and pull must be able to write
 * every parameter it finds. Names, folders and files starting with "." are
 * never policies (editor and VCS files), in either direction.
 */
export type PolicyFormat = 'json' | 'yaml';

export const POLICY_EXTENSIONS: Readonly<Record<string, PolicyFormat>> = { '.json': 'json', '.yaml': 'yaml', '.yml': 'yaml' };

export interface PolicyFileRef {
  /** The file path as shown to the user (relative to the working directory when given that way). */
  readonly file: string;
  /** Parameter name relative to the path, with "/" separators: `products`, `team/orders`. */
  readonly name: string;
  readonly format: PolicyFormat;
}

/** The format of a file name, or undefined when it is not a policy file. */
export function formatOf(fileName: string): PolicyFormat | undefined {
  const dot = fileName.lastIndexOf('.');
  if (dot <= 0) return undefined;
  return POLICY_EXTENSIONS[fileName.slice(dot)];
}

/** `team/orders.yaml` -> `team/orders`: the relative path without its extension, "/"-separated. */
export function nameForRelativeFile(relativeFile: string): string {
  const slashed = relativeFile.split(sep).join('/');
  const dot = slashed.lastIndexOf('.');
  return dot > slashed.lastIndexOf('/') ? slashed.slice(0, dot) : slashed;
}

/** Why a relative name cannot be a file under the policy directory, or undefined. */
export function relativeNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  for (const segment of name.split('/')) {
    if (segment === '') return 'has an empty segment';
    if (segment.startsWith('.')) return `has a segment starting with "." ("${segment}"); such files and folders are never read as policies`;
  }
  return undefined;
}

/** Every policy file under `dir`, recursively, sorted by name. A missing directory is an error. */
export async function scanPolicyDir(dir: string): Promise<PolicyFileRef[]> {
  const found: PolicyFileRef[] = [];
  const walk = async (current: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch (err) {
      throw new FileError(`cannot read directory ${current}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = join(current, entry.name);
      // Symbolic links are followed for files only: a linked folder could loop.
      const isFile = entry.isFile() || (entry.isSymbolicLink() && (await stat(full).catch(() => undefined))?.isFile() === true);
      if (entry.isDirectory()) await walk(full);
      else if (isFile) {
        const format = formatOf(entry.name);
        if (format) found.push({ file: full, name: nameForRelativeFile(relative(dir, full)), format });
      }
    }
  };
  await walk(dir);
  return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.file < b.file ? -1 : 1));
}

/** Whether `path` is an existing directory. */
export async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() === true;
}

/** A single file named on the command line maps to its base name. */
export function refForFile(file: string): PolicyFileRef | undefined {
  const format = formatOf(basename(file));
  return format ? { file, name: nameForRelativeFile(basename(file)), format } : undefined;
}

export type ParsedFile = { ok: true; value: unknown } | { ok: false; code: 'invalid_json' | 'invalid_yaml'; reason: string };

/**
 * How deep a policy file may nest. A policy needs 2 levels (an object of
 * lists); deeper files are refused before anything walks them recursively
 * (JSON.stringify, the validator), which would overflow the stack.
 */
export const MAX_POLICY_DEPTH = 32;

/** The nesting depth of a parsed value, without recursion; stops counting past `limit`. */
export function nestingDepth(value: unknown, limit = MAX_POLICY_DEPTH): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > deepest) deepest = depth;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** Parses file text; YAML uses the YAML 1.2 core schema, where duplicate keys are errors. */
export function parsePolicyText(text: string, format: PolicyFormat): ParsedFile {
  const label = format === 'json' ? 'JSON' : 'YAML';
  const code = format === 'json' ? 'invalid_json' : 'invalid_yaml';
  try {
    const value: unknown = format === 'json' ? JSON.parse(text) : parseYaml(text, { prettyErrors: false });
    if (nestingDepth(value) > MAX_POLICY_DEPTH)
      return { ok: false, code, reason: `nests more than ${MAX_POLICY_DEPTH} levels deep; a policy needs 2 (an object of lists)` };
    return { ok: true, value };
  } catch (err) {
    // A parser recursing through a deeply nested document runs out of stack: the file is refused, the others still checked.
    if (err instanceof RangeError || /Maximum call stack/.test(String((err as Error)?.message)))
      return { ok: false, code, reason: `is nested too deeply to read as ${label}; a policy needs 2 levels (an object of lists)` };
    const message = (err as Error).message.split('\n')[0] ?? String(err);
    // In a YAML flow list, [/a/{id}], the brace opens a mapping: the usual cause of a broken policy file.
    const hint = format === 'yaml' && text.includes('{') ? '; quote route patterns with braces, e.g. "/orders/{id}"' : '';
    return {
      ok: false,
      code: format === 'json' ? 'invalid_json' : 'invalid_yaml',
      reason: `is not valid ${format === 'json' ? 'JSON' : 'YAML'} (${message})${hint}`,
    };
  }
}

export async function readPolicyFile(ref: PolicyFileRef): Promise<ParsedFile> {
  let text: string;
  try {
    text = await readFile(ref.file, 'utf8');
  } catch (err) {
    throw new FileError(`cannot read ${ref.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  return parsePolicyText(text, ref.format);
}

/** What push stores: the file's object as compact JSON, keys in the file's order. */
export function compactJson(value: unknown): string {
  return JSON.stringify(value);
}

/** Lines up to this width keep a list of scalars on one line, the way the sample policies are written. */
export const INLINE_LIST_WIDTH = 120;

function isScalar(v: unknown): boolean {
  return v === null || typeof v !== 'object';
}

/**
 * 2-space JSON where a list of strings, numbers or booleans stays on one line
 * when the line fits in {@link INLINE_LIST_WIDTH} characters: diffs of pulled
 * files stay readable, and hand-written files in that style round-trip byte for byte.
 */
export function prettyJson(value: unknown): string {
  const render = (v: unknown, indent: string, lineStart: number): string => {
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      if (v.every(isScalar)) {
        const inline = `[${v.map((x) => JSON.stringify(x)).join(', ')}]`;
        if (lineStart + inline.length + 1 <= INLINE_LIST_WIDTH) return inline;
      }
      const inner = `${indent}  `;
      return `[\n${v.map((x) => `${inner}${render(x, inner, inner.length)}`).join(',\n')}\n${indent}]`;
    }
    if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length === 0) return '{}';
      const inner = `${indent}  `;
      return `{\n${entries
        .map(([k, x]) => {
          const head = `${inner}${JSON.stringify(k)}: `;
          return `${head}${render(x, inner, head.length)}`;
        })
        .join(',\n')}\n${indent}}`;
    }
    return JSON.stringify(v) ?? 'null';
  };
  return `${render(value, '', 0)}\n`;
}

/** What pull writes: {@link prettyJson}, or YAML for files that already are YAML. */
export function renderPolicyFile(value: unknown, format: PolicyFormat): string {
  return format === 'json' ? prettyJson(value) : stringifyYaml(value, { lineWidth: 0 });
}

/** Writes through a temporary file and a rename, so an interrupted pull never leaves half a policy. */
export async function writePolicyFile(file: string, text: string): Promise<void> {
  try {
    await mkdir(dirname(file), { recursive: true });
    const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
    await writeFile(tmp, text, 'utf8');
    await rename(tmp, file);
  } catch (err) {
    throw new FileError(`cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

export async function deletePolicyFile(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (err) {
    throw new FileError(`cannot delete ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

/** Byte length of the value as Parameter Store counts it (UTF-8). */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Parameter Store's Standard tier value limit. */
export const STANDARD_TIER_MAX_BYTES = 4096;
