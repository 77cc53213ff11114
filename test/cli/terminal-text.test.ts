// What the CLI prints of data others control: escaped and clipped by one helper.
import fc from 'fast-check';
import { SHOWN_LINE_LIMIT, clipMarker, escapingOutput, terminalSafe, terminalSafeLine, terminalSafeValue } from '../../functions/cli/terminal-text';

// Every character a terminal acts on or that reorders text: C0, DEL, C1, ESC, bidi embeddings, overrides and isolates, marks, separators.
const DANGEROUS = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]|[\ud800-\udfff]/u;

describe('terminalSafe', () => {
  it.each([
    ['ESC sequences that clear the screen', 'a\u001b[2J\u001b[Hb', 'a\\x1b[2J\\x1b[Hb'],
    ['bidi override and isolate controls', 'https://\u202egnp.exe\u202c\u2066x\u2069', 'https://\\u202egnp.exe\\u202c\\u2066x\\u2069'],
    ['every embedding and override U+202A-E', '\u202a\u202b\u202c\u202d\u202e', '\\u202a\\u202b\\u202c\\u202d\\u202e'],
    ['C1 controls and DEL', '\u0085\u009b\u007f', '\\x85\\x9b\\x7f'],
    ['new lines and carriage returns that forge report lines', 'x\r\n 2. 99 x fake', 'x\\x0d\\x0a 2. 99 x fake'],
    ['line separators and a lone surrogate', '\u2028\u2029\ud800', '\\u2028\\u2029\\ud800'],
    ['a backslash, so that an escape always means the character was there', 'a\\x1b', 'a\\\\x1b'],
  ])('escapes %s', (_what, input, shown) => {
    expect(terminalSafe(input)).toBe(shown);
  });

  it('keeps ordinary text, including non-Latin letters and emoji, as it is', () => {
    expect(terminalSafe('https://bücher.example — 日本 😀')).toBe('https://bücher.example — 日本 😀');
  });

  it('clips a long value with a marker that says how long it was', () => {
    const shown = terminalSafe('a'.repeat(806_912), 200);
    expect(shown).toBe(`${'a'.repeat(200)}${clipMarker(806_912)}`);
    expect(shown).toContain('806912 chars');
  });

  it('never shows a dangerous character and never exceeds the limit plus the marker, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), fc.integer({ min: 1, max: 300 }), (value, max) => {
        const shown = terminalSafe(value, max);
        expect(DANGEROUS.test(shown)).toBe(false);
        expect(shown.length).toBeLessThanOrEqual(max + clipMarker(value.length).length);
      }),
    );
  });

  it('shows other values as JSON, escaped', () => {
    expect(terminalSafeValue({ a: '\u202e' })).toBe('{"a":"\\u202e"}');
  });
});

describe('escapingOutput', () => {
  it('escapes every line and warning written through it, and clips lines at the backstop', () => {
    const lines: string[] = [];
    const warnings: string[] = [];
    const base = { json: false, line: (t = '') => lines.push(t), warn: (t: string) => warnings.push(t) };
    const out = escapingOutput(base);
    out.line('origin https://a\u001b]0;pwned\u0007.example "quoted \\" json"');
    out.warn('warning: \u202eevil');
    out.line('x'.repeat(SHOWN_LINE_LIMIT + 10));
    out.line();
    expect(lines[0]).toBe('origin https://a\\x1b]0;pwned\\x07.example "quoted \\" json"');
    expect(warnings).toEqual(['warning: \\u202eevil']);
    expect(lines[1]).toBe(`${'x'.repeat(SHOWN_LINE_LIMIT)}${clipMarker(SHOWN_LINE_LIMIT + 10)}`);
    expect(lines[2]).toBe('');
    expect(out.json).toBe(false);
    expect(terminalSafeLine('plain')).toBe('plain');
  });
});
