import { compilePolicySet } from '../../core/policy-set';
import { AWS_OPTIONS, numberOption } from '../args';
import { defineCommand } from '../command';
import { EXIT, UsageError } from '../errors';
import { plural, problemJson, problemLine, type Output } from '../output';
import { DIAGNOSES, compare, type Comparison, type Diagnosis } from '../verify-diagnose';
import { DEFAULT_POLITE, sendAll, type Observed } from '../verify-http';
import { buildProbes, planProbes, type Probe, type ProbeKind, type ProbePlan } from '../verify-probes';
import type { ProbeReport, VerifyReport } from '../json';
import { loadEntries, sourceOptions } from './shared';
import { terminalSafe } from '../terminal-text';

/** The base URL: http(s), no query or fragment; a trailing slash is dropped so paths join cleanly. */
/** Default --max-probes: a few minutes at the default rate; the demo policies need 34. */
export const DEFAULT_MAX_PROBES = 2000;
const MAX_MAX_PROBES = 1_000_000;

function duration(seconds: number): string {
  if (seconds < 120) return `${Math.ceil(seconds)} s`;
  if (seconds < 3600) return `${Math.ceil(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function tooManyProbes(plan: ProbePlan, max: number, rate: number): string {
  const routes = plan.routes.length;
  return `the policies need ${plan.count.toLocaleString('en-US')} requests (${plural(routes, 'route')}), more than --max-probes ${max.toLocaleString('en-US')}: about ${duration(plan.count / rate)} at --rate ${rate} against the API; nothing was sent. Raise --max-probes if that is intended, or verify fewer policies (--dir with a subset)`;
}

function baseUrl(raw: string | undefined): URL {
  if (raw === undefined)
    throw new UsageError('--url is required: the stage or custom-domain base URL, e.g. --url https://abc123.execute-api.eu-west-1.amazonaws.com/prod');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url "${raw}" is not a URL; write e.g. https://abc123.execute-api.eu-west-1.amazonaws.com/prod`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`--url "${raw}" must be http:// or https://`);
  if (url.search || url.hash) throw new UsageError(`--url "${raw}" must not have a query or fragment: give the base URL only`);
  if (url.username || url.password)
    throw new UsageError(`--url "${raw}" must not carry credentials: verify sends requests as a browser's preflight does, without any`);
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

function probeUrl(base: URL, path: string): URL {
  const url = new URL(base.href);
  // A URL's pathname is never empty ("/" at least): join without doubling the slash.
  url.pathname = `${base.pathname.replace(/\/+$/, '')}${path}`;
  return url;
}

