import { compilePolicySet, describeClaims } from '../../core/policy-set';
import type { PolicyProblem } from '../../core/problems';
import { AWS_OPTIONS } from '../args';
import { defineCommand } from '../command';
import { EXIT, UsageError } from '../errors';
import { browserRequest, type BrowserRequest } from '../browser-request';
import { clientAlternatives, evaluate, suggestRepair, type Evaluation, type Repair } from '../explain-model';
import type { ExplainJson } from '../json';
import { plural, problemJson, problemLine, type Output } from '../output';
import { PRECEDENCE_RULE, explainRoute, type RouteExplanation } from '../route-explain';
import { loadEntries, sourceOptions } from './shared';
import { terminalSafe } from '../terminal-text';

export const explain = defineCommand({
  name: 'explain',
  usage:
    'cors-policy explain (--path /cors/my-api | --dir policies) --url-path /products/42 --origin https://shop.example.com [--method PUT] [--headers content-type,x-trace] [--credentials] [--json]',
  summary:
    'Answers "would this browser request pass, and if not, why?": whether the browser sends a preflight, which policy\'s route matches the path and why, the exact response the preflight Lambda gives (from the same decidePreflight), the CORS headers the apigw-cors layer adds to the actual response, whether the browser accepts them, and for a refusal the reason and the smallest policy change that would allow it (verified with the engine).',
  options: {
    ...sourceOptions({ path: 'read the policies from this Parameter Store path', dir: 'read the policies from files in this directory instead' }),
    'url-path': { type: 'string', value: 'PATH', help: 'request path relative to the API root, without the stage, e.g. /products/42 (required)' },
    origin: { type: 'string', value: 'ORIGIN', help: 'origin of the calling page, e.g. https://shop.example.com (required; "null" for sandboxed pages)' },
    method: { type: 'string', value: 'METHOD', help: 'the method the script uses (default: GET)' },
    headers: { type: 'string', value: 'LIST', multiple: true, help: 'request headers the script sets: name or name:value, comma-separated, repeatable' },
    credentials: { type: 'boolean', help: "the request is credentialed (fetch credentials: 'include', XHR withCredentials)" },
    ...AWS_OPTIONS,
  },
  details:
    'content-type without a value is taken as a non-safelisted type such as application/json; write content-type:text/plain to model a form post.\nInvalid policies are warnings: like the Lambda, explain leaves them out and answers with the rest.\nexit codes: 0 the browser would accept the request, 3 it would block it, 2 usage, AWS or file error',
  // Everything shown comes from Parameter Store or files.
  remoteText: true,
  async run({ values }, out) {
    const req = browserRequest({
      urlPath: required('url-path', values['url-path']),
      origin: required('origin', values.origin),
      method: values.method ?? 'GET',
      headers: values.headers ?? [],
      credentials: values.credentials === true,
    });
    const source = await loadEntries(values);
    const set = compilePolicySet(source.entries);
    const evaluation = evaluate(set, req);
    const route = explainRoute(set, req.path);
    const repair: Repair = evaluation.failure ? suggestRepair(source.entries, req, source.newSource) : { fixes: [] };
    const alternatives = evaluation.failure ? clientAlternatives(set, req) : [];
    const problems = [...source.fileProblems, ...set.problems];
    const earlier = [...set.versions].map(
      ([name, version]) => `warning: ${name}: its current value is invalid; the Lambda serves its version ${version}, the newest that validates`,
    );

    out.document(toJson(source.describe, req, evaluation, route, repair, alternatives, set.policies.size, problems));
    for (const p of problems) out.warn(`warning: ${problemLine(p)}`);
    if (set.problems.length > 0)
      out.warn(
        `warning: the current versions of the policies above are not served${source.kind === 'ssm' ? '; a policy without an earlier valid version is not served at all' : ''}`,
      );
    for (const line of earlier) out.warn(line);
    for (const c of set.conflicts)
      out.warn(`warning: route ${c.key} is claimed by ${describeClaims(c)}: it is denied (route_conflict) until one of them gives it up`);
    printHuman(out, req, evaluation, route, repair, alternatives, set.policies.size);
    return evaluation.failure ? EXIT.negative : EXIT.ok;
  },
});

function required(name: string, v: string | undefined): string {
  if (v === undefined) throw new UsageError(`--${name} is required (see: cors-policy explain --help)`);
  return v;
}

function headerLines(headers: Record<string, string>): string[] {
  return Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
}

