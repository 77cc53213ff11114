/**
 * The custom resource's properties: what CloudFormation sends, checked once before
 * any API Gateway call, and the failure type whose message becomes the reason shown
 * in the stack's events.
 */
import { parameterNameProblem } from '../core/parameter-name';

export type Action = 'Check' | 'Deploy';
export type ApiType = 'REST' | 'HTTP';

/** The custom resource's properties (CloudFormation passes every scalar as a string). */
export interface Properties {
  Action: Action;
  ApiType: ApiType;
  /** Not checked against AWS's 10-character form: the API says whether it exists (and moto's HTTP ids have 8). */
  ApiId: string;
  StageName: string;
  RestRootResourceId: string;
  ExistingProxyResourceId: string;
  /** Check only: the stack's PolicyPath, validated where the parameter's pattern cannot. */
  PolicyPath: string;
}

/** The attributes returned to CloudFormation (`Fn::GetAtt`). */
export type Data = Record<string, string>;

/** A failure whose message is the reason shown in the CloudFormation events. */
export class DeployError extends Error {
  override name = 'DeployError';
}

export function parseProperties(raw: Record<string, unknown> | undefined): Properties {
  const str = (key: string): string => {
    const v = raw?.[key];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') throw new DeployError(`Property ${key} must be a string.`);
    return v;
  };
  const action = str('Action');
  const apiType = str('ApiType');
  if (action !== 'Check' && action !== 'Deploy') throw new DeployError(`Property Action must be "Check" or "Deploy", not "${action}".`);
  if (apiType !== 'REST' && apiType !== 'HTTP') throw new DeployError(`Property ApiType must be "REST" or "HTTP", not "${apiType}".`);
  const props: Properties = {
    Action: action,
    ApiType: apiType,
    ApiId: str('ApiId'),
    StageName: str('StageName'),
    RestRootResourceId: str('RestRootResourceId'),
    ExistingProxyResourceId: str('ExistingProxyResourceId'),
    PolicyPath: str('PolicyPath'),
  };
  if (!props.ApiId) throw new DeployError('Property ApiId is required.');
  if (!props.StageName) throw new DeployError('Property StageName is required.');
  if (apiType === 'REST' && action === 'Check' && !props.RestRootResourceId) {
    throw new DeployError('RestRootResourceId is required for a REST API (the id of its "/" resource).');
  }
  if (action === 'Check' && props.PolicyPath) {
    // The same naming rules the preflight function applies to CORS_POLICY_PATH.
    const problem = parameterNameProblem(props.PolicyPath, 'path');
    if (problem) throw new DeployError(`PolicyPath "${props.PolicyPath}" ${problem}; choose another path such as /cors/my-api.`);
  }
  return props;
}

export function physicalIdFor(p: Properties): string {
  return `apigw-cors:${p.Action.toLowerCase()}:${p.ApiType}:${p.ApiId}:${p.StageName}`;
}

export function errorName(err: unknown): string {
  return (err as { name?: string } | null)?.name ?? '';
}

export function isNotFound(err: unknown): boolean {
  return errorName(err) === 'NotFoundException';
}

/** CloudFormation rejects response bodies over 4096 bytes: keep the attribute short. */
const MAX_SHADOWING_CHARS = 1_000;

/** "OPTIONS /a, ANY /b (+3 more)", short enough for a stack output. */
export function summarize(entries: string[]): string {
  if (entries.length === 0) return 'none';
  const sorted = [...entries].sort();
  let out = '';
  let shown = 0;
  for (const e of sorted) {
    const next = out ? `${out}, ${e}` : e;
    if (next.length > MAX_SHADOWING_CHARS) break;
    out = next;
    shown++;
  }
  return shown < sorted.length ? `${out} (+${sorted.length - shown} more)` : out;
}