export const verify = defineCommand({
  name: 'verify',
  usage:
    'cors-policy verify --url https://API/STAGE (--path /cors/my-api | --dir policies) [--actual] [--rate N] [--concurrency N] [--timeout MS] [--retries N] [--json]',
  summary:
    "Proves the deployed API answers as the policies say: builds probes from the policies (a concrete path per route, a concrete origin per allowed origin, each allowed method with the allowed headers; and a look-alike origin, an unlisted method and an unlisted header that must be denied), sends real OPTIONS preflights as a browser would (no cookies, no Authorization), compares every answer with the engine's (the code explain uses) and diagnoses each mismatch with its fix: answered by something else, an authorizer in the way, not deployed, a different policy, or a network error.",
  options: {
    url: { type: 'string', value: 'URL', help: 'the stage or custom-domain base URL, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com/prod (required)' },
    ...sourceOptions({ path: 'compare with the policies at this Parameter Store path', dir: 'compare with the policy files in this directory instead' }),
    actual: { type: 'boolean', help: "also send GET/HEAD requests with an Origin and check the actual responses' CORS headers (never another method)" },
    rate: { type: 'string', value: 'N', help: `at most N requests per second, retries included (default ${DEFAULT_POLITE.rate})` },
    concurrency: { type: 'string', value: 'N', help: `at most N requests at a time (default ${DEFAULT_POLITE.concurrency})` },
    timeout: { type: 'string', value: 'MS', help: `milliseconds per attempt (default ${DEFAULT_POLITE.timeoutMs})` },
    retries: { type: 'string', value: 'N', help: `further attempts on 429, 5xx, timeouts and reset connections (default ${DEFAULT_POLITE.retries})` },
    'max-probes': {
      type: 'string',
      value: 'N',
      help: `refuse to start when the policies need more than N requests (default ${DEFAULT_MAX_PROBES}; counted before anything is sent)`,
    },
    ...AWS_OPTIONS,
  },
  details:
    'Probe paths use "cors-verify" for path parameters and origins such as https://cors-verify.preview.example.com for wildcards, so they are easy to find in access logs. Invalid policies are warnings: like the function, verify leaves them out and checks the rest.\nexit codes: 0 every answer matches, 3 some do not (each with a diagnosis and a fix), 2 usage, AWS, file or network errors',
  // Everything shown comes from the network or AWS APIs.
  remoteText: true,
  async run({ values }, out) {
    const base = baseUrl(values.url);
    const settings = {
      rate: numberOption('rate', values.rate, DEFAULT_POLITE.rate, { min: 0.1, max: 100, integer: false }),
      concurrency: numberOption('concurrency', values.concurrency, DEFAULT_POLITE.concurrency, { min: 1, max: 16, integer: true }),
      timeoutMs: numberOption('timeout', values.timeout, DEFAULT_POLITE.timeoutMs, { min: 100, max: 120_000, integer: true }),
      retries: numberOption('retries', values.retries, DEFAULT_POLITE.retries, { min: 0, max: 10, integer: true }),
      actual: values.actual === true,
    };
    const source = await loadEntries(values);
    const set = compilePolicySet(source.entries);
    const problems = [...source.fileProblems, ...set.problems];
    for (const p of problems) out.warn(`warning: ${problemLine(p)}`);
    if (set.policies.size === 0)
      throw new UsageError(`no valid policy ${source.kind === 'ssm' ? `under ${source.describe.path}` : `in ${source.describe.dir}`}: nothing to verify`);

    // Counted before anything is sent: a valid policy can mean tens of thousands of requests against someone's production API.
    const maxProbes = numberOption('max-probes', values['max-probes'], DEFAULT_MAX_PROBES, { min: 1, max: MAX_MAX_PROBES, integer: true });
    const plan = planProbes(set, { actual: settings.actual });
    if (plan.count > maxProbes) throw new UsageError(tooManyProbes(plan, maxProbes, settings.rate));
    const { probes, skipped } = buildProbes(set, { actual: settings.actual }, plan);
    const progress = !out.json && process.stderr.isTTY;
    const observed = await sendAll(
      probes.map((p) => ({ method: p.method, url: probeUrl(base, p.path), headers: p.headers })),
      settings,
      progress ? (done, total) => process.stderr.write(`\rverify: ${done}/${total} requests answered`) : undefined,
    );
    if (progress) process.stderr.write('\r\u001b[2K');

    const comparisons = probes.map((p, i) => compare(p, observed[i] as Observed));
    const report = toReport(base, source.describe, settings, probes, observed, comparisons, skipped, problems.map(problemJson));
    out.document(report);
    printHuman(out, report);
    if (report.summary.byDiagnosis['network-error']) return EXIT.error;
    return report.ok ? EXIT.ok : EXIT.negative;
  },
});

function toReport(
  base: URL,
  source: Record<string, string>,
  settings: VerifyReport['settings'],
  probes: readonly Probe[],
  observed: readonly Observed[],
  comparisons: readonly Comparison[],
  skipped: VerifyReport['skipped'],
  problems: VerifyReport['problems'],
): VerifyReport {
  const reports: ProbeReport[] = probes.map((p, i) => {
    const o = observed[i] as Observed;
    const c = comparisons[i] as Comparison;
    return {
      id: p.id,
      kind: p.kind,
      policy: p.policy,
      route: p.route,
      request: { method: p.method, path: p.path, url: probeUrl(base, p.path).href, headers: p.headers },
      credentials: p.credentials,
      expected: { status: p.expected.status, headers: p.expected.headers, browserAllows: p.expected.browserAllows, reason: p.expected.reason ?? null },
      observed: o.ok ? { status: o.status, headers: o.headers, body: o.body, attempts: o.attempts } : { error: o.error, code: o.code, attempts: o.attempts },
      match: c.match,
      diagnosis: c.diagnosis ?? null,
      detail: c.detail ?? null,
      differences: c.differences,
    };
  });
  const byDiagnosis: Partial<Record<Diagnosis, number>> = {};
  const diagnoses: Array<{ diagnosis: Diagnosis; probes: number[]; fixes: string[] }> = [];
  for (const d of DIAGNOSES) {
    const ids = reports.filter((r) => r.diagnosis === d).map((r) => r.id);
    if (ids.length === 0) continue;
    byDiagnosis[d] = ids.length;
    const fixes = [...new Set(comparisons.filter((c) => c.diagnosis === d).map((c) => c.fix as string))];
    diagnoses.push({ diagnosis: d, probes: ids, fixes });
  }
  const matched = reports.filter((r) => r.match).length;
  return {
    command: 'verify',
    ok: matched === reports.length,
    url: base.href,
    source,
    settings,
    summary: { probes: reports.length, matched, mismatched: reports.length - matched, byDiagnosis },
    diagnoses,
    skipped,
    probes: reports,
    problems,
  };
}

