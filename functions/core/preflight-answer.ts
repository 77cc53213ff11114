import { PREFLIGHT_VARY, type PreflightDecision } from './preflight';

/**
 * The preflight answer (status, headers, body) built from a decision: the one
 * place its shape is written. The preflight function and the layer's
 * `withCors` send it, `cors-policy explain` shows it and `cors-policy verify`
 * expects it, so what the tools predict is what the function answers. Pure,
 * and on the warm path: an allowed answer reuses the decision's headers.
 */

/** The header carrying a denial's reason when `debug` is on (`CORS_DEBUG=true`). */
export const DENY_REASON_HEADER = 'X-Cors-Deny-Reason';

/** A preflight answer: every header value a string, the body always empty. */
export interface PreflightAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * What an answer is built from: the engine's {@link PreflightDecision}, or a
 * denial an adapter decides itself (`internal_error` when something threw).
 */
export type AnswerableDecision =
  | Pick<Extract<PreflightDecision, { kind: 'not-preflight' }>, 'kind'>
  | Pick<Extract<PreflightDecision, { kind: 'allowed' }>, 'kind' | 'headers'>
  | { readonly kind: 'denied'; readonly reason: string; readonly detail: string };

/** Options of {@link preflightAnswer}. */
export interface PreflightAnswerOptions {
  /** Adds {@link DENY_REASON_HEADER} to denials. Default false: the reason is for logs, not for every caller. */
  readonly debug?: boolean | undefined;
}

/**
 * The answer to `decision`: 204 with the decision's headers when allowed; 403
 * with only `Vary` (never an `Access-Control-*` header) when denied, plus the
 * reason with `debug`; 204 with only `Vary` for an OPTIONS request that is not
 * a preflight. Every answer varies on the preflight request headers, so no
 * cache reuses it for another origin or request.
 */
export function preflightAnswer(decision: AnswerableDecision, options?: PreflightAnswerOptions): PreflightAnswer {
  const denied = decision.kind === 'denied';
  // The warm path: an allowed decision's headers are already a fresh object, so the answer is the only allocation.
  const headers: Record<string, string> = decision.kind === 'allowed' ? decision.headers : { Vary: PREFLIGHT_VARY };
  // The detail quotes request values: keep only printable ASCII, at most 200 characters, so it can never split or forge headers.
  if (denied && options?.debug) headers[DENY_REASON_HEADER] = `${decision.reason}: ${decision.detail}`.replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
  // Literal statuses, not named constants: every byte of the function's bundle is loaded on each cold start.
  return { statusCode: denied ? 403 : 204, headers, body: '' };
}
