/**
 * Does gzip pay for the policy snapshot? An instance in snapshot mode
 * downloads the snapshot on a cold start (and after each change); gzip would
 * shrink the download but make the instance load node:zlib (a cold-start cost
 * the instances do not pay today) and inflate the body.
 *
 * Measured here, for snapshots of P policies shaped like the benchmark's
 * (bench/lib/policies.ts), compiled by the product's own compiler rules:
 * - the snapshot's bytes, raw and gzipped (level 6, node:zlib's default);
 * - in fresh Node processes (as a cold start): `require('node:zlib')`, the
 *   first gunzipSync of the body, and JSON.parse of the raw text;
 * - the break-even bandwidth: below it the bytes saved take longer to download
 *   than zlib costs; above it gzip loses.
 *
 * Run: npx tsx bench/snapshot-gzip.ts   (prints a table; writes nothing)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { snapshotParameters } from '../functions/compiler/compile';
import { SNAPSHOT_FORMAT, serializeSnapshot } from '../functions/core/snapshot';
import { policyDocuments } from './lib/policies';
import { median, round, table } from './lib/stats';

const SIZES = [100, 500, 2000];
const RUNS = 15;
const PATH = '/cors/bench';

/** One cold measurement in a fresh process: ms to load node:zlib, to inflate the body once, and to parse the raw text. */
const CHILD = `
const { readFileSync } = require('node:fs');
const [gz, raw] = [readFileSync(process.argv[1]), readFileSync(process.argv[2], 'utf8')];
const t0 = process.hrtime.bigint();
const zlib = require('node:zlib');
const t1 = process.hrtime.bigint();
const text = zlib.gunzipSync(gz).toString('utf8');
const t2 = process.hrtime.bigint();
JSON.parse(raw);
const t3 = process.hrtime.bigint();
if (text !== raw) throw new Error('round trip differs');
process.stdout.write(JSON.stringify({ load: Number(t1 - t0) / 1e6, inflate: Number(t2 - t1) / 1e6, parse: Number(t3 - t2) / 1e6 }));
`;

function snapshotText(count: number): string {
  const listed = policyDocuments(count).map((d, i) => ({ name: `${PATH}/${d.name}`, value: d.value, type: 'String', version: 1 + (i % 7) }));
  const parameters = snapshotParameters(listed, new Map(), undefined);
  const now = new Date().toISOString();
  return serializeSnapshot({ format: SNAPSHOT_FORMAT, sequence: 1, policyPath: PATH, listedAt: now, writtenAt: now, parameters });
}

const dir = mkdtempSync(join(tmpdir(), 'snapshot-gzip-'));
const rows: Array<Array<string | number>> = [];
try {
  for (const count of SIZES) {
    const text = snapshotText(count);
    const gz = gzipSync(Buffer.from(text));
    const gzFile = join(dir, `${count}.json.gz`);
    const rawFile = join(dir, `${count}.json`);
    writeFileSync(gzFile, gz);
    writeFileSync(rawFile, text);
    const samples = Array.from({ length: RUNS }, () => {
      const out = spawnSync(process.execPath, ['-e', CHILD, gzFile, rawFile], { encoding: 'utf8' });
      if (out.status !== 0) throw new Error(out.stderr);
      return JSON.parse(out.stdout) as { load: number; inflate: number; parse: number };
    });
    const load = median(samples.map((s) => s.load));
    const inflate = median(samples.map((s) => s.inflate));
    const parse = median(samples.map((s) => s.parse));
    const raw = Buffer.byteLength(text);
    const saved = raw - gz.length;
    // bytes saved / ms zlib costs = bytes per ms = kB/s; as MB/s: / 1000.
    const breakEven = saved / (load + inflate) / 1000;
    rows.push([count, raw, gz.length, `${round((100 * gz.length) / raw, 1)} %`, round(load), round(inflate), round(parse), round(breakEven, 1)]);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`Node ${process.versions.node}, median of ${RUNS} fresh processes each\n`);
process.stdout.write(
  `${table(['policies', 'raw bytes', 'gzip bytes', 'gzip/raw', 'load node:zlib ms', 'first gunzip ms', 'JSON.parse raw ms', 'break-even MB/s'], rows)}\n`,
);
process.stdout.write('gzip pays only when the instance downloads the snapshot slower than the break-even bandwidth.\n');