/** Rows padded into columns. */
function table(rows: readonly (readonly string[])[]): string[] {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd(),
  );
}

const KIND_LABEL: Record<ProbeKind, string> = {
  allowed: 'allowed',
  'look-alike-origin': 'look-alike origin',
  'unlisted-method': 'unlisted method',
  'unlisted-header': 'unlisted header',
  actual: 'actual',
};

function requestText(r: ProbeReport): string {
  const h = r.request.headers;
  const acrm = h['Access-Control-Request-Method'];
  const acrh = h['Access-Control-Request-Headers'];
  return `${r.request.method} ${r.request.path} from ${h.Origin}${acrm ? ` for ${acrm}` : ''}${acrh ? ` [${acrh}]` : ''}`;
}

function observedStatus(r: ProbeReport): string {
  return 'status' in r.observed ? String(r.observed.status) : r.observed.code;
}

/** Mismatches listed one by one; the route table and --json cover the rest. */
const MAX_LISTED = 12;

function printHuman(out: Output, report: VerifyReport): void {
  const source = report.source.path !== undefined ? `policies at ${report.source.path}` : `policy files in ${report.source.dir}`;
  out.line(
    `Verified ${report.url} against the ${source}: ${plural(report.summary.probes, 'request')} (${report.settings.actual ? 'preflights and actual GET/HEAD' : 'preflights'}).`,
  );
  for (const s of report.skipped) out.line(`    skipped route ${JSON.stringify(s.route)} of ${s.policy}: ${s.reason}`);

  // One row per route: how many of its probes matched, and why the others did not.
  out.line();
  const routes = new Map<string, ProbeReport[]>();
  for (const r of report.probes) {
    const key = `${r.policy}\u0000${r.route}`;
    routes.set(key, [...(routes.get(key) ?? []), r]);
  }
  const rows: string[][] = [['ROUTE', 'PATH', 'POLICY', 'MATCH', 'DIAGNOSIS']];
  for (const list of routes.values()) {
    const first = list[0] as ProbeReport;
    const matched = list.filter((r) => r.match).length;
    const counts = new Map<string, number>();
    for (const r of list) if (r.diagnosis) counts.set(r.diagnosis, (counts.get(r.diagnosis) ?? 0) + 1);
    rows.push([
      first.route,
      first.request.path,
      first.policy,
      `${matched}/${list.length}`,
      counts.size === 0 ? 'ok' : [...counts].map(([d, n]) => `${d} (${n})`).join(', '),
    ]);
  }
  for (const line of table(rows)) out.line(line);

  const mismatched = report.probes.filter((r) => !r.match);
  if (mismatched.length > 0) {
    out.line();
    out.line('Mismatches:');
    const mrows: string[][] = [['#', 'PROBE', 'REQUEST', 'EXPECTED', 'GOT', 'DIAGNOSIS']];
    for (const r of mismatched.slice(0, MAX_LISTED)) {
      mrows.push([
        String(r.id),
        KIND_LABEL[r.kind],
        requestText(r),
        r.expected.status === null ? (r.expected.headers['Access-Control-Allow-Origin'] ? 'ACAO' : 'no ACAO') : String(r.expected.status),
        observedStatus(r),
        r.diagnosis ?? '',
      ]);
    }
    for (const line of table(mrows)) out.line(`  ${line}`);
    if (mismatched.length > MAX_LISTED) out.line(`  ... and ${mismatched.length - MAX_LISTED} more (--json lists every probe)`);
    out.line();
    for (const d of report.diagnoses) {
      const example = report.probes.find((r) => r.diagnosis === d.diagnosis) as ProbeReport;
      out.line(`${d.diagnosis} (${plural(d.probes.length, 'probe')}, e.g. #${example.id}): ${example.detail ?? ''}`);
      for (const diff of example.differences.slice(0, 6))
        out.line(
          `    ${diff.header}: expected ${diff.expected === null ? '(absent)' : JSON.stringify(diff.expected)}, got ${diff.observed === null ? '(absent)' : `"${terminalSafe(diff.observed)}"`}`,
        );
      for (const fix of d.fixes) out.line(`    fix: ${fix}`);
    }
  }
  out.line();
  const parts = Object.entries(report.summary.byDiagnosis).map(([d, n]) => `${d} ${n}`);
  out.line(
    `Result: ${report.summary.matched}/${report.summary.probes} match${parts.length > 0 ? `; ${parts.join(', ')}` : ' - the deployed API answers as the policies say'}.`,
  );
}
