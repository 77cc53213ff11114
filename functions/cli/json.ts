/**
 * The documents `--json` prints, one per run: the stable contract that
 * `--help` and docs/cli.md promise. Every command's `out.document(...)` call is
 * checked against these types, so a field cannot change or go missing by
 * accident; changing one here is a breaking change for users' scripts.
 */
import type { Cors } from '@aws-sdk/client-apigatewayv2';
import type { StageInfo } from './api-gateway';
import type { HeaderInfo } from './browser-request';
import type { LineCounts } from './denials-model';
import type { PolicyDocument } from '../core';
import type { PolicyProblemCode } from '../core/problems';
import type { Fix } from './explain-model';
import type { FieldChange } from './field-diff';
import type { Action } from './plan';
import type { Diagnosis, HeaderDifference } from './verify-diagnose';
import type { PoliteOptions } from './verify-http';
import type { ProbeKind } from './verify-probes';

/** Present on every failed run. `code` is stable (`UsageError`, `InvalidPolicies`, an AWS error name, ...). */
export interface JsonError {
  readonly code: string;
  readonly message: string;
}

/**
 * One policy problem. For parameters, `file` is the parameter name; `value` is
 * `null` when there is none; `code` is stable (docs/policies.md), `reason` is prose.
 */
export interface ProblemJson {
  readonly file: string;
  readonly field: string;
  readonly value: unknown;
  readonly code: PolicyProblemCode;
  readonly reason: string;
}

interface Base<C extends string> {
  readonly command: C;
  readonly ok: boolean;
  readonly error?: JsonError;
}

export interface ValidateJson extends Base<'validate'> {
  readonly path: string | null;
  readonly files: ReadonlyArray<{ file: string; parameter: string | null; bytes: number | null; valid: boolean }>;
  readonly problems: readonly ProblemJson[];
}

export interface ChangeJson {
  readonly action: Action;
  readonly parameter: string;
  readonly file: string | null;
  readonly note: string | null;
  readonly fields: readonly FieldChange[];
}

export type SummaryJson = Readonly<Record<Action, number>>;

/** A route two or more policies claim (the Lambda denies it): `new` push would create it, `kept` it exists, `resolved` push ends it. */
export interface ConflictJson {
  readonly state: 'new' | 'kept' | 'resolved';
  readonly route: string;
  readonly claims: ReadonlyArray<{ readonly source: string; readonly route: string }>;
}

export interface DiffJson extends Base<'diff'> {
  readonly path: string;
  readonly dir: string;
  readonly changes: readonly ChangeJson[];
  readonly conflicts: readonly ConflictJson[];
  readonly summary: SummaryJson;
}

export interface PushJson extends Base<'push'> {
  readonly path: string;
  readonly dir: string;
  readonly dryRun: boolean;
  readonly prune: boolean;
  readonly changes: readonly ChangeJson[];
  readonly conflicts: readonly ConflictJson[];
  readonly done: ReadonlyArray<{ action: 'added' | 'updated' | 'deleted'; parameter: string; file: string | null; version: number | null }>;
  readonly summary: SummaryJson;
}

export interface PullJson extends Base<'pull'> {
  readonly path: string;
  readonly dir: string;
  readonly dryRun: boolean;
  readonly prune: boolean;
  readonly files: ReadonlyArray<{ action: 'create' | 'update' | 'unchanged' | 'delete'; file: string; parameter: string | null }>;
  readonly problems: readonly ProblemJson[];
  readonly warnings: readonly ProblemJson[];
}

export interface RouteMatchJson {
  readonly policy: string;
  readonly route: string;
  readonly params: Readonly<Record<string, string>>;
}

/** `explain`'s preflight: the request the browser sends and the function's answer, or all null when no preflight is sent. */
export type ExplainPreflightJson =
  | {
      readonly sent: true;
      readonly because: readonly string[];
      readonly request: { readonly method: 'OPTIONS'; readonly path: string; readonly headers: Readonly<Record<string, string>> };
      readonly response: { readonly status: number; readonly headers: Readonly<Record<string, string>> };
      readonly decision: { readonly kind: string; readonly reason?: string; readonly detail?: string };
    }
  | { readonly sent: false; readonly because: readonly string[]; readonly request: null; readonly response: null; readonly decision: null };

