// Damaged copies of a data file shipped next to a built bundle (the Public
// Suffix List), as the tests of issue 22 name them: missing, empty, the first
// 1,000 bytes, half, and 300 bytes flipped at seeded positions.

/** How a copy is damaged; `undefined` bytes: the file is removed. */
export type Damage = readonly [name: string, damage: (good: Buffer) => Buffer | undefined];

/** A small seeded generator (mulberry32), so a failure replays. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` distinct bytes each XOR-ed with a random non-zero value. */
export function flipBytes(good: Buffer, count: number, seed = 22): Buffer {
  const out = Buffer.from(good);
  const random = seeded(seed);
  const done = new Set<number>();
  while (done.size < Math.min(count, out.length)) {
    const at = Math.floor(random() * out.length);
    if (done.has(at)) continue;
    done.add(at);
    out[at] = (out[at] as number) ^ (1 + Math.floor(random() * 255));
  }
  return out;
}

export const DAMAGES: readonly Damage[] = [
  ['missing', () => undefined],
  ['empty', () => Buffer.alloc(0)],
  ['truncated to its first 1,000 bytes', (good) => good.subarray(0, 1000)],
  ['cut in half', (good) => good.subarray(0, good.length >> 1)],
  ['with 300 flipped bytes', (good) => flipBytes(good, 300)],
  ['with one flipped byte', (good) => flipBytes(good, 1, 7)],
  ['with two bytes swapped', (good) => Buffer.concat([good.subarray(0, 100), good.subarray(101, 102), good.subarray(100, 101), good.subarray(102)])],
];
