import { EXCEPTIONS, SUFFIXES } from './public-suffixes';

/*
 * Public Suffix List look-ups for wildcard origins, on the data generated into
 * public-suffixes.ts (scripts/lib/public-suffix-data.ts): every rule with its
 * labels reversed (`s3.amazonaws.com` -> `com.amazonaws.s3`), sorted, so that
 * the rules at or below a domain are one contiguous run, and front-coded in
 * blocks of 16 (the first entry in full, then per entry one letter "A"+n for
 * the n characters it shares with the previous entry, and the rest).
 *
 * Nothing is parsed at load: the first look-up splits the blocks apart (one
 * native split), each look-up binary-searches the blocks' first entries and
 * decodes (once) the block it lands in.
 */

const isCount = (c: number): boolean => c >= 65 && c <= 90; // "A".."Z"
const COUNT = /[A-Z]/;

interface Index {
  /** The encoded blocks (one native split of SUFFIXES). */
  readonly blocks: string[];
  /** Each block's first entry, taken when a search first needs it. */
  readonly firsts: Array<string | undefined>;
  /** Blocks decoded so far: wildcard bases share a few top-level domains, so few are ever decoded. */
  readonly decoded: Array<string[] | undefined>;
}
let index: Index | undefined;

function load(): Index {
  index ??= { blocks: SUFFIXES.split('\n'), firsts: [], decoded: [] };
  return index;
}

/** The first entry of block `b`: written in full, up to the first count letter. */
function firstOf(b: number): string {
  const { blocks, firsts } = load();
  let first = firsts[b];
  if (first === undefined) {
    const block = blocks[b] as string;
    const end = block.search(COUNT);
    firsts[b] = first = end < 0 ? block : block.slice(0, end);
  }
  return first;
}

/** The entries of block `b`, decoded once. */
function block(b: number): string[] {
  const { blocks, decoded } = load();
  let entries = decoded[b];
  if (entries) return entries;
  const text = blocks[b] as string;
  entries = [];
  let previous = '';
  let shared = 0;
  for (let i = 0; i < text.length; ) {
    let j = i;
    while (j < text.length && !isCount(text.charCodeAt(j))) j++;
    previous = previous.slice(0, shared) + text.slice(i, j);
    entries.push(previous);
    if (j < text.length) shared = text.charCodeAt(j) - 65;
    i = j + 1;
  }
  decoded[b] = entries;
  return entries;
}

/** Position of the first entry >= key: [block, index in block], or undefined past the end. */
function lowerBound(key: string): [number, number] | undefined {
  const n = load().blocks.length;
  // The last block whose first entry is <= key.
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (firstOf(mid) <= key) lo = mid;
    else hi = mid - 1;
  }
  for (let b = lo; b < n; b++) {
    const i = block(b).findIndex((e) => e >= key);
    if (i >= 0) return [b, i];
  }
  return undefined;
}

function entryAt(at: [number, number] | undefined): string | undefined {
  return at ? block(at[0])[at[1]] : undefined;
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
  if (isRule(`${reverse(domain.slice(dot + 1))}.*`) && !EXCEPTIONS.includes(domain)) return domain;
  const prefix = `${reversed}.`;
  const first = lowerBound(prefix);
  if (!first || !(entryAt(first) as string).startsWith(prefix)) return undefined;
  // Rules below are rare to refuse on: read the whole run and name the shallowest.
  let best: string | undefined;
  for (let b = first[0], i = first[1]; b < load().blocks.length; b++, i = 0) {
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
