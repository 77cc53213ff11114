/**
 * Text that others control (log lines, HTTP answers, API Gateway and Parameter
 * Store values) made safe to print on a terminal: one helper for every human
 * output that shows such data.
 *
 * - Every control character (C0, DEL, C1: ESC sequences can clear the screen
 *   or rewrite earlier lines), every bidi and other format character (U+202A-E,
 *   U+2066-9, U+200E/F, U+061C, zero-width characters: they reorder or hide
 *   text), line and paragraph separators and lone surrogates are written as
 *   visible escapes (`\x1b`, `\u202e`). A backslash is doubled, so an escape
 *   in the output always means the character was there.
 * - A value longer than its limit is clipped, with a marker saying how long it
 *   was: `...[clipped: 806912 chars]`.
 */

/** Default longest value shown, in characters of the escaped text. */
export const SHOWN_VALUE_LIMIT = 200;

// \p{Cc}: C0, DEL, C1. \p{Cf}: format characters, the bidi controls among them. \p{Zl}\p{Zp}: U+2028/9. \p{Cs}: lone surrogates.
const CONTROLS = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
const CONTROLS_OR_BACKSLASH = /[\\\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

function escapeChar(ch: string): string {
  if (ch === '\\') return '\\\\';
  const code = ch.codePointAt(0)!;
  if (code < 0x100) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code < 0x10000) return `\\u${code.toString(16).padStart(4, '0')}`;
  return `\\u{${code.toString(16)}}`;
}

/** The clip marker: says how long the value was. */
export function clipMarker(length: number): string {
  return `...[clipped: ${length} chars]`;
}

function escapeAndClip(value: string, max: number, unsafe: RegExp): string {
  // Fast path: nothing to escape and short enough.
  if (value.length <= max && !unsafe.test(value)) return value;
  let out = '';
  for (const ch of value) {
    const piece = unsafe.test(ch) ? escapeChar(ch) : ch;
    if (out.length + piece.length > max) return `${out}${clipMarker(value.length)}`;
    out += piece;
  }
  return out;
}

/**
 * One value others control, for a terminal: every unsafe character escaped
 * and backslashes doubled, clipped to `max` characters of escaped text (the
 * marker comes on top). Never throws, whatever the input.
 */
export function terminalSafe(value: string, max: number = SHOWN_VALUE_LIMIT): string {
  return escapeAndClip(value, max, CONTROLS_OR_BACKSLASH);
}

/** {@link terminalSafe} for anything: strings as they are, other values as JSON. */
export function terminalSafeValue(value: unknown, max: number = SHOWN_VALUE_LIMIT): string {
  if (typeof value === 'string') return terminalSafe(value, max);
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return terminalSafe(text, max);
}

/** Longest line a report writes; a backstop, values are clipped shorter first. */
export const SHOWN_LINE_LIMIT = 4000;

/** A whole output line: unsafe characters escaped (backslashes kept: the line holds our own JSON too), clipped at {@link SHOWN_LINE_LIMIT}. */
export function terminalSafeLine(line: string): string {
  return escapeAndClip(line, SHOWN_LINE_LIMIT, CONTROLS);
}

interface LineSink {
  line(text?: string): void;
  warn(text: string): void;
}

/**
 * `out` with every human line and warning passed through
 * {@link terminalSafeLine}: the report code escapes and clips each value it
 * shows, and this catches whatever a report forgot.
 */
export function escapingOutput<T extends LineSink>(out: T): T {
  const safe = Object.create(out) as T;
  safe.line = (text = '') => out.line(terminalSafeLine(text));
  safe.warn = (text: string) => out.warn(terminalSafeLine(text));
  return safe;
}
