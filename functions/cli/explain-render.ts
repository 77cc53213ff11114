import { describeClaims } from '../core/policy-set';
import { DENY_REASON_HEADER } from '../core/preflight-answer';
import type { ExplainReport } from './explain-report';
import type { ExplainJson } from './json';
import { plural, type Output } from './output';
import { PRECEDENCE_RULE } from './route-explain';
import { terminalSafe } from './terminal-text';

/**
 * `cors-policy explain`'s output, from its report alone: the `--json`
 * document, the warnings about the policies (stderr, in both modes), then the
 * text (suppressed with `--json`).
 */
export function renderExplain(out: Output, report: ExplainReport): void {
  out.document(report.document);
  for (const line of report.warnings) out.warn(line);
  printExplain(out, report.document);
}

function headerLines(headers: Readonly<Record<string, string>>): string[] {
  return Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
}

/** The text answer: the request as the browser sends it, the route, the preflight, the actual response, the verdict and the fix. */
export function printExplain(out: Output, report: ExplainJson): void {
  const indent = (lines: string[]): void => {
    for (const l of lines) out.line(`    ${l}`);
  };
  printRequest(out, report.request);
  out.line();
  printRoute(out, report);
  out.line();
  const { request, preflight, actual } = report;
  if (preflight.sent) {
    out.line(`Preflight: sent, because ${preflight.because.join('; ')}`);
    indent([`${preflight.request.method} ${preflight.request.path}`, ...headerLines(preflight.request.headers)]);
    out.line(`Preflight response from the Lambda:`);
    indent([`HTTP ${preflight.response.status}`, ...headerLines(preflight.response.headers)]);
    if (preflight.decision.kind === 'denied')
      out.line(`    (logged as "preflight denied", reason ${preflight.decision.reason}; CORS_DEBUG=true adds ${DENY_REASON_HEADER})`);
  } else {
    out.line(`Preflight: none. ${preflight.because.join('; ')}.`);
    out.line('    The request goes straight to the API and runs there; CORS only decides whether the script may read the response.');
  }
  if (!preflight.sent || preflight.decision.kind === 'allowed') {
    out.line(`CORS headers the apigw-cors layer adds to the actual ${request.method} response:`);
    indent(headerLines(actual.headers));
  }
  out.line();
  printVerdict(out, report);
}

function printRequest(out: Output, req: ExplainJson['request']): void {
  out.line(`Request: ${terminalSafe(req.method)} ${terminalSafe(req.path)} from ${terminalSafe(req.origin)}${req.credentials ? ', credentialed' : ''}`);
  for (const h of req.headers)
    out.line(
      `    header ${h.name}${h.value !== undefined ? `: ${h.value}` : ''} - ${h.safelisted ? 'safelisted' : h.forbidden ? 'dropped' : 'not safelisted'}: ${h.why}`,
    );
  for (const n of req.notes) out.line(`    note: ${n}`);
}

function printRoute(out: Output, report: ExplainJson): void {
  const { match, conflict, alsoMatched } = report;
  if (conflict) {
    const claims = describeClaims({ kind: 'route-conflict', key: conflict.route, claims: conflict.claims });
    out.line(`Policy: none - the route ${conflict.route} is claimed by ${claims}`);
    out.line(
      '    why: each route belongs to one policy; a route two policies claim is denied (route_conflict) until one gives it up, and never falls through to a less specific route',
    );
    for (const o of alsoMatched) out.line(`    also matches, not used: ${JSON.stringify(o.route)} of ${o.policy}`);
  } else if (match) {
    const params = Object.entries(match.params)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(', ');
    out.line(`Policy: ${match.policy}, route ${JSON.stringify(match.route)}${params ? ` (${params})` : ''}`);
    out.line(
      `    why: ${alsoMatched.length > 0 ? `the most specific of ${alsoMatched.length + 1} matching routes` : 'the only route that matches'}; ${PRECEDENCE_RULE}`,
    );
    for (const o of alsoMatched) out.line(`    also matches, loses: ${JSON.stringify(o.route)} of ${o.policy}`);
  } else out.line(`Policy: no route of the ${plural(report.policies, 'served policy', 'served policies')} matches ${report.request.path}`);
}

function printVerdict(out: Output, report: ExplainJson): void {
  const { request, preflight, verdict, fixes, blocked } = report;
  if (verdict.allowed) {
    out.line(
      `Verdict: ALLOWED - the browser ${preflight.sent ? `accepts the preflight, sends ${request.method} ${request.path}` : `sends ${request.method} ${request.path}`} and lets the script read the response.`,
    );
    return;
  }
  out.line(`Verdict: BLOCKED at the ${verdict.stage === 'preflight' ? 'preflight' : 'actual response'} - ${verdict.reason}: ${verdict.detail}`);
  if (verdict.stage === 'preflight')
    out.line(`    The browser never sends the ${request.method}; the script sees a network error ("TypeError: Failed to fetch").`);
  else out.line('    The request reached the API, but the script sees a network error instead of the response.');
  for (const f of fixes) {
    out.line(`Fix: ${f.text}`);
    if (f.warning) out.line(`    ${f.warning}`);
  }
  if (fixes.length > 0 && !blocked) out.line(`    (checked: with ${fixes.length === 1 ? 'this change' : 'these changes'} the same engine allows the request)`);
  if (blocked) out.line(`Cannot be allowed: ${blocked}`);
  for (const a of report.alternatives) out.line(`Or, in the script: ${a}`);
}
