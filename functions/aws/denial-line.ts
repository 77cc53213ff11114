import type { DenyReason } from '../core/preflight';

/**
 * The "preflight denied" log line: one per denied preflight, written by
 * `answerPreflight` (functions/aws/preflight-response.ts) for the preflight
 * function and the layer's `withCors` alike, and read back by
 * `cors-policy denials` (functions/cli/denials-model.ts). This file is the
 * contract between the two; nothing else here.
 */

/** The `message` of a denial line; also the CloudWatch Logs filter phrase. */
export const DENIAL_MESSAGE = 'preflight denied';

/** The `service` of the functions that write denial lines. */
export const PREFLIGHT_SERVICE = 'cors-preflight';
export const LAYER_SERVICE = 'cors-layer';
export const DENIAL_SERVICES: readonly string[] = [PREFLIGHT_SERVICE, LAYER_SERVICE];

/** Every deny reason, as a value: the parser accepts only these (the list and the type are one, in core). */
export { DENY_REASONS } from '../core/preflight';

/** The fields `answerPreflight` passes to the logger with {@link DENIAL_MESSAGE}; request values clipped. */
export interface DenialFields {
  readonly reason: DenyReason;
  readonly detail: string | undefined;
  readonly path: string | undefined;
  /** The matched policy's route(s), when a policy matched. */
  readonly route: string | readonly string[] | undefined;
  readonly policy: string | undefined;
  readonly origin: string | undefined;
  readonly method: string | undefined;
  readonly requestHeaders: string | undefined;
  readonly requestId: string | undefined;
}

/**
 * A denial line as it reaches the log: the logger's own fields first, in this
 * order (functions/aws/logger.ts), then {@link DenialFields} (absent ones
 * dropped by JSON), then the metrics fields the line may carry.
 */
export type DenialLine = {
  readonly timestamp: string;
  readonly level: 'INFO';
  readonly service: string;
  readonly message: typeof DENIAL_MESSAGE;
} & Partial<DenialFields>;

/** The keys every logged line starts with, in order (functions/aws/logger.ts writes them so). */
export const LOG_LINE_HEAD = ['timestamp', 'level', 'service', 'message'] as const;