/** `explain`'s verdict: allowed, or where the browser blocks the request and why. */
export type ExplainVerdictJson =
  | { readonly allowed: true; readonly stage: null; readonly reason: null; readonly detail: null; readonly policy: string | null }
  | { readonly allowed: false; readonly stage: 'preflight' | 'actual'; readonly reason: string; readonly detail: string; readonly policy: string | null };

export interface ExplainJson extends Base<'explain'> {
  readonly source: Readonly<Record<string, string>>;
  readonly policies: number;
  readonly request: { method: string; path: string; origin: string; credentials: boolean; headers: readonly HeaderInfo[]; notes: readonly string[] };
  readonly preflight: ExplainPreflightJson;
  readonly match: RouteMatchJson | null;
  /** Set when the path's route is claimed by several policies (denied as `route_conflict`). */
  readonly conflict: { route: string; claims: ReadonlyArray<{ readonly source: string; readonly route: string }> } | null;
  readonly alsoMatched: readonly RouteMatchJson[];
  readonly actual: { allowed: boolean; headers: Readonly<Record<string, string>> };
  readonly verdict: ExplainVerdictJson;
  readonly fixes: readonly Fix[];
  readonly blocked: string | null;
  readonly alternatives: readonly string[];
  readonly problems: readonly ProblemJson[];
}

/** `discover`: everything the stack needs and what stands in its way (see {@link Discovery}). */
export interface DiscoverJson extends Base<'discover'>, Readonly<Discovery> {
  /** The samconfig.toml written with --write-samconfig, else null. */
  readonly samconfig: string | null;
}

export interface ImportJson extends Base<'import'> {
  readonly apiId: string;
  readonly apiType: 'REST' | 'HTTP';
  readonly dir: string;
  readonly dryRun: boolean;
  readonly files: ReadonlyArray<{ file: string; name: string; source: string; written: boolean; document: PolicyDocument | undefined }>;
  readonly leftOut: ReadonlyArray<{ source: string; reason: string | undefined }>;
  /** Values left out of a policy because the engine refuses them (never widened). */
  readonly dropped: readonly ProblemJson[];
  readonly notes: ReadonlyArray<{ source: string; note: string }>;
  readonly problems: readonly ProblemJson[];
  /** Files already describing a policy of the same name: nothing was written. */
  readonly existing: readonly string[];
}

/** One (origin, route, reason) group of `denials`, with today's verdict and the suggested fix. */
export interface DenialGroupJson {
  readonly origin: string;
  /** The denied route's patterns, as logged; null when no policy matched. */
  readonly route: unknown;
  readonly reason: string;
  readonly count: number;
  readonly firstSeen: string | null;
  readonly lastSeen: string | null;
  readonly policy: string | null;
  readonly typical: { method: string; path: string; requestHeaders: string | null };
  readonly variants: number;
  /** Against the current policies (with --path or --dir), else null. */
  readonly now: { denied: false } | { denied: true; stage: string | undefined; reason: string | undefined; detail: string | undefined } | null;
  readonly suggestion: { fixes: readonly Fix[]; blocked: string | null } | null;
}

export interface DenialsJson extends Base<'denials'> {
  readonly source: Readonly<Record<string, unknown>>;
  /** CloudWatch Logs only. */
  readonly pages?: number;
  readonly truncated?: boolean;
  readonly policies: Readonly<Record<string, unknown>> | null;
  readonly lines: Readonly<LineCounts>;
  readonly groups: number;
  readonly top: readonly DenialGroupJson[];
}

/** `snapshot`: the snapshot object and how it compares with Parameter Store now (names and versions). */
export interface SnapshotJson extends Base<'snapshot'> {
  readonly bucket: string;
  readonly key: string;
  readonly sequence: number;
  readonly policyPath: string;
  readonly listedAt: string;
  readonly writtenAt: string;
  /** Seconds since `listedAt`, by this machine's clock. */
  readonly ageSeconds: number;
  readonly parameters: ReadonlyArray<{ name: string; version: number; status: string; servedVersion: number | null; reason: string | null }>;
  readonly matchesParameterStore: boolean;
  /** The path listed for the comparison: --path, else the snapshot's own. */
  readonly comparedPath: string;
  readonly drift: {
    readonly added: ReadonlyArray<{ name: string; version: number | null }>;
    readonly removed: ReadonlyArray<{ name: string; version: number }>;
    readonly changed: ReadonlyArray<{ name: string; snapshotVersion: number; currentVersion: number | null }>;
  };
}

