/**
 * Reads the Public Suffix List (ICANN and private sections) out of the
 * installed `tldts` package (node_modules: nothing is fetched) and renders
 * functions/core/public-suffixes.json, the compact form the engine checks
 * wildcard origins against.
 *
 * `tldts` ships the list as a flat trie (`tldts/dist/cjs/src/data/trie.js`:
 * node flags, per-node edge ranges, edge label lengths and children, one
 * string of all labels). Walking it gives back every rule. The rendered file
 * is committed; test/core/public-suffixes.test.ts fails when it no longer
 * matches the installed package (regenerate with `npm run generate:psl`),
 * and checks the walk against tldts' own `getPublicSuffix`.
 */
import { createRequire } from 'node:module';
import { dataFileDigest } from '../../functions/core/data-file-digest';

interface Trie {
  nodeFlags: Uint8Array;
  edgeStart: Uint16Array | Uint32Array;
  edgeLength: Uint8Array;
  edgeChild: Uint16Array | Uint32Array;
  labelText: string;
  rulesRoot: number;
  exceptionsRoot: number;
}

export interface PublicSuffixRules {
  /** Normal rules and wildcard rules (`*.kawasaki.jp`), lower-case, punycode only. */
  readonly rules: readonly string[];
  /** Exception rules without their `!` (`www.ck`): these names are not public suffixes. */
  readonly exceptions: readonly string[];
  /** The tldts version the rules were read from. */
  readonly version: string;
}

function loadTrie(): { trie: Trie; version: string } {
  const require = createRequire(__filename);
  const trie = require('tldts/dist/cjs/src/data/trie.js') as Trie;
  for (const key of ['nodeFlags', 'edgeStart', 'edgeLength', 'edgeChild', 'labelText', 'rulesRoot', 'exceptionsRoot'] as const) {
    if (trie[key] === undefined) throw new Error(`tldts' trie has no "${key}": its data format changed; update scripts/lib/public-suffix-data.ts`);
  }
  const version = (require('tldts/package.json') as { version: string }).version;
  return { trie, version };
}

/** Every domain in the subtree of `root` whose node is flagged (ICANN or private). */
function walk(trie: Trie, root: number): string[] {
  // Edge label offsets are cumulative over all edges in order, as tldts computes them.
  const offsets = new Uint32Array(trie.edgeLength.length + 1);
  for (let e = 0; e < trie.edgeLength.length; e++) offsets[e + 1] = (offsets[e] as number) + (trie.edgeLength[e] as number);
  const out: string[] = [];
  const stack: Array<[number, string]> = [[root, '']];
  while (stack.length > 0) {
    const [node, suffix] = stack.pop() as [number, string];
    for (let e = trie.edgeStart[node] as number; e < (trie.edgeStart[node + 1] as number); e++) {
      const label = trie.labelText.slice(offsets[e], (offsets[e] as number) + (trie.edgeLength[e] as number));
      const name = suffix === '' ? label : `${label}.${suffix}`;
      const child = trie.edgeChild[e] as number;
      if ((trie.nodeFlags[child] as number) !== 0) out.push(name);
      stack.push([child, name]);
    }
  }
  return out.sort();
}

export function publicSuffixRules(): PublicSuffixRules {
  const { trie, version } = loadTrie();
  // tldts holds internationalized rules twice, in Unicode and in punycode; origins
  // are punycode (a policy refuses anything else), so the Unicode forms are dropped.
  const ascii = (names: string[]) => names.filter((n) => /^[\x21-\x7e]+$/.test(n));
  return { rules: ascii(walk(trie, trie.rulesRoot)), exceptions: ascii(walk(trie, trie.exceptionsRoot)), version };
}

/** Entries per block of the encoded list: each block starts with one entry written in full. */
export const BLOCK = 16;
/** Longest shared prefix one character can say: "A" (0) to "Z" (25). */
const MAX_SHARED = 25;

/** `s3.amazonaws.com` -> `com.amazonaws.s3`: names at or below a domain then sort together. */
export function reverseLabels(domain: string): string {
  return domain.split('.').reverse().join('.');
}

/**
 * The rules with their labels reversed, sorted, front-coded: blocks of
 * {@link BLOCK} entries separated by "\n"; in a block the first entry is
 * written in full and each next one as one upper-case letter (how many
 * leading characters it shares with the previous entry, "A" = 0) followed by
 * the rest. Upper case never occurs in the list (it is lower-case punycode).
 */
export function encodeSuffixes(rules: readonly string[]): string {
  const reversed = rules.map(reverseLabels).sort();
  let out = '';
  let previous = '';
  reversed.forEach((entry, i) => {
    if (/[^a-z0-9.*-]/.test(entry)) throw new Error(`unexpected character in public suffix rule "${entry}"`);
    if (i % BLOCK === 0) out += `${i === 0 ? '' : '\n'}${entry}`;
    else {
      let shared = 0;
      while (shared < MAX_SHARED && shared < previous.length && shared < entry.length && previous[shared] === entry[shared]) shared++;
      out += String.fromCharCode(65 + shared) + entry.slice(shared);
    }
    previous = entry;
  });
  return out;
}

/**
 * What functions/core/public-suffixes.json holds. JSON, not a generated
 * TypeScript module: the build reads it as data (the rules become the Lambda
 * bundles' `public-suffixes.txt` as they are), tsx, jest and esbuild import
 * it without a loader (a `.txt` import needs one in each), and the package's
 * declarations do not carry the rules (a `const` string did, as its type).
 */
export interface PublicSuffixData {
  /** Where it came from; the file is generated, never edited. */
  readonly generated: string;
  /** Exception rules without their "!": these names are not public suffixes. */
  readonly exceptions: readonly string[];
  /** Bytes of {@link PublicSuffixData.rules} as the Lambda bundles' data file (ASCII, one byte a character). */
  readonly rulesSize: number;
  /** `dataFileDigest` of those bytes: the bundles check the file against it (functions/core/public-suffix-file.ts). */
  readonly rulesDigest: string;
  /** Rules (wildcards as "*.x"), labels reversed, sorted, front-coded in blocks of {@link BLOCK} (functions/core/public-suffix.ts). */
  readonly rules: string;
}

/** The text of functions/core/public-suffixes.json for these rules. */
export function renderData({ rules, exceptions, version }: PublicSuffixRules): string {
  const encoded = encodeSuffixes(rules);
  // The bundles read the data file as latin1: one byte per character holds only for ASCII (punycode is).
  if (/[^\x00-\x7f]/.test(encoded)) throw new Error('the encoded Public Suffix List is not ASCII');
  const bytes = Buffer.from(encoded, 'latin1');
  const data: PublicSuffixData = {
    generated: `by scripts/generate-public-suffixes.ts (npm run generate:psl) from tldts ${version}: the Public Suffix List (https://publicsuffix.org/), ICANN and private sections, ${rules.length} rules; do not edit`,
    exceptions,
    rulesSize: bytes.length,
    rulesDigest: dataFileDigest(bytes),
    rules: encoded,
  };
  return `${JSON.stringify(data, null, 2)}\n`;
}
