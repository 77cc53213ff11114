import type { DenialGroupJson } from '../json';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { AWS_OPTIONS, numberOption, type NumberBounds } from '../args';
import { defineCommand } from '../command';
import { DenialTally, NO_POLICY, judge, parseSince, typicalRequest, type DenialGroup, type GroupVerdict } from '../denials-model';
import { EXIT, FileError, UsageError } from '../errors';
import { DENIAL_FILTER_PATTERN, createLogsClient, readLogEvents } from '../logs';
import { plural, type Output } from '../output';
import { loadEntries, sourceOptions } from './shared';
import { terminalSafe } from '../terminal-text';
import { DENIAL_MESSAGE } from '../../aws/denial-line';
import { addsOrigin } from '../explain-model';

export const denials = defineCommand({
  name: 'denials',
  usage: 'cors-policy denials (--log-group NAME [--since 1h] | --file FILE) [--path /cors/my-api | --dir policies] [--top 10] [--json]',
  summary:
    "Who is being denied and why: reads the preflight function's denial log lines from CloudWatch Logs (FilterLogEvents) or from a file of exported JSON lines, and prints the most frequent denied (origin, route, reason) with counts, first and last seen, and, given the current policies, whether they still deny it and the smallest policy change that would allow it (a suggestion: only if that origin should be allowed).",
  options: {
    'log-group': { type: 'string', value: 'NAME', help: "the preflight function's log group, e.g. /aws/lambda/my-stack-preflight" },
    since: { type: 'string', value: 'WHEN', help: 'start of the window: 30m, 1h, 2d, or an ISO time (default: 1h; with --file: no limit)' },
    file: { type: 'string', value: 'FILE', help: 'read exported log lines (one JSON object per line) from FILE instead ("-" for stdin)' },
    ...sourceOptions({
      path: 'check each denial against the policies under this Parameter Store path',
      dir: 'check each denial against the policy files in this directory instead',
    }),
    top: { type: 'string', value: 'N', help: 'how many groups to show (default: 10)' },
    'max-pages': { type: 'string', value: 'N', help: 'read at most N pages of FilterLogEvents (default: 100, 1000 events each)' },
    ...AWS_OPTIONS,
  },
  details:
    'Lines that are not denial lines (other log lines, metrics, platform lines) and lines that are not JSON are skipped and counted, never fatal. A file may hold the function\'s own lines, lines with a text prefix, or `aws logs filter-log-events` events (one per line, the line in "message"). Suggestions come from the same engine as explain; an origin denied because it is not yours needs no change.\nexit codes: 0 report printed, 2 usage, AWS or file error',
  // Everything shown comes from logs.
  remoteText: true,
  async run({ values }, out) {
    const { 'log-group': logGroup, file } = values;
    if ((logGroup === undefined) === (file === undefined))
      throw new UsageError('give exactly one of --log-group (CloudWatch Logs) or --file (exported log lines)');
    const top = count('top', values.top, 10, { min: 1, max: 1000, integer: true });
    const maxPages = count('max-pages', values['max-pages'], 100, { min: 1, max: 10_000, integer: true });
    const now = Date.now();
    const rawSince = values.since;
    const since = rawSince === undefined ? (file !== undefined ? undefined : now - 3_600_000) : parseSince(rawSince, now);
    if (since === undefined && rawSince !== undefined) throw new UsageError(`--since "${rawSince}" is not a duration (30m, 1h, 2d) or an ISO time`);

    const tally = new DenialTally();
    let source: Record<string, unknown>;
    let pages: number | undefined;
    let truncated = false;
    if (logGroup !== undefined) {
      const client = createLogsClient(values);
      try {
        const read = await readLogEvents(
          client,
          { logGroup, startTime: since!, endTime: now, filterPattern: DENIAL_FILTER_PATTERN, maxPages },
          (message, time) => tally.addLine(message, time),
        );
        pages = read.pages;
        truncated = read.truncated;
      } finally {
        client.destroy();
      }
      source = { logGroup, from: new Date(since!).toISOString(), to: new Date(now).toISOString() };
    } else {
      await readFile(file!, tally, since);
      source = { file, ...(since !== undefined ? { from: new Date(since).toISOString() } : {}) };
    }

    const policies = values.path !== undefined || values.dir !== undefined ? await loadEntries(values) : undefined;
    const groups = tally.top(top);
    const verdicts = groups.map((g) => (policies ? judge(policies.entries, policies.newSource, g) : undefined));

    out.document({
      command: 'denials',
      ok: true,
      source,
      ...(pages !== undefined ? { pages, truncated } : {}),
      policies: policies ? { ...policies.describe, count: policies.entries.length } : null,
      lines: tally.counts,
      groups: tally.size,
      top: groups.map((g, i) => groupJson(g, verdicts[i])),
    });
    if (truncated)
      out.warn(`warning: stopped after ${plural(pages ?? 0, 'page')} (--max-pages); the report covers only the oldest part of the window: narrow --since`);
    printHuman(out, source, tally, groups, verdicts, policies?.describe);
    return EXIT.ok;
  },
});