/** What a run that failed before its command could answer prints (usage, AWS and file errors). */
export interface FailureJson {
  readonly command: string | null;
  readonly ok: false;
  readonly error: JsonError;
  readonly [extra: string]: unknown;
}

/** Every document `--json` can print. */
/** `verify`: the probes, what each got and the diagnoses (see {@link VerifyReport}). */
export type VerifyJson = VerifyReport;

export type CliJson =
  | ValidateJson
  | DiffJson
  | PushJson
  | PullJson
  | ExplainJson
  | VerifyJson
  | DenialsJson
  | DiscoverJson
  | ImportJson
  | SnapshotJson
  | FailureJson;

/** What the stack needs to know about an existing API, and what stands in the way. */
export interface Discovery {
  apiId: string;
  apiType: 'REST' | 'HTTP';
  name: string;
  /** REST: the id of `/`. */
  rootResourceId: string | null;
  /** REST: the id of `/{proxy+}` directly under the root, if there is one. */
  proxyResourceId: string | null;
  stages: StageInfo[];
  /** The stage the parameters name: --stage, or the only stage; null when there are several. */
  stage: string | null;
  /** HTTP: the API's CorsConfiguration (the deploy refuses an API with one). */
  corsConfiguration: Cors | null;
  /** REST paths whose OPTIONS method is a MOCK integration (console "Enable CORS", SAM `Cors`): `cors-policy import` reads them. */
  mockOptions: string[];
  /** OPTIONS or ANY methods/routes on more specific paths: they answer preflights instead of the function. */
  shadowing: string[];
  /** OPTIONS/ANY methods or routes with an authorizer: preflights to them fail before any function runs. */
  authorizedPreflights: Array<{ route: string; authorization: string }>;
  /** Why the stack's check would fail today; empty when the deploy can go ahead. */
  blockers: string[];
  /** The AWS CLI commands that remove what blocks the deploy, shell-quoted, from the ids read. */
  removeBlockers: string[];
  /** REST: the commands that remove the MOCK OPTIONS methods on other paths, once verify is green (they answer instead of the function). */
  removeMockOptions: string[];
  /** Facts worth knowing that do not stop the deploy. */
  notes: string[];
  /** The template parameters, in template order. */
  parameters: Record<string, string>;
  /** The `sam deploy` command line with those parameters. */
  samDeploy: string;
}

/** One probe in `verify --json`. */
export interface ProbeReport {
  readonly id: number;
  readonly kind: ProbeKind;
  readonly policy: string;
  readonly route: string;
  readonly request: { readonly method: string; readonly path: string; readonly url: string; readonly headers: Readonly<Record<string, string>> };
  readonly credentials: boolean;
  readonly expected: {
    readonly status: number | null;
    readonly headers: Readonly<Record<string, string>>;
    readonly browserAllows: boolean;
    readonly reason: string | null;
  };
  readonly observed:
    | { readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: string; readonly attempts: number }
    | { readonly error: string; readonly code: string; readonly attempts: number };
  readonly match: boolean;
  readonly diagnosis: Diagnosis | null;
  readonly detail: string | null;
  readonly differences: readonly HeaderDifference[];
}

/** The document `verify --json` prints. */
export interface VerifyReport {
  readonly command: 'verify';
  /** True when every probe matched. */
  readonly ok: boolean;
  readonly url: string;
  readonly source: Readonly<Record<string, string>>;
  readonly settings: PoliteOptions & { readonly actual: boolean };
  readonly summary: {
    readonly probes: number;
    readonly matched: number;
    readonly mismatched: number;
    readonly byDiagnosis: Readonly<Partial<Record<Diagnosis, number>>>;
  };
  /** One entry per diagnosis found, with its fix and the probes it covers. */
  readonly diagnoses: ReadonlyArray<{ readonly diagnosis: Diagnosis; readonly probes: readonly number[]; readonly fixes: readonly string[] }>;
  /** Routes no probe could be made for. */
  readonly skipped: ReadonlyArray<{ readonly policy: string; readonly route: string; readonly reason: string }>;
  readonly probes: readonly ProbeReport[];
  readonly problems: readonly ProblemJson[];
}
