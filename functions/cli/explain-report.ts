import { compilePolicySet, describeClaims, type PolicySet } from '../core/policy-set';
import type { PolicyProblem } from '../core/problems';
import type { BrowserRequest } from './browser-request';
import type { LoadedPolicies } from './loaded-policies';
import { clientAlternatives, evaluate, suggestRepair, type Evaluation, type Repair } from './explain-model';
import type { ExplainJson, ExplainPreflightJson, ExplainVerdictJson, RouteMatchJson } from './json';
import { problemJson, problemLine } from './output';
import { explainRoute, type RouteExplanation, type RouteMatch } from './route-explain';

/**
 * What `cors-policy explain` reports, built once from the model and then
 * rendered (explain-render.ts) as text or as the `--json` document. Pure: the
 * policies are loaded before.
 */

export interface ExplainReport {
  /** Everything the answer says: printed as is with `--json`, rendered as text otherwise. */
  readonly document: ExplainJson;
  /** Lines about the policies themselves (invalid, not served, contested routes): stderr, in both modes. */
  readonly warnings: readonly string[];
}

/** Evaluates `req` against the policies with the engine and gathers the answer, the route explanation and the repair. */
export function explainReport(source: LoadedPolicies, req: BrowserRequest): ExplainReport {
  const set = compilePolicySet(source.entries);
  const ev = evaluate(set, req);
  const route = explainRoute(set, req.path);
  const repair: Repair = ev.failure ? suggestRepair(source.entries, req, source.newSource) : { fixes: [] };
  const problems = [...source.fileProblems, ...set.problems];
  const document: ExplainJson = {
    command: 'explain',
    ok: true,
    source: source.describe,
    policies: set.policies.size,
    request: { method: req.method, path: req.path, origin: req.origin, credentials: req.credentials, headers: req.headers, notes: req.notes },
    preflight: preflightJson(req, ev),
    match: route.winner ? matchJson(route.winner) : null,
    conflict: route.conflict ? { route: route.conflict.key, claims: route.conflict.claims } : null,
    alsoMatched: route.others.map(matchJson),
    actual: { allowed: ev.actual.allowed, headers: ev.actual.headers },
    verdict: verdictJson(ev, route),
    fixes: repair.fixes,
    blocked: repair.blocked ?? null,
    alternatives: ev.failure ? clientAlternatives(set, req) : [],
    problems: problems.map(problemJson),
  };
  return { document, warnings: policyWarnings(source, set, problems) };
}

function matchJson(m: RouteMatch): RouteMatchJson {
  return { policy: m.policy.source, route: m.route, params: m.params };
}

function preflightJson(req: BrowserRequest, ev: Evaluation): ExplainPreflightJson {
  if (!ev.preflight) return { sent: false, because: req.preflightBecause, request: null, response: null, decision: null };
  const { decision } = ev.preflight;
  return {
    sent: true,
    because: req.preflightBecause,
    request: {
      method: 'OPTIONS',
      path: req.path,
      headers: {
        Origin: req.origin,
        'Access-Control-Request-Method': req.method,
        ...(req.requestHeaders ? { 'Access-Control-Request-Headers': req.requestHeaders } : {}),
      },
    },
    response: { status: ev.preflight.status, headers: ev.preflight.headers },
    decision: decision.kind === 'denied' ? { kind: 'denied', reason: decision.reason, detail: decision.detail } : { kind: decision.kind },
  };
}

function verdictJson(ev: Evaluation, route: RouteExplanation): ExplainVerdictJson {
  const { failure } = ev;
  return failure
    ? { allowed: false, stage: failure.stage, reason: failure.reason, detail: failure.detail, policy: failure.policy?.source ?? null }
    : { allowed: true, stage: null, reason: null, detail: null, policy: route.winner?.policy.source ?? null };
}

function policyWarnings(source: LoadedPolicies, set: PolicySet, problems: readonly PolicyProblem[]): string[] {
  const lines = problems.map((p) => `warning: ${problemLine(p)}`);
  if (set.problems.length > 0)
    lines.push(
      `warning: the current versions of the policies above are not served${source.kind === 'ssm' ? '; a policy without an earlier valid version is not served at all' : ''}`,
    );
  for (const [name, version] of set.versions)
    lines.push(`warning: ${name}: its current value is invalid; the Lambda serves its version ${version}, the newest that validates`);
  for (const c of set.conflicts)
    lines.push(`warning: route ${c.key} is claimed by ${describeClaims(c)}: it is denied (route_conflict) until one of them gives it up`);
  return lines;
}