/** A count flag, worded as denials always has: `--top "0" must be a whole number from 1 to 1000`. */
function count(name: string, raw: string | undefined, fallback: number, bounds: NumberBounds): number {
  return numberOption(name, raw, fallback, bounds, (n, r) => `--${n} "${r}" must be a whole number from ${bounds.min} to ${bounds.max}`);
}

async function readFile(file: string, tally: DenialTally, since: number | undefined): Promise<void> {
  if (file !== '-') {
    const info = await stat(file).catch((err: NodeJS.ErrnoException) => {
      throw new FileError(`cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
    });
    if (!info.isFile()) throw new FileError(`${file} is not a file`);
  }
  const input = file === '-' ? process.stdin : createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      tally.addLine(line, undefined, since);
    }
  } catch (err) {
    throw new FileError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

const iso = (t: number | undefined): string | null => (t === undefined ? null : new Date(t).toISOString());

function groupJson(g: DenialGroup, v: GroupVerdict | undefined): DenialGroupJson {
  const t = typicalRequest(g);
  return {
    origin: g.origin,
    route: g.route === NO_POLICY ? null : g.route,
    reason: g.reason,
    count: g.count,
    firstSeen: iso(g.firstSeen),
    lastSeen: iso(g.lastSeen),
    policy: g.policy ?? null,
    typical: { method: t.method, path: t.path, requestHeaders: t.requestHeaders ?? null },
    variants: g.variants.size,
    now: v ? (v.allowedNow ? { denied: false } : { denied: true, stage: v.stage, reason: v.reason, detail: v.detail }) : null,
    suggestion: v && !v.allowedNow ? { fixes: v.fixes, blocked: v.blocked ?? null } : null,
  };
}

/** A logged value: attacker-controlled, so escaped and clipped (functions/cli/terminal-text.ts). */
const safe = (text: string): string => terminalSafe(text);

function printHuman(
  out: Output,
  source: Record<string, unknown>,
  tally: DenialTally,
  groups: readonly DenialGroup[],
  verdicts: ReadonlyArray<GroupVerdict | undefined>,
  policies: Record<string, string> | undefined,
): void {
  const where = source.logGroup
    ? `log group ${String(source.logGroup)}, ${String(source.from)} to ${String(source.to)}`
    : `${String(source.file)}${source.from ? ` since ${String(source.from)}` : ''}`;
  const c = tally.counts;
  out.line(`Denied preflights in ${where}`);
  out.line(
    `  ${plural(c.read, 'line')} read: ${plural(c.denials, 'denial')} in ${plural(tally.size, 'group')}; skipped ${plural(c.other, 'other line')} and ${plural(c.malformed, 'malformed line')}${c.outsideWindow > 0 ? `; ${plural(c.outsideWindow, 'denial')} before the window` : ''}`,
  );
  if (c.foreign > 0)
    out.line(
      `  ${plural(c.foreign, 'foreign line')} mention "${DENIAL_MESSAGE}" but are not the line the preflight function or the layer writes (wrapped, prefixed, unknown service or reason): not counted, possibly forged`,
    );
  out.line(
    policies
      ? `  checked against the policies in ${policies.path ?? policies.dir}`
      : '  (give --path or --dir to check each against the current policies and get a suggested fix)',
  );
  if (groups.length === 0) {
    out.line();
    out.line('No denials.');
    return;
  }
  groups.forEach((g, i) => {
    const t = typicalRequest(g);
    const v = verdicts[i];
    out.line();
    out.line(`${String(i + 1).padStart(2)}. ${g.count} x ${safe(g.reason)}  origin ${safe(g.origin)}  route ${safe(g.route)}`);
    const seen = g.firstSeen !== undefined ? `seen ${iso(g.firstSeen)} .. ${iso(g.lastSeen)}; ` : '';
    const headers = t.requestHeaders ? ` with headers ${safe(t.requestHeaders)}` : '';
    out.line(`    ${seen}typically ${safe(t.method)} ${safe(t.path)}${headers}${g.variants.size > 1 ? ` (${g.variants.size} variants)` : ''}`);
    if (!v) return;
    if (v.allowedNow) {
      out.line('    now: allowed by the current policies (changed since)');
      return;
    }
    out.line(`    now: still denied at the ${v.stage === 'actual' ? 'actual response' : 'preflight'}: ${safe(v.reason ?? '')}: ${safe(v.detail ?? '')}`);
    if (v.fixes.length > 0) {
      // Fix texts quote logged values: each clipped on its own, so one long value cannot hide the rest.
      out.line(
        `    suggestion, if this request should pass${v.fixes.some(addsOrigin) ? ` (is ${safe(g.origin)} yours?)` : ''}: ${v.fixes.map((f) => terminalSafe(f.text, 600)).join('; then ')}`,
      );
      const warning = v.fixes.find(addsOrigin)?.warning;
      if (warning) out.line(`    ${terminalSafe(warning, 600)}`);
    }
    if (v.blocked) out.line(`    no policy edit allows it: ${terminalSafe(v.blocked, 600)}`);
  });
}