function printHuman(
  out: Output,
  req: BrowserRequest,
  ev: Evaluation,
  route: RouteExplanation,
  repair: Repair,
  alternatives: readonly string[],
  policyCount: number,
): void {
  const indent = (lines: string[]): void => {
    for (const l of lines) out.line(`    ${l}`);
  };
  out.line(`Request: ${terminalSafe(req.method)} ${terminalSafe(req.path)} from ${terminalSafe(req.origin)}${req.credentials ? ', credentialed' : ''}`);
  for (const h of req.headers)
    out.line(
      `    header ${h.name}${h.value !== undefined ? `: ${h.value}` : ''} - ${h.safelisted ? 'safelisted' : h.forbidden ? 'dropped' : 'not safelisted'}: ${h.why}`,
    );
  for (const n of req.notes) out.line(`    note: ${n}`);

  out.line();
  if (route.conflict) {
    out.line(`Policy: none - the route ${route.conflict.key} is claimed by ${describeClaims(route.conflict)}`);
    out.line(
      '    why: each route belongs to one policy; a route two policies claim is denied (route_conflict) until one gives it up, and never falls through to a less specific route',
    );
    for (const o of route.others) out.line(`    also matches, not used: ${JSON.stringify(o.route)} of ${o.policy.source}`);
  } else if (route.winner) {
    const params = Object.entries(route.winner.params)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(', ');
    out.line(`Policy: ${route.winner.policy.source}, route ${JSON.stringify(route.winner.route)}${params ? ` (${params})` : ''}`);
    out.line(
      `    why: ${route.others.length > 0 ? `the most specific of ${route.others.length + 1} matching routes` : 'the only route that matches'}; ${PRECEDENCE_RULE}`,
    );
    for (const o of route.others) out.line(`    also matches, loses: ${JSON.stringify(o.route)} of ${o.policy.source}`);
  } else out.line(`Policy: no route of the ${plural(policyCount, 'served policy', 'served policies')} matches ${req.path}`);

  out.line();
  if (ev.preflight) {
    out.line(`Preflight: sent, because ${req.preflightBecause.join('; ')}`);
    indent([
      `OPTIONS ${req.path}`,
      `Origin: ${req.origin}`,
      `Access-Control-Request-Method: ${req.method}`,
      ...(req.requestHeaders ? [`Access-Control-Request-Headers: ${req.requestHeaders}`] : []),
    ]);
    out.line(`Preflight response from the Lambda:`);
    indent([`HTTP ${ev.preflight.status}`, ...headerLines(ev.preflight.headers)]);
    if (ev.preflight.decision.kind === 'denied')
      out.line(`    (logged as "preflight denied", reason ${ev.preflight.decision.reason}; CORS_DEBUG=true adds X-Cors-Deny-Reason)`);
  } else {
    out.line(`Preflight: none. ${req.preflightBecause.join('; ')}.`);
    out.line('    The request goes straight to the API and runs there; CORS only decides whether the script may read the response.');
  }
  if (!ev.preflight || ev.preflight.decision.kind === 'allowed') {
    out.line(`CORS headers the apigw-cors layer adds to the actual ${req.method} response:`);
    indent(headerLines(ev.actual.headers));
  }

  out.line();
  if (!ev.failure) {
    out.line(
      `Verdict: ALLOWED - the browser ${ev.preflight ? `accepts the preflight, sends ${req.method} ${req.path}` : `sends ${req.method} ${req.path}`} and lets the script read the response.`,
    );
    return;
  }
  out.line(`Verdict: BLOCKED at the ${ev.failure.stage === 'preflight' ? 'preflight' : 'actual response'} - ${ev.failure.reason}: ${ev.failure.detail}`);
  if (ev.failure.stage === 'preflight')
    out.line(`    The browser never sends the ${req.method}; the script sees a network error ("TypeError: Failed to fetch").`);
  else out.line('    The request reached the API, but the script sees a network error instead of the response.');
  for (const f of repair.fixes) {
    out.line(`Fix: ${f.text}`);
    if (f.warning) out.line(`    ${f.warning}`);
  }
  if (repair.fixes.length > 0 && !repair.blocked)
    out.line(`    (checked: with ${repair.fixes.length === 1 ? 'this change' : 'these changes'} the same engine allows the request)`);
  if (repair.blocked) out.line(`Cannot be allowed: ${repair.blocked}`);
  for (const a of alternatives) out.line(`Or, in the script: ${a}`);
}

function toJson(
  source: Record<string, string>,
  req: BrowserRequest,
  ev: Evaluation,
  route: RouteExplanation,
  repair: Repair,
  alternatives: readonly string[],
  policyCount: number,
  problems: readonly PolicyProblem[],
): ExplainJson {
  const match = (m: RouteExplanation['others'][number]) => ({ policy: m.policy.source, route: m.route, params: m.params });
  return {
    command: 'explain',
    ok: true,
    source,
    policies: policyCount,
    request: { method: req.method, path: req.path, origin: req.origin, credentials: req.credentials, headers: req.headers, notes: req.notes },
    preflight: {
      sent: req.preflight,
      because: req.preflightBecause,
      request: ev.preflight
        ? {
            method: 'OPTIONS',
            path: req.path,
            headers: {
              Origin: req.origin,
              'Access-Control-Request-Method': req.method,
              ...(req.requestHeaders ? { 'Access-Control-Request-Headers': req.requestHeaders } : {}),
            },
          }
        : null,
      response: ev.preflight ? { status: ev.preflight.status, headers: ev.preflight.headers } : null,
      decision: ev.preflight
        ? ev.preflight.decision.kind === 'denied'
          ? { kind: 'denied', reason: ev.preflight.decision.reason, detail: ev.preflight.decision.detail }
          : { kind: ev.preflight.decision.kind }
        : null,
    },
    match: route.winner ? match(route.winner) : null,
    conflict: route.conflict ? { route: route.conflict.key, claims: route.conflict.claims } : null,
    alsoMatched: route.others.map(match),
    actual: { allowed: ev.actual.allowed, headers: ev.actual.headers },
    verdict: ev.failure
      ? { allowed: false, stage: ev.failure.stage, reason: ev.failure.reason, detail: ev.failure.detail, policy: ev.failure.policy?.source ?? null }
      : { allowed: true, stage: null, reason: null, detail: null, policy: route.winner?.policy.source ?? null },
    fixes: repair.fixes,
    blocked: repair.blocked ?? null,
    alternatives,
    problems: problems.map(problemJson),
  };
}
