/**
 * The digest that ties a data file shipped next to a Lambda bundle (the
 * Public Suffix List, `public-suffixes.txt`) to the data it was written from.
 * `npm run generate:psl` records the rules' size and this digest beside them
 * (public-suffixes.json); the Lambda bundles carry both and check the file
 * before the first use (public-suffix-file.ts).
 *
 * What it is for: damage (truncation, flipped bytes, a file from another
 * build or list version), not an attacker. The file sits in the same
 * read-only deployment package (or layer) as the code that checks it, so
 * whoever can write one can write the other; a cryptographic hash buys nothing.
 *
 * What it is: Fletcher's checksum over the file's little-endian 32-bit words
 * (the last 0-3 bytes as one more word), both sums modulo 2^32, so 64 bits.
 * With the exact size it catches for certain any change confined to one word
 * and any reordering of two different words (the second sum weighs each word
 * by its position), and random damage (300 flipped bytes) but with probability
 * about 2^-64.
 *
 * Why not a real hash: the check runs on every cold start. Measured in fresh
 * Node 22 processes here (loaded machine, minimum of 21): reading the 76 KB
 * file 0.48 ms; plus this checksum 1.5 ms; plus FNV-1a over the words
 * (a multiplication per word) 2.9 ms; loading node:crypto and hashing 9.5 ms;
 * `@aws-crypto/sha256-js` (already in the bundle) ~160 ms, interpreted.
 * Additions are what V8's interpreter and baseline compiler run fastest.
 *
 * @returns 16 hexadecimal digits
 */
export function dataFileDigest(bytes: Uint8Array): string {
  const words = bytes.length >>> 2;
  // Word access needs 4-byte alignment; a file read into its own buffer has it, a pooled one may not.
  // (A copy: Buffer#slice would be a view at the same offset.)
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : new Uint8Array(bytes);
  const view = new Int32Array(aligned.buffer, aligned.byteOffset, words);
  let sum = 0;
  let weighted = 0;
  for (let i = 0; i < words; i++) {
    sum = (sum + (view[i] as number)) | 0;
    weighted = (weighted + sum) | 0;
  }
  if (words * 4 < bytes.length) {
    let tail = 0;
    for (let i = bytes.length - 1; i >= words * 4; i--) tail = (tail << 8) | (bytes[i] as number);
    sum = (sum + tail) | 0;
    weighted = (weighted + sum) | 0;
  }
  return (sum >>> 0).toString(16).padStart(8, '0') + (weighted >>> 0).toString(16).padStart(8, '0');
}
