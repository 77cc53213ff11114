/**
 * Editing the `parameter_overrides` of a SAM CLI samconfig.toml without touching
 * anything else in the file: one line changes (or is added), every other byte stays.
 * Not a TOML parser: it finds the table header and the one-line string it needs,
 * and refuses any other shape rather than guess.
 */

/** `Key=Value` pairs as SAM reads them from --parameter-overrides or parameter_overrides. */
export type Overrides = Array<[key: string, value: string]>;

export class SamconfigError extends Error {
  override readonly name = 'SamconfigError';
}

/** Parses SAM's override syntax: `A=x B="quoted \" value" C=""`, whitespace-separated. */
export function parseOverrides(text: string): Overrides {
  const out: Overrides = [];
  const pattern = /\s*([A-Za-z0-9]+)=(?:"((?:\\.|[^"\\])*)"|((?:\\.|[^\s"\\])*))/y;
  let index = 0;
  while (index < text.length) {
    if (/^\s*$/.test(text.slice(index))) break;
    pattern.lastIndex = index;
    const m = pattern.exec(text);
    if (!m) throw new SamconfigError(`cannot read parameter_overrides at "${text.slice(index, index + 40).trim()}"`);
    out.push([m[1]!, (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1')]);
    index = pattern.lastIndex;
  }
  return out;
}

/** `A="x" B=""`: every value quoted, so empty values survive. */
export function renderOverrides(pairs: Overrides): string {
  return pairs.map(([k, v]) => `${k}="${v.replace(/["\\]/g, '\\$&')}"`).join(' ');
}

/** `pairs` with `values` set: existing keys keep their place, new ones are appended. */
export function mergeOverrides(pairs: Overrides, values: Readonly<Record<string, string>>): Overrides {
  const out: Overrides = pairs.map(([k, v]) => [k, Object.hasOwn(values, k) ? values[k]! : v]);
  for (const [k, v] of Object.entries(values)) if (!out.some(([key]) => key === k)) out.push([k, v]);
  return out;
}

function tomlBasicString(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&').replace(/\n/g, '\\n').replace(/\t/g, '\\t')}"`;
}

function readTomlString(raw: string): string {
  if (raw.startsWith("'")) return raw.slice(1, -1); // literal string: no escapes
  return raw.slice(1, -1).replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (_, e: string) => {
    if (e.length > 1) return String.fromCodePoint(parseInt(e.slice(1), 16));
    return ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' } as Record<string, string>)[e] ?? e;
  });
}

/**
 * `text` (a samconfig.toml, or '' for a new file) with `values` set in
 * `[<env>.deploy.parameters] parameter_overrides`. Returns the new text; only
 * that one line differs (or is added), line endings included.
 */
export function setParameterOverrides(text: string, values: Readonly<Record<string, string>>, env = 'default'): string {
  const eol = /\r\n/.test(text) ? '\r\n' : '\n';
  const header = new RegExp(`^\\s*\\[\\s*${env.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\.\\s*deploy\\s*\\.\\s*parameters\\s*\\]\\s*(#.*)?$`);
  // Even indexes are lines, odd ones the line breaks after them: joining gives back every byte.
  const parts = text.split(/(\r?\n)/);
  const lineAt = (i: number): string => parts[i * 2]!;
  const count = Math.ceil(parts.length / 2);
  const fresh = (pairs: Overrides) => `parameter_overrides = ${tomlBasicString(renderOverrides(pairs))}`;
  const start = Array.from({ length: count }, (_, i) => lineAt(i)).findIndex((line) => header.test(line));
  if (start < 0) {
    const table = `[${env}.deploy.parameters]${eol}${fresh(mergeOverrides([], values))}${eol}`;
    if (text === '') return `version = 0.1${eol}${eol}${table}`;
    return `${text}${text.endsWith('\n') ? '' : eol}${eol}${table}`;
  }
  for (let i = start + 1; i < count && !/^\s*\[/.test(lineAt(i)); i++) {
    const line = lineAt(i);
    const m = /^(\s*parameter_overrides\s*=\s*)("(?:\\.|[^"\\])*"|'[^']*')(\s*(?:#.*)?)$/.exec(line);
    if (!m) {
      if (/^\s*parameter_overrides\s*=/.test(line)) {
        throw new SamconfigError(`parameter_overrides in [${env}.deploy.parameters] is not a one-line string (line ${i + 1}); edit it by hand`);
      }
      continue;
    }
    const merged = mergeOverrides(parseOverrides(readTomlString(m[2]!)), values);
    parts[i * 2] = `${m[1]}${tomlBasicString(renderOverrides(merged))}${m[3]}`;
    return parts.join('');
  }
  // No parameter_overrides yet: a new line right under the table header.
  parts.splice(start * 2 + 1, 0, parts[start * 2 + 1] ?? eol, fresh(mergeOverrides([], values)));
  return parts.join('');
}
