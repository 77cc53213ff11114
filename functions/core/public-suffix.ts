import { EXCEPTIONS, SUFFIXES } from './public-suffixes';

/*
 * Public Suffix List look-ups for wildcard origins, on the data generated into
 * public-suffixes.ts (scripts/lib/public-suffix-data.ts): every rule with its
 * labels reversed (`s3.amazonaws.com` -> `com.amazonaws.s3`), sorted, so that
 * the rules at or below a domain are one contiguous run, and front-coded in
 * blocks of 16 (the first entry in full, then per entry one letter "A"+n for
 * the n characters it shares with the previous entry, and the rest).
 *
 * Nothing is parsed at load: the first look-up finds the block starts (one
 * scan for "\n"), each look-up binary-searches the blocks' first entries and
 * decodes (once) the block it lands in.
 */

const isCount = (c: number): boolean => c >= 65 && c <= 90; // "A".."Z"

interface Index {
  /** Offset of each block in SUFFIXES. */
  readonly starts: number[];
  /** Each block's first entry (written in full), for the binary search. */
  readonly firsts: string[];
  /** Blocks decoded so far: wildcard bases share a few top-level domains, so few are ever decoded. */
  readonly decoded: Array<string[] | undefined>;
}
let index: Index | undefined;

function load(): Index {
  if (!index) {
    const starts = [0];
    for (let i = SUFFIXES.indexOf('\n'); i >= 0; i = SUFFIXES.indexOf('\n', i + 1)) starts.push(i + 1);
    const firsts = starts.map((start) => {
      let j = start;
      while (j < SUFFIXES.length && !isCount(SUFFIXES.charCodeAt(j)) && SUFFIXES.charCodeAt(j) !== 10) j++;
      return SUFFIXES.slice(start, j);
    });
    index = { starts, firsts, decoded: [] };
  }
  return index;
}

/** The entries of block `b`, decoded once. */
function block(b: number): string[] {
  const { starts, decoded } = load();
  let entries = decoded[b];
  if (entries) return entries;
  const end = b + 1 < starts.length ? (starts[b + 1] as number) - 1 : SUFFIXES.length;
  entries = [];
  let previous = '';
  let shared = 0;
  for (let i = starts[b] as number; i < end; ) {
    let j = i;
    while (j < end && !isCount(SUFFIXES.charCodeAt(j))) j++;
    previous = previous.slice(0, shared) + SUFFIXES.slice(i, j);
    entries.push(previous);
    if (j < end) shared = SUFFIXES.charCodeAt(j) - 65;
    i = j + 1;
  }
  decoded[b] = entries;
  return entries;
}

/** Position of the first entry >= key: [block, index in block], or undefined past the end. */
function lowerBound(key: string): [number, number] | undefined {
  const { firsts } = load();
  const n = firsts.length;
  // The last block whose first entry is <= key.
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((firsts[mid] as string) <= key) lo = mid;
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
  for (let b = first[0], i = first[1]; b < load().starts.length; b++, i = 0) {
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
