import { suffixText, suffixTextProblem } from './public-suffix-text';
import { exceptions } from './public-suffixes.json';

/*
 * Public Suffix List look-ups for wildcard origins, on the data generated into
 * public-suffixes.json (scripts/lib/public-suffix-data.ts): every rule with its
 * labels reversed (`s3.amazonaws.com` -> `com.amazonaws.s3`), sorted, so that
 * the rules at or below a domain are one contiguous run, and front-coded in
 * blocks of 16 (the first entry in full, then per entry one letter "A"+n for
 * the n characters it shares with the previous entry, and the rest).
 *
 * Nothing is parsed or split at load: each look-up binary-searches the text
 * itself (a probe jumps to a character offset and reads the first entry of
 * the next block, up to its first count letter) and decodes, once, only the
 * block it lands in. A position is [offset of the block in the text, index
 * in the block].
 */

const isCount = (c: number): boolean => c >= 65 && c <= 90; // "A".."Z"
const COUNT = /[A-Z]/;
const NEWLINE = 10;

let text: string | undefined;
/** The encoded rules, fetched on the first look-up (public-suffix-text.ts). */
const rules = (): string => (text ??= suffixText());

/** Blocks decoded so far, by offset: wildcard bases share a few top-level domains, so few are ever decoded. */
const decoded = new Map<number, string[]>();

/** Offset of the block after the one at `start`, or -1 past the last one. */
function nextBlock(start: number): number {
  const nl = rules().indexOf('\n', start);
  return nl < 0 ? -1 : nl + 1;
}

/** The first entry of the block at `start`: written in full, up to the first count letter. */
function firstOf(start: number): string {
  const all = rules();
  const end = all.indexOf('\n', start);
  const entry = end < 0 ? all.slice(start) : all.slice(start, end);
  const count = entry.search(COUNT);
  return count < 0 ? entry : entry.slice(0, count);
}

/** The entries of the block at `start`, decoded once. */
function block(start: number): string[] {
  let entries = decoded.get(start);
  if (entries) return entries;
  const all = rules();
  entries = [];
  let previous = '';
  let shared = 0;
  for (let i = start; i < all.length && all.charCodeAt(i) !== NEWLINE; ) {
    let j = i;
    while (j < all.length && !isCount(all.charCodeAt(j)) && all.charCodeAt(j) !== NEWLINE) j++;
    previous = previous.slice(0, shared) + all.slice(i, j);
    entries.push(previous);
    if (j < all.length && isCount(all.charCodeAt(j))) {
      shared = all.charCodeAt(j) - 65;
      i = j + 1;
    } else i = j;
  }
  decoded.set(start, entries);
  return entries;
}

/** Position of the first entry >= key: [block offset, index in block], or undefined past the end. */
function lowerBound(key: string): [number, number] | undefined {
  // The last block whose first entry is <= key: lo is a block start with first(lo) <= key
  // (or the first block), hi the start of a block whose first entry is > key (or the end).
  let lo = 0;
  let hi = rules().length;
  for (;;) {
    let probe = nextBlock((lo + hi) >> 1);
    if (probe < 0 || probe >= hi) probe = nextBlock(lo);
    if (probe < 0 || probe >= hi) break;
    if (firstOf(probe) <= key) lo = probe;
    else hi = probe;
  }
  for (let b = lo; b >= 0; b = nextBlock(b)) {
    const i = block(b).findIndex((e) => e >= key);
    if (i >= 0) return [b, i];
  }
  return undefined;
}

function entryAt(at: [number, number] | undefined): string | undefined {
  return at ? block(at[0])[at[1]] : undefined;
}

/**
 * Why the Public Suffix List cannot be used (its data file next to a Lambda
 * bundle is missing or damaged), or undefined. Checked once per instance; while
 * it is set, every wildcard origin is refused (origin_wildcard_unverified).
 */
export function publicSuffixListProblem(): string | undefined {
  return suffixTextProblem();
}

const reverse = (domain: string): string => domain.split('.').reverse().join('.');

function isRule(reversed: string): boolean {
  return entryAt(lowerBound(reversed)) === reversed;
}

/**
 * A public suffix (ICANN or private section) at `domain` or below it, or
 * undefined when there is none: `amazonaws.com` -> `s3.amazonaws.com` (the
 * one with the fewest labels, then the first by name), `github.io` ->
 * `github.io`, `example.com` -> undefined. A wildcard rule is named as
 * written (`*.compute.amazonaws.com`). A single label is a public suffix by
 * the list's default rule (`*`).
 */
export function publicSuffixAtOrBelow(domain: string): string | undefined {
  const reversed = reverse(domain);
  if (isRule(reversed)) return domain;
  const dot = domain.indexOf('.');
  if (dot < 0) return domain;
  // "*.parent" makes every child of parent a public suffix, except the exceptions ("!www.ck").
  if (isRule(`${reverse(domain.slice(dot + 1))}.*`) && !exceptions.includes(domain)) return domain;
  const prefix = `${reversed}.`;
  const first = lowerBound(prefix);
  if (!first || !(entryAt(first) as string).startsWith(prefix)) return undefined;
  // Rules below are rare to refuse on: read the whole run and name the shallowest.
  let best: string | undefined;
  for (let b = first[0], i = first[1]; b >= 0; b = nextBlock(b), i = 0) {
    const entries = block(b);
    for (; i < entries.length; i++) {
      const e = entries[i] as string;
      if (!e.startsWith(prefix)) return reverse(best as string);
      if (best === undefined || labels(e) < labels(best) || (labels(e) === labels(best) && e < best)) best = e;
    }
  }
  return reverse(best as string);
}

function labels(name: string): number {
  let n = 1;
  for (let i = name.indexOf('.'); i >= 0; i = name.indexOf('.', i + 1)) n++;
  return n;
}
